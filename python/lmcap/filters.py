"""Which frames a scan keeps: a time range, VLANs and hosts, applied by the native scanner while
it decodes (every table, the evidence and ``flows`` see only the kept frames; a dropped frame
keeps its number, so the rows still name the frames Wireshark shows).

>>> f = Filter(since=30, until="2024-05-01T10:05:00Z", vlans=(20,), hosts=("192.0.2.10",))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Union

#: A bound in time: seconds from the first timestamped frame (a number), or an absolute time
#: (a timezone-aware ``datetime``, a naive one meaning UTC, or ISO 8601 text; ``@SECONDS``
#: is seconds since the epoch).
Instant = Union[int, float, str, datetime, None]

_UNITS = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "m": 60.0, "min": 60.0, "h": 3600.0}
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|us|min|s|m|h)?\s*$", re.I)
_ISO_FRACTION = re.compile(r"^(.*?T?\d{2}:\d{2}:\d{2})\.(\d{1,9})(.*)$")


def _absolute_ns(value: str | datetime) -> int:
    """Nanoseconds since the epoch of an absolute time (ISO text keeps all 9 digits)."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        seconds = int(dt.replace(microsecond=0).timestamp())
        return seconds * 1_000_000_000 + dt.microsecond * 1000
    text = value.strip()
    if text.startswith("@"):
        whole, _, frac = text[1:].partition(".")
        if not whole.lstrip("-").isdigit() or (frac and not frac.isdigit()):
            raise ValueError(f"not seconds since the epoch: {value!r}")
        return int(whole) * 1_000_000_000 + int((frac + "000000000")[:9] or 0)
    frac_ns = 0
    m = _ISO_FRACTION.match(text)
    if m:
        text = m.group(1) + m.group(3)
        frac_ns = int((m.group(2) + "000000000")[:9])
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a time: {value!r} (seconds from the start such as 30, 90s, 5m, 1.5h; an "
            "ISO time such as 2024-05-01T10:00:00Z; or @SECONDS since the epoch)"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000 + frac_ns


def parse_instant(text: str) -> Instant:
    """Command-line text to an :data:`Instant`: ``30``, ``90s``, ``250ms``, ``5m``, ``1.5h``
    count from the start of the capture; ISO 8601 text or ``@SECONDS`` is absolute."""
    m = _RELATIVE.match(text)
    if m:
        return float(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
    _absolute_ns(text)  # raises ValueError with the accepted forms
    return text


@dataclass(frozen=True)
class Filter:
    """Frames to keep: stamped in ``[since, until)``, carrying one of ``vlans`` (in one of
    their two outer tags), from or to one of ``hosts`` (IP addresses, also as ARP sender or
    target, or MAC addresses). Kinds combine with AND, values of one kind with OR. A frame
    without a timestamp is dropped when there is a time range."""

    since: Instant = None
    until: Instant = None
    vlans: tuple[int, ...] = ()
    hosts: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == Filter()

    def scanner_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``lmcap._core.Scanner`` for this filter."""
        out: dict[str, Any] = {"vlans": list(self.vlans), "hosts": list(self.hosts)}
        for name, bound in (("since", self.since), ("until", self.until)):
            if bound is None:
                continue
            if isinstance(bound, (int, float)) and not isinstance(bound, bool):
                out[f"{name}_offset_ns"] = round(bound * 1e9)
            else:
                out[f"{name}_ns"] = _absolute_ns(bound)
        return out

    def describe(self) -> dict[str, Any]:
        """The filter as the report's ``capture.filter`` shows it."""
        kw = self.scanner_kwargs()
        return {
            "since_ns": kw.get("since_ns"),
            "until_ns": kw.get("until_ns"),
            "since_offset_s": self.since if "since_offset_ns" in kw else None,
            "until_offset_s": self.until if "until_offset_ns" in kw else None,
            "vlans": list(self.vlans),
            "hosts": list(self.hosts),
        }
