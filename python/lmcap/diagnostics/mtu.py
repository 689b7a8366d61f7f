"""Jumbo frames and MTU: size usage per VLAN and flow, MSS disagreements, black holes,
offload artefacts, snaplen cuts and partial jumbo deployments.

Writes the whole ``frame_sizes`` section (``classes``, ``hosts``, ``vlans``, ``flows``,
``over_switch_max``, ``offload``) and emits
``mtu-mismatch``, ``mtu-blackhole``, ``capture-offload``, ``capture-truncated``,
``jumbo-partial``.
"""

from __future__ import annotations

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import agree, flow_text, iso_ns, plural

SIZE_CLASSES = ("standard", "jumbo", "oversize")


def _flow(r: dict) -> str:
    return flow_text(r["src_ip"], r.get("src_port"), r["dst_ip"], r.get("dst_port"))


def run(ctx: Context) -> None:
    classes = {c: {"frames": 0, "bytes": 0} for c in SIZE_CLASSES}
    for r in ctx.run("frame_size_classes"):
        classes[r["class"]] = {"frames": r["frames"], "bytes": r["bytes"]}
    hosts = ctx.run("frame_size_hosts")
    fs = ctx.report["frame_sizes"] = {
        "classes": classes,
        "hosts": hosts[: ctx.params.section_list_max],
        "hosts_total": len(hosts),
    }
    fs["vlans"] = ctx.run("frame_size_vlans")
    flows = ctx.run("frame_size_flows")  # the report_list_max largest
    fs["flows_total"] = flows[0]["flows_total"] if flows else 0
    fs["flows"] = [{k: v for k, v in f.items() if k != "flows_total"} for f in flows]
    fs["over_switch_max"] = sum(v["over_switch_max"] for v in fs["vlans"])
    offload = ctx.run("mtu_capture_offload")
    fs["offload"] = offload

    if offload:
        total = sum(r["frames"] for r in offload)
        ctx.add(
            finding(
                "capture-offload",
                "info",
                f"{total} TCP segments from {len(offload)} host(s) are larger than the wire "
                f"allows (up to {max(r['max_l3_len'] for r in offload)} bytes): segmentation "
                "offload (TSO/GSO/GRO) at the capture point, so their sizes are not wire sizes.",
                {
                    "hosts": [
                        {
                            "ip": r["src_ip"],
                            "frames": r["frames"],
                            "max_l3_len": r["max_l3_len"],
                            "max_payload_len": r["max_payload_len"],
                            "peer_mss": r["mss"],
                            "first_frame": r["first_frame"],
                        }
                        for r in offload
                    ],
                    "frames": total,
                },
                "Read 'oversize' frames and jumbo counts from this capture as host-side "
                "artefacts, not as frames on the wire. For wire-true sizes capture on a switch "
                "port (SPAN/mirror) or disable offloads on the capturing host while capturing "
                "(ethtool -K <nic> tso off gso off gro off; on Windows disable Large Send "
                "Offload / RSC).",
            )
        )

    truncated = ctx.run("capture_truncated_hosts")
    if truncated:
        total = sum(r["frames"] for r in truncated)
        snaplens = [r["snaplen"] for r in ctx.run("capture_snaplens")]
        biggest = max(truncated, key=lambda r: r["max_wire_len"])
        kept = max(r["max_cap_len"] for r in truncated)
        # A header-only capture (small snaplen) is a choice; a snaplen between the standard
        # and the jumbo MTU (1536, 2048...) silently hides jumbo payloads: that one warns.
        hides_jumbo = kept >= ctx.params.standard_mtu and biggest["max_wire_len"] > kept
        declared = ", ".join(map(str, snaplens))
        if snaplens and kept < min(snaplens):
            # the header's snaplen is not what cut them (a tool cut the frames shorter, or
            # wrote a default header): saying only "file snaplen 262144" read as a contradiction
            snaplen_text = f" (the file header declares snaplen {declared}, more than was kept)"
        else:
            snaplen_text = f" (file snaplen {declared})" if snaplens else ""
        ctx.add(
            finding(
                "capture-truncated",
                "warning" if hides_jumbo else "info",
                f"{plural(total, 'frame')} {agree(total, 'was', 'were')} cut by the "
                f"snaplen: at most {kept} bytes kept of frames up to "
                f"{biggest['max_wire_len']} bytes on the wire"
                + snaplen_text
                + (": jumbo payloads are not in this capture." if hides_jumbo else "."),
                {
                    "frames": total,
                    "snaplen": snaplens,
                    "flows": [
                        {
                            "src": r["src_ip"],
                            "dst": r["dst_ip"],
                            "ip_proto": r["ip_proto"],
                            "frames": r["frames"],
                            "max_wire_len": r["max_wire_len"],
                            "max_cap_len": r["max_cap_len"],
                            "first_frame": r["first_frame"],
                        }
                        for r in truncated[: ctx.params.evidence_list_max]
                    ],
                },
                "Frame sizes and counts stay exact (pcap keeps the wire length), but payloads "
                "and upper-layer headers past the snaplen are missing. To inspect jumbo frames' "
                "contents capture with a snaplen of at least 9216 (tcpdump -s 0, "
                "dumpcap -s 0); keep a small snaplen only when headers are all you need.",
            )
        )

    for r in ctx.run("mtu_mss_mismatch"):
        ctx.add(
            finding(
                "mtu-mismatch",
                "warning",
                f"{r['jumbo_host']} advertises TCP MSS {r['jumbo_mss']} (jumbo MTU) but its "
                f"peer {r['standard_host']} advertises {r['standard_mss']} (standard MTU) on "
                f"{r['connections']} connection(s): the two ends are not configured alike.",
                {
                    "jumbo_host": r["jumbo_host"],
                    "standard_host": r["standard_host"],
                    "jumbo_mss": r["jumbo_mss"],
                    "standard_mss": r["standard_mss"],
                    "connections": r["connections"],
                    "first_frame": r["first_frame"],
                    "jumbo_host_max_l3_len": r["jumbo_host_max_l3_len"],
                    "standard_host_max_l3_len": r["standard_host_max_l3_len"],
                },
                "Set the same MTU on both hosts' NICs (and vSwitch/vNIC) and on every switch "
                "port between them: jumbo (e.g. 9000 bytes IP MTU, 9014 Jumbo Packet on "
                "Windows NICs, 9216 on switches) end to end, or standard everywhere. TCP falls "
                "back to the smaller MSS, so such a pair loses the 15-20% jumbo gain; UDP and "
                "ICMP with larger packets may be dropped.",
            )
        )

    for r in ctx.run("mtu_blackhole"):
        ending = (
            f"ending in a reset by {r['rst_by']} (frame {r['rst_frame']})"
            if r["ended"] == "reset"
            else "ending in silence"
        )
        ctx.add(
            finding(
                "mtu-blackhole",
                "error",
                f"{_flow(r)}: {r['segment_l3_len']}-byte segments sent {r['sends']} times and "
                f"never acknowledged while packets up to {r['largest_passed_l3_len']} bytes got "
                f"through, {ending}: an MTU black hole.",
                {
                    "flow": _flow(r),
                    "vlan": r["vlan"],
                    "segment_l3_len": r["segment_l3_len"],
                    "sends": r["sends"],
                    "segments": r["series"],
                    "largest_passed_l3_len": r["largest_passed_l3_len"],
                    "first_frame": r["first_frame"],
                    "last_frame": r["last_frame"],
                    "first_seen": iso_ns(r["first_ns"]),
                    "last_seen": iso_ns(r["last_ns"]),
                    "ended": r["ended"],
                    "rst_by": r["rst_by"],
                    "rst_frame": r["rst_frame"],
                },
                "A hop between these hosts drops frames above some size without sending ICMP "
                "fragmentation-needed (typical: NICs set to a jumbo size such as 9014/9614 "
                "behind a switch port or vSwitch that accepts at most 9216 or 1500). This is "
                "what makes live migrations fail with 'An existing connection was forcibly "
                "closed by the remote host'. Find the hop with DF pings of growing size "
                "(ping -f -l 8972 on Windows, ping -M do -s 8972 on Linux) and set one MTU end "
                "to end.",
            )
        )

    bulk = ctx.run("mtu_bulk_flows")
    jumbo = [r for r in bulk if r["path_mtu_class"] == "jumbo"]
    # Standard paths that are MTU-limited (full-size segments), not chatty small-message flows.
    standard = [
        r
        for r in bulk
        if r["path_mtu_class"] == "standard"
        and r["max_l3_len"] >= ctx.params.mtu_limited_min_l3_len
    ]
    if jumbo and standard:
        ctx.add(
            finding(
                "jumbo-partial",
                "warning",
                f"{plural(len(jumbo), 'bulk TCP transfer')} "
                f"{agree(len(jumbo), 'uses', 'use')} jumbo frames but "
                f"{plural(len(standard), 'other')} "
                f"{agree(len(standard), 'stays', 'stay')} "
                f"at the standard {ctx.params.standard_mtu}-byte MTU (e.g. "
                f"{_flow(standard[0])}): jumbo frames "
                "are enabled on some paths only.",
                {
                    "jumbo_flows": [
                        {
                            "flow": _flow(r),
                            "vlan": r["vlan"],
                            "peer_mss": r["peer_mss"],
                            "max_l3_len": r["max_l3_len"],
                            "bytes": r["bytes"],
                        }
                        for r in jumbo[: ctx.params.evidence_list_max]
                    ],
                    "standard_flows": [
                        {
                            "flow": _flow(r),
                            "vlan": r["vlan"],
                            "peer_mss": r["peer_mss"],
                            "max_l3_len": r["max_l3_len"],
                            "bytes": r["bytes"],
                        }
                        for r in standard[: ctx.params.evidence_list_max]
                    ],
                },
                "Expect roughly 15-20% less live-migration throughput on the standard-MTU paths. "
                "Enable jumbo frames on every NIC of the migration/SMB networks (both hosts, "
                "vSwitch, vNICs) and on the switch ports in between, then verify with a DF ping "
                "of 8972 bytes on each path.",
            )
        )
