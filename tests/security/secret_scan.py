"""Session-wide scan for the test secrets (a pytest plugin, registered in tests/conftest.py).

Every test's captured stdout and stderr (the product's console log included), every failure report (tracebacks included), and
at the end of the session every log, JSON, CSV, text and Markdown file under the session's temporary
directory (log dirs, state exports, replay outputs) is searched for the distinctive secrets of
``tests/security/secrets.py``. A hit fails the session and names the test or file and the secret.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.security.secrets import found_in

LEAKS: list[str] = []
SCANNED: Counter[str] = Counter()
_FILE = re.compile(r"\.(log(\.\d+)?|json|jsonl|csv|txt|md|html|yaml)$")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for title, content in report.sections:
        if title.startswith("Captured log"):
            # pytest's own record capture sees log records before the product's handlers redact
            # them; what the product writes is scanned in its console output and its log files.
            continue
        SCANNED["captured outputs"] += 1
        for name in found_in(content):
            LEAKS.append(f"{report.nodeid} [{title}]: {name}")
    if report.failed and report.longrepr is not None:
        SCANNED["failure reports"] += 1
        for name in found_in(report.longreprtext):
            LEAKS.append(f"{report.nodeid} [failure report]: {name}")


def scan_files(base: Path) -> list[str]:
    hits = []
    for path in base.rglob("*"):
        if not path.is_file() or not _FILE.search(path.name) or path.stat().st_size > 50 * 2**20:
            continue
        SCANNED["files"] += 1
        text = path.read_text("utf-8", errors="replace")
        hits += [f"{path}: {name}" for name in found_in(text)]
    return hits


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None) if factory is not None else None
    if base is not None and Path(base).exists():
        LEAKS.extend(scan_files(Path(base)))
    if LEAKS and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SCANNED and not LEAKS:
        return
    counts = ", ".join(f"{n} {what}" for what, n in sorted(SCANNED.items()))
    if LEAKS:
        terminalreporter.section("secret scan: LEAKS", red=True)
        for leak in LEAKS[:50]:
            terminalreporter.write_line(leak)
        terminalreporter.write_line(f"{len(LEAKS)} leak(s) of test secrets; scanned {counts}")
    elif SCANNED:
        terminalreporter.write_line(f"secret scan: no test secret in {counts}")
