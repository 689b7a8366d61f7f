"""What could not be read or decoded: `frames-undecoded`, `frames-malformed` and
`capture-cut-short`.

Reads the query ``capture_undecoded_frames`` (counts from the scan, the first frames from the
detail frames) and ``report["capture"]`` (frames, files). Such frames are legal records that
say nothing: a capture writer that stored headers only, a link type lmcap does not decode, a
broken tap. They count in the capture's totals and in no other figure, so a report of a
capture made of them would otherwise read as a healthy, quiet network. A small compressed file
of empty records (a decompression bomb) shows here with how far it expanded.

Frames whose headers break their protocol's rules (query ``capture_malformed_frames``) are
decoded up to that header and no further, so they count at the layers below it only (a TCP
segment with a data offset of 3 is in no flow's bytes); `frames-malformed` names them and
their senders.

A file that could not be read to its end (``report["capture"]["files"][].error``) is
`capture-cut-short`: the report covers only the frames before the damage.
"""

from __future__ import annotations

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import agree, human_bytes, percent, plural

#: What each status of a frame nothing was read from means, for the summary (the statuses
#: themselves are declared in queries/capture_undecoded_frames.sql).
_MEANS = {
    "empty_frame": "records that hold no bytes",
    "unknown_link_type": "frames of a link type lmcap does not decode",
    "unknown_interface": "pcapng packets naming an interface no block described",
    "truncated_link": "frames ending inside their cooked or loopback link header",
    "truncated_ethernet": "frames ending inside their Ethernet header or a VLAN tag",
}


#: What each status of a header that breaks its protocol's rules means, for the summary (the
#: statuses themselves are declared in queries/capture_malformed_frames.sql).
_MALFORMED_MEANS = {
    "bad_ip_version": "an IP version that does not match the ethertype",
    "bad_ipv4_header_length": "an IPv4 header length below 20 bytes or past the frame",
    "bad_ip_total_length": "an IP length below the header or beyond the frame",
    "bad_ipv6_ext_header_length": "an IPv6 extension header running past the packet",
    "bad_tcp_header_length": "a TCP data offset below 5 or past the segment",
    "bad_udp_length": "a UDP length below 8 or beyond the packet",
    "bad_igmp_record_count": "an IGMPv3 report announcing more records than it holds",
    "grh_not_bth": "a RoCE v1 GRH not followed by a BTH",
    "bad_bth_version": "a RoCE BTH of a version IBA does not define",
    "bad_roce_payload_length": "a RoCE length shorter than its headers",
}


def run(ctx: Context) -> None:
    _cut_short(ctx)
    _undecoded(ctx)
    _malformed(ctx)


def _malformed(ctx: Context) -> None:
    rows = ctx.run("capture_malformed_frames")
    if not rows:
        return
    cap = ctx.report["capture"]
    malformed = sum(r["frames"] for r in rows)
    share = malformed / (cap["packets"] or 1)
    severity = "warning" if share >= ctx.params.undecoded_warning_share else "info"
    # by MAC over every status: a frame cut before its IP header has no address, another of
    # the same sender has one
    frames_of: dict[str | None, int] = {}
    ips_of: dict[str | None, list[str]] = {}
    for r in rows:
        for s in r["senders"]:
            frames_of[s["src_mac"]] = frames_of.get(s["src_mac"], 0) + s["frames"]
            if s["src_ip"] and s["src_ip"] not in ips_of.setdefault(s["src_mac"], []):
                ips_of[s["src_mac"]].append(s["src_ip"])
    top = sorted(frames_of.items(), key=lambda kv: -kv[1])[:3]
    who = ", ".join(
        f"{mac or 'no source MAC'} ({plural(n, 'frame')}"
        + (f", from {', '.join(ips_of[mac][:3])}" if ips_of.get(mac) else "")
        + ")"
        for mac, n in top
    )
    several_files = len(cap["files"]) > 1
    igmp = any(r["decode_status"] == "bad_igmp_record_count" for r in rows)
    parts = [
        f"{r['decode_status']} {r['frames']:,} ({_MALFORMED_MEANS.get(r['decode_status'], '?')}; "
        f"first frame {r['first_frames'][0] if r['first_frames'] else '?'})"
        for r in rows
    ]
    ctx.add(
        finding(
            "frames-malformed",
            severity,
            f"{malformed:,} of {cap['packets']:,} frames ({percent(share)}) "
            f"{agree(malformed, 'has', 'have')} a header "
            f"that breaks its protocol's rules: {'; '.join(parts)}. Senders: {who}.",
            {
                "frames": malformed,
                "share": round(share, 6),
                "statuses": [
                    {
                        "decode_status": r["decode_status"],
                        "meaning": _MALFORMED_MEANS.get(r["decode_status"]),
                        "frames": r["frames"],
                        "first_frames": r["first_frames"],
                        "senders": r["senders"],
                    }
                    for r in rows
                ],
            },
            "lmcap decodes these frames up to the broken header and no further"
            + (" (of an IGMPv3 report, the records that fit)" if igmp else "")
            + ", so they count in the totals, the frame sizes and the hosts by MAC, but not "
            "in the flows, ports or rates above that header. "
            "A sender's stack does not build such headers: they come from a NIC or driver "
            "offload bug, a middlebox that rewrites packets, bit errors that slipped past "
            "the frame check (a bad cable or optic, which the switch's CRC counters show), "
            "a capture tool that damaged the frames, or crafted traffic (a scanner or "
            "fuzzer). Open the first frames listed in Wireshark, which marks the same "
            "fields as malformed, and look at the sender named"
            + (
                " (frame numbers count across the input files in time order, as in "
                "`lmcap sql`: `file_index` says which file)."
                if several_files
                else "."
            ),
        )
    )


