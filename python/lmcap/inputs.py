"""Can an input be read as a capture at all? And the CLI's notion of a user mistake.

A capture that stops part way (cut short, a corrupt record) is still analysed: what was read
is reported and the file-level error is a warning (exit 3 only with ``--strict``). An input
of which *nothing* can be read is different: a path that does not exist, a directory, a file
that cannot be opened, an empty input, or bytes that are not a capture (a file-level error at
byte offset 0: unknown format, a header with impossible values, a header cut short, a
compressed stream corrupt from its start). Reporting such an input as an empty capture would
let a CI pipeline whose capture step failed pass its network check, so every ``lmcap``
command refuses it: ``lmcap: error: FILE: reason`` and exit 2 (``EXIT_USAGE``).

A file with a valid header and no frames is *not* unreadable: it is a valid empty capture
(tcpdump writes one when nothing matched its filter) and gets a report with 0 packets.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable

#: The path that means standard input.
STDIN = "-"

#: OS errors in the plain words the CLI prints; others get the system's own text.
_ERRNO_REASONS = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "is a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "no such file (a folder on its path is a file)",
}


class UserError(Exception):
    """A mistake of the user, not a bug of lmcap: bad input, an unknown name, bad SQL.

    The CLI prints each line of the message as ``lmcap: error: LINE`` on stderr, without a
    traceback, and exits 2. Every command raises this (or a subclass) for user mistakes and
    nothing else, so a real bug still shows its traceback.
    """


class UnreadableInput(UserError):
    """Inputs of which nothing can be read; ``problems`` holds (path, reason) per input."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {reason}" for path, reason in problems))


def os_error_reason(err: OSError | int) -> str:
    """'no such file', 'is a directory', 'permission denied'... for an OSError or errno."""
    code = err if isinstance(err, int) else err.errno
    if code in _ERRNO_REASONS:
        return _ERRNO_REASONS[code]
    text = os.strerror(code) if code else str(err)
    return text[:1].lower() + text[1:]


def scan_error_reason(path: str, kind: str, message: str) -> str:
    """A scanner's file-level error at offset 0 in plain words, without the path and offset
    the scanner's message starts with (the CLI names the file itself)."""
    reason = message.removeprefix(f"{path}: at byte offset 0: ")
    if kind == "io_error":
        # The Rust reader's text ends with "(os error N)": give the same words as for a
        # failure found by the checks made in Python.
        m = re.search(r"\(os error (\d+)\)", reason)
        if m:
            return os_error_reason(int(m.group(1)))
    if kind == "cut_short" and reason.endswith("the file is empty"):
        return "empty input (nothing on standard input)" if path == STDIN else "empty file"
    return reason


def _probe(path: str) -> str | None:
    """Why the reader cannot even start on a regular, non-empty file (None if it can).

    The native scanner reads the header and at most one frame; the decision stays with the
    reader, which knows every format and compression lmcap accepts."""
    from lmcap import _core

    scanner = _core.Scanner([path], 1)
    scanner.next_batch()
    for e in scanner.errors():
        if e["offset"] == 0:
            return scan_error_reason(path, e["kind"], e["message"])
    return None


def check_inputs(paths: Iterable[str]) -> None:
    """Refuse, before any scan, inputs that cannot be read at all (see the module docstring).

    Cheap: a stat, an open and the reader's look at the header of each file. Standard input,
    pipes and devices are not looked at (that would consume them); :func:`unreadable_after_scan`
    catches those after the scan.

    Raises:
        UnreadableInput: naming every such input and why.
    """
    problems: list[tuple[str, str]] = []
    for path in paths:
        if path == STDIN:
            continue
        try:
            st = os.stat(path)
            if stat.S_ISDIR(st.st_mode):
                problems.append((path, os_error_reason(errno.EISDIR)))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # a FIFO (`<(zcat x.pcap)`) or a device: read once, by the scan
            with open(path, "rb"):
                pass
        except OSError as e:
            problems.append((path, os_error_reason(e)))
            continue
        reason = "empty file" if st.st_size == 0 else _probe(path)
        if reason:
            problems.append((path, reason))
    if problems:
        raise UnreadableInput(problems)


def unreadable_after_scan(capture_files: Iterable[dict]) -> list[tuple[str, str]]:
    """(path, reason) of every input the scan could read nothing of, from the rows of the
    ``capture_files`` table: a file-level error at byte offset 0 and no packet."""
    return [
        (f["path"], scan_error_reason(f["path"], f["error_kind"], f["error_message"] or ""))
        for f in capture_files
        if f["error_kind"] is not None and f["error_offset"] == 0 and not f["packets"]
    ]
