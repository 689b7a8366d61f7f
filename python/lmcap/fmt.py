"""How lmcap writes values for people: timestamps, flows, rates and sizes.

The bottom layer of the package (it imports nothing from lmcap): the report builder, the
diagnostics and the renderers all format through these, so a timestamp or a rate reads the
same in the JSON report, a finding's summary and the text report.
"""

from __future__ import annotations

import math
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


def human_duration(seconds: float | None) -> str:
    """A duration with a unit a reader scans: ``250 ms``, ``2.5 s``, ``3.2 min``, ``1.5 h``."""
    if seconds is None:
        return "?"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def percent(fraction: float) -> str:
    """A share as a percentage that does not round a real share to nothing: ``37%``, ``0.4%``,
    ``<0.1%``; ``0%`` only for nothing at all."""
    pct = 100 * fraction
    if pct == 0 or pct >= 9.5:
        return f"{pct:.0f}%"
    if pct < 0.1:
        return "<0.1%"
    return f"{pct:.1f}%"


def agree(n: int, one: str, many: str) -> str:
    """The word that agrees with a count: ``agree(1, "has", "have")`` is ``has``."""
    return one if n == 1 else many


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 transfer``, ``2 transfers`` (``words``: the plural when it is not word + s)."""
    return f"{n} {agree(n, word, words or word + 's')}"


#: Eighths of a cell, lowest first; an idle point is SPARK_IDLE.
SPARK_LEVELS = "▁▂▃▄▅▆▇█"
SPARK_IDLE = "·"


def sparkline(values: list[float], width: int = 40) -> str:
    """A rate series as one line of block characters, scaled to its own peak: ``▁▃█▇▂·▅``
    (``·``: no traffic). Longer series are cut into ``width`` runs of consecutive points and
    each run's mean is drawn."""
    if not values:
        return ""
    if len(values) > width:
        n = len(values)
        values = [
            sum(values[i * n // width : (i + 1) * n // width])
            / max(1, (i + 1) * n // width - i * n // width)
            for i in range(width)
        ]
    peak = max(values)
    if peak <= 0:
        return SPARK_IDLE * len(values)
    # eighths, rounded up: any traffic draws at least the lowest block
    steps = len(SPARK_LEVELS)
    return "".join(
        SPARK_IDLE if v <= 0 else SPARK_LEVELS[max(0, math.ceil(v / peak * steps) - 1)]
        for v in values
    )
