"""Hardening tests: print how many fuzz cases ran (tests/hardening/test_fuzz.py), whatever the
outcome and without ``-s``."""

import sys


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    fuzzing = sys.modules.get("tests.hardening.fuzzing")
    counts = getattr(fuzzing, "COUNTS", None)
    if not counts:
        return
    terminalreporter.section("fuzz cases run")
    total = 0
    for kind, n in sorted(counts.items()):
        terminalreporter.write_line(f"{kind}: {n}")
        if kind != "socket sessions":
            total += n
    terminalreporter.write_line(f"total requests and frames: {total}")
