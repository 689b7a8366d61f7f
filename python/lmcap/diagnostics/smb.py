"""SMB 2/3 sessions and multichannel: which sessions, over which connections (channels) and
server addresses, how evenly the channels share the bytes, what the server advertised for
multichannel (interfaces, RSS, RDMA), SMB1, and what the framer could not frame. Fills ``smb``;
emits ``smb-single-channel``, ``multichannel-imbalance``, ``smb-rdma-unused``,
``smb1-negotiated``, ``smb1-offered`` and ``smb-stream-gaps``.

Session ids are 64-bit: the report writes them as tshark/Wireshark print them
(``0x00001c0010000049``) in ``session_id`` and as a number in ``session_id_int`` (JSON readers
in JavaScript lose integers above 2**53, so the string is the one to match on).
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import human_bytes, iso_ns

PROTOCOLS = ("smb2", "smb2_encrypted", "smb2_compressed", "smb1")
GAP_KINDS = ("gap", "not_captured", "bad_header", "resync")


def _family(addr: str) -> int:
    return ip_address(addr).version


def _channel_row(c: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "client", "server", "flow_id", "bound", "messages", "smb_bytes", "share", "read_bytes",
        "write_bytes", "tcp_io_bytes", "rdma_io_requests", "encrypted_messages", "bytes",
        "payload_bytes_c2s", "payload_bytes_s2c", "duration_s", "active_s", "throughput_bps",
        "first_frame",
    )  # fmt: skip
    row = {k: c[k] for k in keys}
    row["start"] = iso_ns(c["start_ns"])
    row["end"] = iso_ns(c["end_ns"])
    row["first_message"] = iso_ns(c["first_ns"])
    row["last_message"] = iso_ns(c["last_ns"])
    return row


def _interface_row(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "if_index": i["if_index"],
        "capability": i["capability"],
        "rss_capable": i["rss_capable"],
        "rdma_capable": i["rdma_capable"],
        "link_speed_bps": i["link_speed_bps"],
        "addresses": list(i["addresses"]),
        "sessions": [f"0x{s:016x}" for s in i["session_ids"]],
        "clients": list(i["clients"]),
        "advertisements": i["advertisements"],
        "first_frame": i["first_frame"],
        "first_seen": iso_ns(i["first_ns"]),
    }


def _session_interfaces(
    sid: int, servers: set[str], interfaces: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What the server of a session advertised: interface lists answered on the session, or
    by a server address the session's channels went to; one entry per interface index."""
    by_index: dict[int, dict[str, Any]] = {}
    for i in interfaces:
        if sid not in i["session_ids"] and i["server"] not in servers:
            continue
        e = by_index.setdefault(
            i["if_index"],
            {
                "if_index": i["if_index"],
                "rss_capable": False,
                "rdma_capable": False,
                "link_speed_bps": i["link_speed_bps"],
                "addresses": [],
                "advertised_by": [],
            },
        )
        e["rss_capable"] |= bool(i["rss_capable"])
        e["rdma_capable"] |= bool(i["rdma_capable"])
        e["link_speed_bps"] = max(e["link_speed_bps"] or 0, i["link_speed_bps"] or 0)
        e["addresses"] = sorted(set(e["addresses"]) | set(i["addresses"]))
        e["advertised_by"] = sorted(set(e["advertised_by"]) | {i["server"]})
    return [by_index[k] for k in sorted(by_index)]


