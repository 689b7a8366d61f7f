"""A panic of the Rust scanner (a bug of lmcap, made here on purpose with the scanner's test
switch) reaches Python as lmcap.ScanPanic naming the capture, never ends the interpreter, and
the command line turns it into exit 6 with one line of explanation, not a traceback."""

from __future__ import annotations

import functools
import subprocess
import sys

import pyarrow as pa
import pytest
from conftest import CAPTURES_DIR

import lmcap
from lmcap import _core
from lmcap.cli import main
from lmcap.exitcodes import EXIT_INTERNAL_ERROR

#: 2,000-odd frames: several chunks at 100 rows per batch
CAPTURE = CAPTURES_DIR / "jumbo" / "iperf-1500.pcap"


def _frames() -> int:
    return lmcap.read(CAPTURE).num_rows


@pytest.mark.parametrize("panic_at", [0, 3])
def test_a_panic_is_a_python_exception_naming_the_file_and_raised_again(panic_at: int) -> None:
    assert _frames() > 10 * 100
    scanner = _core.Scanner([str(CAPTURE)], batch_rows=100, _test_panic_at_chunk=panic_at)
    rows = 0
    with pytest.raises(lmcap.ScanPanic) as caught:
        while (batch := scanner.next_batch()) is not None:
            rows += pa.record_batch(batch).num_rows
    message = str(caught.value)
    assert str(CAPTURE) in message and "read to byte" in message
    assert f"test panic in chunk {panic_at}" in message
    # the chunks before the one that panicked may have been handed out, none after it
    assert rows <= panic_at * 100
    # and never a short scan after it: the same error again
    with pytest.raises(lmcap.ScanPanic):
        scanner.next_batch()
    # the interpreter and the library go on
    assert lmcap.read(CAPTURE).num_rows == _frames()


def test_a_panic_ends_an_arrow_stream_with_an_error_not_the_process() -> None:
    code = (
        "import pyarrow as pa, sys\n"
        "from lmcap import _core\n"
        f"s = _core.Scanner([{str(CAPTURE)!r}], batch_rows=100, _test_panic_at_chunk=2)\n"
        "try:\n"
        "    pa.RecordBatchReader.from_stream(s).read_all()\n"
        "except Exception as e:\n"
        "    print('raised', type(e).__name__, e)\n"
        "    sys.exit(0)\n"
        "sys.exit(9)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "test panic in chunk 2" in run.stdout and str(CAPTURE) in run.stdout


@pytest.mark.parametrize("command", ["analyze", "check"])
def test_the_command_line_exits_6_with_the_capture_named(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path
) -> None:
    panicking = functools.partial(_core.Scanner, _test_panic_at_chunk=0)
    monkeypatch.setattr(_core, "Scanner", panicking)
    argv = [command, str(CAPTURE)]
    if command == "check":
        rules = tmp_path / "rules.toml"
        rules.write_text('[[rule]]\nname = "quiet"\nkind = "findings"\nforbid = "arp-storm"\n')
        argv += ["--rules", str(rules)]
    assert main(argv) == EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.startswith("lmcap: internal error: lmcap stopped on a bug while reading")
    assert str(CAPTURE) in err and "Traceback" not in err
