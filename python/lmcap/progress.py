"""Progress of a scan on standard error, for people waiting at a terminal.

One line, rewritten in place at most a few times a second and erased at the end:

    reading 1.21 GB of 3.40 GB (35%), 1.8 M frames, 412 MB/s, 5 s left

Bytes are of the files on disk. A compressed file's offset in its compressed bytes is read
from the operating system (the position of the scanner's open file, /proc/self/fdinfo on
Linux), which is what makes a percentage and a time left possible for ``.gz`` and ``.zst``;
where that is not available the line counts the uncompressed bytes read, says so, and gives
no total. Standard input and pipes have no size: bytes, frames and rate only.

Nothing is written unless standard error is a terminal (``enabled``), so logs, pipes and the
JSON report never see it. ``LMCAP_PROGRESS=1`` forces it on (the tests use it), ``=0`` off.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, TextIO

from lmcap.fmt import human_bytes
from lmcap.textreport import human_count

#: Seconds between two updates of the line: often enough to look alive, rarely enough to cost
#: nothing (each update asks the scanner for its files table).
UPDATE_INTERVAL_S = 0.25
#: Environment variable that forces the progress line on (1) or off (0) whatever stderr is.
FORCE_ENV = "LMCAP_PROGRESS"
#: Erase the current terminal line: carriage return, then ANSI "erase to end of line".
ERASE_LINE = "\r\x1b[K"


def enabled(stream: TextIO | None = None, quiet: bool = False) -> bool:
    """Whether to show progress on ``stream`` (standard error by default)."""
    if quiet:
        return False
    forced = os.environ.get(FORCE_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def human_duration(s: float) -> str:
    s = round(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _file_size(path: str) -> int | None:
    """The size of a regular file; None for standard input, pipes and devices."""
    if path == "-":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    import stat

    return st.st_size if stat.S_ISREG(st.st_mode) else None


def open_file_offsets() -> dict[str, int] | None:
    """{real path: file position} of every file this process has open, from /proc (Linux);
    None where the system does not tell."""
    fd_dir = "/proc/self/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return None
    out: dict[str, int] = {}
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                pos = next(int(x.split()[1]) for x in info if x.startswith("pos:"))
        except (OSError, StopIteration, ValueError, IndexError):
            continue
        out[target] = max(pos, out.get(target, 0))
    return out


class Progress:
    """Shows how far a scan has got. Call it with the scanner's ``capture_files`` rows (the
    dicts ``lmcap._core.Scanner.files()`` holds) as the scan goes; it redraws at most every
    ``UPDATE_INTERVAL_S``. ``phase()`` replaces the line with a message for the work after the
    scan; ``close()`` erases the line."""

    def __init__(
        self,
        paths: list[str],
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        offsets: Callable[[], dict[str, int] | None] = open_file_offsets,
    ) -> None:
        self.paths = list(paths)
        self.stream = stream or sys.stderr
        self.clock = clock
        self.offsets = offsets
        self.sizes = [_file_size(p) for p in self.paths]
        self.real_paths = [os.path.realpath(p) if p != "-" else None for p in self.paths]
        self.started = clock()
        self.last_draw = -UPDATE_INTERVAL_S
        self.shown = False

    def due(self) -> bool:
        """Whether enough time has passed since the last update to draw another."""
        return self.clock() - self.last_draw >= UPDATE_INTERVAL_S

    def update(self, files: list[dict[str, Any]]) -> None:
        if self.due():
            self.draw(self.line(files))

    def line(self, files: list[dict[str, Any]]) -> str:
        """The progress line for the scanner's ``capture_files`` rows at this moment."""
        frames = sum(f.get("packets") or 0 for f in files)
        done, total, uncompressed = self._bytes(files)
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = done / elapsed
        what = f"reading {human_bytes(done)}"
        if uncompressed:
            what += " (uncompressed)"
        if total:
            share = min(done / total, 1.0)
            what += f" of {human_bytes(total)} ({100 * share:.0f}%)"
        parts = [what, f"{human_count(frames)} frames", f"{human_bytes(rate)}/s"]
        if total and rate > 0 and done < total and elapsed >= 1:
            parts.append(f"{human_duration((total - done) / rate)} left")
        return ", ".join(parts)

    def _bytes(self, files: list[dict[str, Any]]) -> tuple[int, int | None, bool]:
        """(bytes done, bytes in all or None, whether done counts uncompressed bytes).

        Bytes are of the files on disk: a plain file's ``bytes_read``, a compressed file's
        position in its compressed bytes as the system reports it. A compressed file of
        unknown position counts its uncompressed bytes, and then there is no total."""
        rows = {f.get("file_index", i): f for i, f in enumerate(files)}
        offsets: dict[str, int] | None = None
        done, uncompressed = 0, False
        for i, (size, real) in enumerate(zip(self.sizes, self.real_paths)):
            row = rows.get(i) or {}
            read = row.get("bytes_read") or 0
            if row.get("compression", "none") == "none":
                done += read
                continue
            if offsets is None:
                offsets = self.offsets() or {}
            if real is not None and real in offsets:
                done += offsets[real]
            elif offsets and read and size is not None:
                done += size  # the system lists open files and this one is closed: read
            elif read:
                done, uncompressed = done + read, True
        sizes_known = all(size is not None for size in self.sizes)
        total = sum(self.sizes) if sizes_known and not uncompressed else None  # type: ignore[arg-type]
        return done, total or None, uncompressed

    def draw(self, text: str) -> None:
        self.last_draw = self.clock()
        width = _terminal_width(self.stream)
        if len(text) > width - 1:
            text = text[: width - 2] + "…"
        self.stream.write(ERASE_LINE + text)
        self.stream.flush()
        self.shown = True

    def phase(self, text: str) -> None:
        """Replace the line with ``text`` (e.g. 'analysing 1.2 M frames'), drawn at once."""
        self.draw(text)

    def close(self) -> None:
        """Erase the line, leaving the terminal as it was."""
        if self.shown:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self.shown = False


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 100