def run(ctx: Context) -> None:
    sessions = ctx.run("smb_sessions")
    channels = ctx.run("smb_channels")
    interfaces = ctx.run("smb_interfaces")
    commands = ctx.run("smb_commands")
    gaps = ctx.run("smb_stream_gaps")
    smb1 = ctx.run("smb_smb1")

    protocols = {k: 0 for k in PROTOCOLS}
    for c in commands:
        protocols[c["protocol"]] = protocols.get(c["protocol"], 0) + c["messages"]

    by_session: dict[int, list[dict[str, Any]]] = {}
    for c in channels:
        by_session.setdefault(c["session_id"], []).append(c)

    session_rows = []
    for s in sessions:
        chans = by_session.get(s["session_id"], [])
        used = sorted({c["server_ip"] for c in chans})
        families = {_family(a) for a in used}
        adv = _session_interfaces(s["session_id"], set(used), interfaces)
        for e in adv:
            e["used"] = bool(set(e["addresses"]) & set(used))
            # usable: an address of the family the session's channels use (an IPv6
            # link-local address next to IPv4 ones does not make a second path)
            e["usable"] = any(_family(a) in families for a in e["addresses"])
        first = chans[0] if chans else {}
        session_rows.append(
            {
                "session_id": s["session_id_hex"],
                "session_id_int": s["session_id"],
                "dialect": s["dialect_name"],
                "dialect_code": s["dialect"],
                "established": s["established"],
                "setup_status": s["setup_status"],
                "encrypt_data": s["encrypt_data"],
                "client": s["setup_client"] or first.get("client"),
                "server": s["setup_server"] or first.get("server"),
                "binding_requests": s["binding_requests"],
                "messages": s["messages"],
                "smb_bytes": s["smb_bytes"],
                "read_bytes": s["read_bytes"],
                "write_bytes": s["write_bytes"],
                "tcp_io_bytes": sum(c["tcp_io_bytes"] for c in chans),
                "encrypted_messages": s["encrypted_messages"],
                "first_frame": s["first_frame"],
                "start": iso_ns(s["first_ns"]),
                "end": iso_ns(s["last_ns"]),
                "server_addresses_used": used,
                "interfaces_advertised": adv,
                "usable_interfaces": sum(1 for e in adv if e["usable"]),
                "balance": {
                    "channels": len(chans),
                    "max_min_ratio": first.get("session_max_min_ratio"),
                    "cov": first.get("session_cov"),
                },
                "channels": [_channel_row(c) for c in chans],
            }
        )
    # established sessions that moved the most first; failed logons last
    session_rows.sort(key=lambda r: (not r["established"], -r["smb_bytes"], r["first_frame"]))

    servers: dict[str, list[dict[str, Any]]] = {}
    for i in interfaces:
        servers.setdefault(i["server"], []).append(_interface_row(i))

    totals = {k: {"events": 0, "bytes": 0} for k in GAP_KINDS}
    for g in gaps:
        t = totals.setdefault(g["kind"], {"events": 0, "bytes": 0})
        t["events"] += g["events"]
        t["bytes"] += g["bytes"]

    ctx.report["smb"] = {
        "messages": sum(protocols.values()),
        "protocols": protocols,
        "commands": commands,
        "session_count": len(session_rows),
        "established_sessions": sum(1 for r in session_rows if r["established"]),
        "sessions": session_rows[: ctx.params.report_list_max],
        "interfaces": [{"server": k, "interfaces": v} for k, v in sorted(servers.items())],
        "stream_gaps": {
            "totals": totals,
            "connections": [
                {
                    **{k: g[k] for k in ("src", "dst", "kind", "events", "bytes", "first_frame")},
                    "first_seen": iso_ns(g["first_ns"]),
                    "last_seen": iso_ns(g["last_ns"]),
                }
                for g in gaps[: ctx.params.report_list_max]
            ],
        },  # fmt: skip
        "smb1": [
            {**{k: v for k, v in r.items() if k != "first_ns"}, "first_seen": iso_ns(r["first_ns"])}
            for r in smb1
        ],
    }

    for s in session_rows:
        _session_findings(ctx, s)
    _smb1_findings(ctx, ctx.report["smb"]["smb1"])
    if gaps:
        _gap_finding(ctx, totals, ctx.report["smb"]["stream_gaps"]["connections"])


def _channel_brief(c: dict[str, Any]) -> dict[str, Any]:
    keys = ("client", "server", "smb_bytes", "share", "read_bytes", "write_bytes", "bytes",
            "throughput_bps", "first_message", "last_message")  # fmt: skip
    return {k: c[k] for k in keys}


def _iface_brief(e: dict[str, Any]) -> dict[str, Any]:
    keys = ("if_index", "addresses", "rss_capable", "rdma_capable", "link_speed_bps", "used")
    return {k: e[k] for k in keys}


