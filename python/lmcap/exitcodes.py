"""Exit codes of every ``lmcap`` command: one table, shared by the CLI, ``lmcap check`` and the
docs (README "Exit codes", ``lmcap --help``). Add codes; never renumber one."""

from __future__ import annotations

#: Everything worked; for ``check``, every rule held.
EXIT_OK = 0
#: ``lmcap check``: at least one rule failed.
EXIT_CHECK_FAILED = 1
#: A usage mistake or an input that cannot be read at all (missing, a directory, unreadable,
#: empty, not a capture), a bad rules file, bad SQL: nothing was analysed.
EXIT_USAGE = 2
#: With ``--strict``: a capture could be read only in part (cut short or corrupt).
EXIT_CAPTURE_ERROR = 3
#: ``analyze --fail-on``: a finding at or above the given severity.
EXIT_FINDINGS = 4
#: DuckDB needed more memory than ``--memory-limit`` allows for a step it cannot spill to disk.
EXIT_OUT_OF_MEMORY = 5
#: lmcap stopped on a bug of its own (a panic of the Rust scanner, ``lmcap.ScanPanic``): the
#: message names the capture and how far it was read; report it with the capture.
EXIT_INTERNAL_ERROR = 6
#: Interrupted (Ctrl-C), as shells report SIGINT (128 + 2).
EXIT_INTERRUPTED = 130

#: (code, meaning) in order, for ``--help`` epilogs and the README table.
TABLE = (
    (EXIT_OK, "ok (for check: every rule held)"),
    (EXIT_CHECK_FAILED, "check: a rule failed"),
    (EXIT_USAGE, "usage error or unreadable input (missing, directory, empty, not a capture)"),
    (EXIT_CAPTURE_ERROR, "a capture was cut short or corrupt (with --strict)"),
    (EXIT_FINDINGS, "a finding at or above --fail-on"),
    (EXIT_OUT_OF_MEMORY, "out of memory under --memory-limit (raise it)"),
    (EXIT_INTERNAL_ERROR, "lmcap stopped on a bug of its own (report it with the capture)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)