def _cut_short(ctx: Context) -> None:
    cut = [f for f in ctx.report["capture"]["files"] if f["error"]]
    if not cut:
        return
    where = "; ".join(
        f"{f['path']} at byte offset {f['error']['offset']:,}"
        + (f" of {f['file_bytes']:,}" if f.get("file_bytes") and f["compression"] == "none" else "")
        + f" after {f['packets']:,} frames ({f['error']['kind'].replace('_', ' ')})"
        for f in cut
    )
    ctx.add(
        finding(
            "capture-cut-short",
            "warning",
            f"{plural(len(cut), 'capture file')} could not be read to the end: {where}. The "
            "report covers only the frames before that point.",
            {
                "files": [
                    {
                        "path": f["path"],
                        "kind": f["error"]["kind"],
                        "offset": f["error"]["offset"],
                        "file_bytes": f.get("file_bytes"),
                        "frames": f["packets"],
                        "message": f["error"]["message"],
                    }
                    for f in cut
                ]
            },
            "Everything after that byte offset is missing from every figure: hosts, flows, "
            "rates and findings alike, so a quiet report may rest on part of the capture. A "
            "file cut inside its last record was usually still being written (copy it after "
            "the capture stopped) or hit a full disk; a length that lies mid-file means "
            "corruption. Capture again or copy the whole file; `capinfos` and `editcap` show "
            "where it ends. `--strict` makes lmcap exit 3 on it, for CI.",
        )
    )


def _undecoded(ctx: Context) -> None:
    rows = ctx.run("capture_undecoded_frames")
    if not rows:
        return
    cap = ctx.report["capture"]
    total = cap["packets"] or 1
    undecoded = sum(r["frames"] for r in rows)
    share = undecoded / total
    severity = "warning" if share >= ctx.params.undecoded_warning_share else "info"
    parts = [
        f"{r['decode_status']} {r['frames']:,} ({_MEANS.get(r['decode_status'], '?')}; first "
        f"frame {r['first_frames'][0] if r['first_frames'] else '?'})"
        for r in rows
    ]
    expanded = [
        f"{f['path']} expanded from {human_bytes(f['file_bytes'])} to "
        f"{human_bytes(f['bytes_read'])}"
        for f in cap["files"]
        if f["compression"] != "none" and f.get("file_bytes")
    ]
    ctx.add(
        finding(
            "frames-undecoded",
            severity,
            f"{undecoded:,} of {cap['packets']:,} frames ({percent(share)}) gave nothing to "
            "decode: " + "; ".join(parts) + (f". {'; '.join(expanded)}." if expanded else "."),
            {
                "frames": undecoded,
                "share": round(share, 6),
                "statuses": [
                    {
                        "decode_status": r["decode_status"],
                        "meaning": _MEANS.get(r["decode_status"]),
                        "frames": r["frames"],
                        "first_frames": r["first_frames"],
                    }
                    for r in rows
                ],
            },
            "These frames count in the capture's totals and in no other figure: no host, flow "
            "or rate includes them. Records without bytes come from a capture writer that "
            "stored headers only (a snap length of 0) or from a crafted file; a small "
            "compressed file of them expands a thousandfold. An unknown link type or interface "
            "means lmcap does not decode that part of the capture (it decodes Ethernet, Linux "
            "cooked, loopback and raw IP). Frames ending inside their link header point to a "
            "broken tap or capture writer. Check how the capture was taken, and open the first "
            "frames listed in Wireshark.",
        )
    )
