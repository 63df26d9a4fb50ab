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
        if args.full:
            section = as_full_run(section)
        print(section)
        sections.append(section)
    header = (
        "# Benchmarks\n\n"
        f"Made by `make bench` (`python -m benchmarks`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{_cpu()}. Ratios compare against a peer measured in the same run.\n"
    )
    if not args.no_write and not args.names:
        old = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        merged = with_full_runs(sections, old)
        DOC.write_text(header + "\n" + "\n\n".join(merged) + "\n", encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    elif not args.no_write and DOC.exists():
        text = DOC.read_text(encoding="utf-8")
        for section in sections:
            text = replace_section(text, section)
        DOC.write_text(text, encoding="utf-8")
        print(f"updated {len(sections)} section(s) of {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


FULL = " (full run)"


def as_full_run(section: str) -> str:
    """Title a ``--full`` run's section ``## Name (full run)``: it is kept apart from the short run's."""
    title, _, rest = section.partition("\n")
    return title + FULL + "\n" + rest if not title.endswith(FULL) else section


def sections_of(doc: str) -> list[str]:
    """The ``## `` sections of a doc (each with its ``###`` subsections), without the text before them."""
    out: list[str] = []
    for line in doc.rstrip("\n").split("\n"):
        if line.startswith("## "):
            out.append(line)
        elif out:
            out[-1] += "\n" + line
    return [s.rstrip("\n") for s in out]


def with_full_runs(sections: list[str], old_doc: str) -> list[str]:
    """``sections`` (a whole ``make bench`` run), each followed by the full run of the same benchmark kept
    from ``old_doc``: ``make bench`` runs the short versions and must not drop the long ones, which are
    re-run by hand (``python -m benchmarks NAME --full``)."""
    kept = {s.split("\n", 1)[0]: s for s in sections_of(old_doc) if s.split("\n", 1)[0].endswith(FULL)}
    out: list[str] = []
    for section in sections:
        out.append(section)
        full = kept.pop(section.split("\n", 1)[0] + FULL, None)
        if full is not None:
            out.append(full)
    return out + list(kept.values())


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