def _session_findings(ctx: Context, s: dict[str, Any]) -> None:
    p = ctx.params
    if not s["established"] or s["smb_bytes"] < p.bulk_min_bytes:
        return
    chans = s["channels"]
    ev = {
        "session_id": s["session_id"],
        "dialect": s["dialect"],
        "client": s["client"],
        "server": s["server"],
        "smb_bytes": s["smb_bytes"],
        "read_bytes": s["read_bytes"],
        "write_bytes": s["write_bytes"],
        "binding_requests": s["binding_requests"],
        "start": s["start"],
        "end": s["end"],
        "server_addresses_used": s["server_addresses_used"],
        "channels": [_channel_brief(c) for c in chans],
        "interfaces_advertised": [_iface_brief(e) for e in s["interfaces_advertised"]],
    }
    usable = [e for e in s["interfaces_advertised"] if e["usable"]]
    if len(usable) >= 2 and len(s["server_addresses_used"]) == 1:
        how = (
            "over a single channel"
            if len(chans) == 1
            else f"over {len(chans)} channels, all to one server address"
        )
        addrs = "; ".join(f"if {e['if_index']}: {', '.join(e['addresses'])}" for e in usable)
        ctx.add(
            finding(
                "smb-single-channel",
                "warning",
                f"SMB session {s['session_id']} ({s['client']} -> {s['server']}, dialect "
                f"{s['dialect']}) moved {human_bytes(s['smb_bytes'])} {how} "
                f"({s['server_addresses_used'][0]}), although the server advertised "
                f"{len(usable)} interfaces ({addrs}).",
                {**ev, "usable_interfaces": len(usable)},
                "SMB multichannel is not spreading this session over the server's NICs, so a "
                "live migration over SMB gets one NIC's bandwidth. Check that multichannel is "
                "enabled on both hosts (Get-SmbClientConfiguration / "
                "Get-SmbServerConfiguration: EnableMultiChannel), that the client can reach "
                "every advertised address (same subnets, routes, firewall on 445), that the "
                "client's own NICs are up and of matching speed and type (Windows only pairs "
                "like with like: RDMA with RDMA, RSS with RSS), and Get-SmbMultichannelConnection "
                "on the client.",
            )
        )
    if len(chans) >= 2:
        ratio = s["balance"]["max_min_ratio"]
        if ratio is not None and ratio > p.smb_imbalance_ratio:
            busiest = max(chans, key=lambda c: c["smb_bytes"])
            least = min(chans, key=lambda c: c["smb_bytes"])
            ctx.add(
                finding(
                    "multichannel-imbalance",
                    "warning",
                    f"SMB session {s['session_id']} spreads {human_bytes(s['smb_bytes'])} "
                    f"unevenly over "
                    f"{len(chans)} channels: {busiest['client']} -> {busiest['server']} carried "
                    f"{100 * busiest['share']:.0f}%, {least['client']} -> {least['server']} "
                    f"{100 * least['share']:.1f}% ({ratio:g}x; coefficient of variation "
                    f"{s['balance']['cov']:g}).",
                    {
                        **ev,
                        "max_min_ratio": ratio,
                        "cov": s["balance"]["cov"],
                        "threshold_ratio": p.smb_imbalance_ratio,
                    },  # fmt: skip
                    "The session's channels do not share the work: the busiest channel (and its "
                    "NIC) limits the migration while the others idle. Check that all NICs in "
                    "the session have the same speed and RSS/RDMA capability (SMB weights "
                    "channels by the advertised link speed), that RSS spreads the connections "
                    "over several cores, and whether one path drops packets (retransmissions "
                    "on the busy or the idle channel's flow in the throughput section).",
                )
            )
    rdma = [e for e in s["interfaces_advertised"] if e["rdma_capable"]]
    if rdma and s["tcp_io_bytes"] >= p.bulk_min_bytes:
        addrs = "; ".join(f"if {e['if_index']}: {', '.join(e['addresses'])}" for e in rdma)
        ctx.add(
            finding(
                "smb-rdma-unused",
                "warning",
                f"SMB session {s['session_id']} ({s['client']} -> {s['server']}) moved "
                f"{human_bytes(s['tcp_io_bytes'])} of READ/WRITE data over TCP 445 although the "
                f"server "
                f"advertised RDMA on {len(rdma)} interface(s) ({addrs}).",
                {**ev, "tcp_io_bytes": s["tcp_io_bytes"], "rdma_interfaces": len(rdma)},
                "SMB Direct is not in use: data crosses the TCP stack and costs CPU on both "
                "hosts, which caps live migration speed. Check that the client's NICs are "
                "RDMA-capable and enabled (Get-NetAdapterRdma, Get-SmbClientNetworkInterface "
                "RdmaCapable), that RDMA works end to end (RoCE needs PFC/DCB for lossless "
                "traffic class; iWARP needs TCP 5445 open), and that live migration uses "
                "'SMB' as its performance option.",
            )
        )


