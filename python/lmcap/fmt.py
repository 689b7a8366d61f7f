"""How lmcap writes values for people: timestamps, flows, rates and sizes.

The bottom layer of the package (it imports nothing from lmcap): the report builder, the
diagnostics and the renderers all format through these, so a timestamp or a rate reads the
same in the JSON report, a finding's summary and the text report.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def iso_ns(ns: int | None) -> str | None:
    """ISO 8601 UTC with nanoseconds, e.g. ``2026-11-26T11:49:42.123456789Z`` (None stays None)."""
    if ns is None:
        return None
    secs, frac = divmod(int(ns), 1_000_000_000)
    return datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{frac:09d}Z"
    )


def flow_text(src: Any, src_port: Any, dst: Any, dst_port: Any) -> str:
    """``src:port -> dst:port``, ports left out when absent (ICMP, fragments)."""
    sp = f":{src_port}" if src_port is not None else ""
    dp = f":{dst_port}" if dst_port is not None else ""
    return f"{src}{sp} -> {dst}{dp}"


def human_bps(bps: float | None) -> str:
    """A rate in bits per second with a decimal unit: ``9.41 Gbit/s``; ``?`` when unknown."""
    if bps is None:
        return "?"
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.2f} {unit}"
    return f"{bps:.0f} bit/s"


def human_bytes(n: float) -> str:
    """A size with a decimal unit: ``512 B``, ``1.50 MB`` (1 kB = 1000 bytes)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} TB"
