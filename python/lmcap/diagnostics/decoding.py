"""What could not be read or decoded at all: `frames-undecoded` and `capture-cut-short`.

Reads the query ``capture_undecoded_frames`` (counts from the scan, the first frames from the
detail frames) and ``report["capture"]`` (frames, files). Such frames are legal records that
say nothing: a capture writer that stored headers only, a link type lmcap does not decode, a
broken tap. They count in the capture's totals and in no other figure, so a report of a
capture made of them would otherwise read as a healthy, quiet network. A small compressed file
of empty records (a decompression bomb) shows here with how far it expanded.

A file that could not be read to its end (``report["capture"]["files"][].error``) is
`capture-cut-short`: the report covers only the frames before the damage.
"""

from __future__ import annotations

from lmcap.diagnostics import Context
from lmcap.findings import finding
from lmcap.fmt import human_bytes, plural

#: What each status of a frame nothing was read from means, for the summary (the statuses
#: themselves are declared in queries/capture_undecoded_frames.sql).
_MEANS = {
    "empty_frame": "records that hold no bytes",
    "unknown_link_type": "frames of a link type lmcap does not decode",
    "unknown_interface": "pcapng packets naming an interface no block described",
    "truncated_link": "frames ending inside their cooked or loopback link header",
    "truncated_ethernet": "frames ending inside their Ethernet header or a VLAN tag",
}


def run(ctx: Context) -> None:
    _cut_short(ctx)
    _undecoded(ctx)


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
            f"{undecoded:,} of {cap['packets']:,} frames ({share:.1%}) gave nothing to decode: "
            + "; ".join(parts)
            + (f". {'; '.join(expanded)}." if expanded else "."),
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
