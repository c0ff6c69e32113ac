"""A pytest plugin that prints how long each notebook took under nbval (``make test``).

Loaded with ``-p tests.plugins.timing``; sums the time of every cell of a notebook
so that the 3-minutes-per-notebook budget is visible on every test run.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

NOTEBOOK_BUDGET_S = 180
_seconds: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add each notebook cell's setup/call/teardown time to its notebook's total."""
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the per-notebook table, flagging any notebook over its budget."""
    if not _seconds:
        return
    terminalreporter.section("notebook execution time (nbval)")
    for path, seconds in sorted(_seconds.items()):
        flag = "  OVER BUDGET" if seconds > NOTEBOOK_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")
    terminalreporter.write_line(f"{sum(_seconds.values()):7.1f} s  total")
