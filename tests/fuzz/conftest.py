"""Shared pieces of the fuzz suite: a tally of the inputs tried (a violation fails its test).

Every property records each example it runs with :func:`tally`; the terminal summary prints the counts
per property (these are the figures in docs/reliability.md, "Bad input").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

TRIED: Counter[str] = Counter()


def tally(what: str) -> None:
    TRIED[what] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TRIED:
        return
    terminalreporter.section("fuzz: inputs tried")
    for what, n in sorted(TRIED.items()):
        terminalreporter.write_line(f"{what:<40} {n:>7}")
    terminalreporter.write_line(f"{'total':<40} {sum(TRIED.values()):>7}")
