"""RDMA (SMB Direct over RoCE v1/v2 and iWARP): traffic per queue pair, loss seen in packet
sequence numbers, congestion signals. Fills ``rdma``; emits ``rdma-packet-loss`` and
``rdma-congestion``."""

from __future__ import annotations

from typing import Any

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import flow_text, human_bps, human_bytes, iso_ns


def _qp_name(r: dict[str, Any]) -> str:
    if r.get("dest_qp") is None:
        return flow_text(r["src"], r.get("src_port"), r["dst"], r.get("dst_port"))
    return f"{r['src']} -> {r['dst']} QP {r['dest_qp']}"


def run(ctx: Context) -> None:
    summary = ctx.run("rdma_summary")
    qps = ctx.run("rdma_queue_pairs")
    gaps = ctx.run("rdma_psn_gaps")
    section: dict[str, Any] = {
        "transports": summary,
        "queue_pairs": [],
        "psn_gaps": [],
        "smb_direct": {
            "negotiate_requests": sum(s["smbd_negotiate_requests"] for s in summary),
            "negotiate_responses": sum(s["smbd_negotiate_responses"] for s in summary),
            "data_transfers": sum(s["smbd_data_transfers"] for s in summary),
        },
        "congestion": {
            "ce_marked": sum(s["ce_marked"] for s in summary),
            "cnps": sum(s["cnps"] for s in summary),
        },
    }
    for r in qps:
        row = {k: v for k, v in r.items() if k not in ("start_ns", "end_ns")}
        row["start"], row["end"] = iso_ns(r["start_ns"]), iso_ns(r["end_ns"])
        section["queue_pairs"].append(row)
    for g in gaps:
        entry = {k: v for k, v in g.items() if k != "first_gap_ns"}
        entry["first_gap"] = iso_ns(g["first_gap_ns"])
        section["psn_gaps"].append(entry)
        lost = (
            f"{g['gaps']} jump(s) in the packet sequence ({g['missing_packets']} packet(s) "
            f"missing, first at frame {g['first_gap_frame']}: PSN {g['seen_psn']} where "
            f"{g['expected_psn']} was due)"
            if g["gaps"]
            else "no jump in the packet sequence"
        )
        ctx.add(
            finding(
                "rdma-packet-loss",
                "warning",
                f"RDMA queue pair {_qp_name(g)} ({g['transport']}): {lost} and "
                f"{g['retransmitted_packets']} retransmitted packet(s).",
                entry,
                "RoCE expects a lossless fabric: a lost packet makes the requester go back "
                "and resend everything after it (go-back-N), and throughput collapses. Check "
                "Priority Flow Control on every switch port and NIC for the RDMA priority, "
                "the DCB/QoS settings on the hosts (Get-NetQosFlowControl), and ECN marking. "
                "A gap can also be the capture missing packets: compare with the NIC counters.",
            )
        )
    for r in qps:
        if not (r["ce_marked"] or r["cnps"]):
            continue
        ctx.add(
            finding(
                "rdma-congestion",
                "info",
                f"RDMA queue pair {_qp_name(r)} ({r['transport']}): {r['ce_marked']} "
                f"packet(s) marked congestion-experienced (ECN CE) and {r['cnps']} congestion "
                f"notification packet(s) addressed to it; it moved "
                f"{human_bytes(r['payload_bytes'])} "
                f"at {human_bps(r['rate_bps'])}.",
                {
                    "transport": r["transport"],
                    "src": r["src"],
                    "dst": r["dst"],
                    "dest_qp": r["dest_qp"],
                    "ce_marked": r["ce_marked"],
                    "cnps": r["cnps"],
                    "payload_bytes": r["payload_bytes"],
                    "rate_bps": r["rate_bps"],
                    "start": iso_ns(r["start_ns"]),
                    "end": iso_ns(r["end_ns"]),
                },
                "Switches marked packets on this path as congested and the receiver asked the "
                "sender to slow down (DCQCN). A few marks under load are congestion control "
                "working; many, with PSN gaps, mean queues overflow: check PFC, the ECN "
                "thresholds of the switch queues and how many flows share the uplinks.",
            )
        )
    ctx.report["rdma"] = section
