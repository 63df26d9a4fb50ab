"""Run all benchmarks (or those named on the command line) and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("names", nargs="*", help="bench module names without bench_ (default: all)")
    p.add_argument("--full", action="store_true", help="longer runs (default: the short versions)")
    p.add_argument(
        "--no-write",
        action="store_true",
        help="print only; leave docs/benchmarks.md alone (named benchmarks replace only their own sections)",
    )
    args = p.parse_args(argv)
    modules = sorted(f.stem for f in Path(__file__).parent.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    sections = []
    for name in modules:
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        section = mod.run(quick=not args.full)
        print(section)
        sections.append(section)
    header = (
        "# Benchmarks\n\n"
        f"Made by `make bench` (`python -m benchmarks`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{_cpu()}. Ratios compare against a peer measured in the same run.\n"
    )
    if not args.no_write and not args.names:
        DOC.write_text(header + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    elif not args.no_write and DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        for section in sections:
            text = replace_section(text, section)
        DOC.write_text(text, encoding="utf-8")
        print(f"updated {len(sections)} section(s) of {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


def replace_section(doc: str, section: str) -> str:
    """Put ``section`` (starting ``## Title``) in place of the doc's section of that title, or append it."""
    title = section.split("\n", 1)[0]
    lines = doc.rstrip("\n").split("\n")
    if title not in lines:
        return doc.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    start = lines.index(title)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    kept_after = lines[end:]
    out = lines[:start] + section.rstrip("\n").split("\n") + (["", *kept_after] if kept_after else [])
    return "\n".join(out) + "\n"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