def _smb1_findings(ctx: Context, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        if r["smb1_in_use"]:
            ctx.add(
                finding(
                    "smb1-negotiated",
                    "warning",
                    f"{r['client']} -> {r['server']} speaks SMB1: "
                    f"{r['negotiate_responses']} SMB1 NEGOTIATE response(s) and "
                    f"{r['other_messages']} further SMB1 messages.",
                    {
                        k: r[k]
                        for k in (
                            "client",
                            "server",
                            "negotiate_requests",
                            "negotiate_responses",
                            "other_messages",
                            "dialects_offered",
                            "first_frame",
                            "first_seen",
                        )
                    },
                    "SMB1 has no multichannel, no SMB Direct, no encryption and small I/O: it "
                    "must not carry live migration or cluster storage, and it is deprecated "
                    "for security reasons. Disable SMB1 on the server "
                    "(Set-SmbServerConfiguration -EnableSMB1Protocol $false) and find which "
                    "client or device still needs it.",
                )  # fmt: skip
            )
    offered = [r for r in rows if not r["smb1_in_use"] and r["negotiate_requests"]]
    by_client: dict[str, list[dict[str, Any]]] = {}
    for r in offered:
        by_client.setdefault(r["client_ip"], []).append(r)
    for client, rs in by_client.items():
        ctx.add(
            finding(
                "smb1-offered",
                "info",
                f"{client} offered SMB1 dialects in a multi-protocol NEGOTIATE on {len(rs)} "
                f"connection(s) (first to {rs[0]['server']}); "
                + (
                    "the server answered with SMB2."
                    if all(r["smb2_negotiated"] for r in rs)
                    else "no answer was captured."
                ),
                {
                    "client": client,
                    "connections": [
                        {
                            k: r[k]
                            for k in (
                                "client",
                                "server",
                                "smb2_negotiated",
                                "first_frame",
                                "first_seen",
                            )
                        }
                        for r in rs
                    ],
                    "dialects_offered": rs[0]["dialects_offered"],
                },
                "The client still has the SMB1 client enabled (it opens with an SMB1 "
                "NEGOTIATE listing NT LM 0.12). Harmless while servers answer with SMB2, but "
                "remove the SMB1 client feature where it is not needed "
                "(Disable-WindowsOptionalFeature -FeatureName SMB1Protocol).",
            )  # fmt: skip
        )


def _gap_finding(
    ctx: Context, totals: dict[str, dict[str, int]], conns: list[dict[str, Any]]
) -> None:
    kinds = {k: v for k, v in totals.items() if v["events"]}
    text = ", ".join(f"{k} {v['events']}x ({human_bytes(v['bytes'])})" for k, v in kinds.items())
    directions = len({(c["src"], c["dst"]) for c in conns})
    ctx.add(
        finding(
            "smb-stream-gaps",
            "info",
            f"The SMB framer lost message boundaries on {directions} connection direction(s): "
            f"{text}. SMB counts there are lower bounds.",
            {"totals": kinds, "connections": conns[: ctx.params.evidence_list_max]},
            "Messages whose start the capture lost are not decoded: frames missing (capture "
            "drops or a capture that began mid-transfer: resync), or a snaplen that cut the "
            "headers (not_captured). For SMB analysis capture with a snaplen of at least 256 "
            "bytes on every frame and without drops (check the capture tool's drop counters).",
        )
    )
