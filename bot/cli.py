"""Console entry point: the core's command families plus the front ends'."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from core.cli import main as core_main


def main(argv: Sequence[str] | None = None) -> int:
    from bot import demo_cmd, run_cmd

    return core_main(argv, families=[run_cmd, demo_cmd])


if __name__ == "__main__":
    sys.exit(main())
