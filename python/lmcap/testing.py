"""Checks on captures for teams that test their networks inside their own pytest suites.

    from lmcap.testing import assert_capture

    def test_migration_network():
        assert_capture("captures/migration.pcap", "checks/migration.toml")

``assert_capture(path, rules)`` takes the path of a rules file (docs/check.md) or a dict of
the same shape and raises ``AssertionError`` with the lines ``lmcap check`` would print when a
rule fails. A bad rules file or an unreadable capture raises :class:`CheckError`.
"""

from __future__ import annotations

from lmcap.check import CheckError, Result, assert_capture, load_rules

__all__ = ["CheckError", "Result", "assert_capture", "load_rules"]
