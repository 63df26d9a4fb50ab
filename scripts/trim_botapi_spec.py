"""Trim the published Bot API description to the facts the emulator checks against.

Reads the full machine-readable Bot API description (``api.json``: methods and types with prose) and
writes ``bot/emulator/botapi_spec.json`` with facts only: the API version and release date, and for every
method and type its fields (name, types, required flag), what a method returns, and which types are
unions of which (``subtypes`` / ``subtype_of``). No descriptions, links or changelog.

The output is committed: a user's clone has no reference directory, and tests read only the trimmed file.

    python scripts/trim_botapi_spec.py [SOURCE] [DEST]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/work/shared/reference/telegram-bot-api/api.json")
DEFAULT_DEST = ROOT / "bot" / "emulator" / "botapi_spec.json"


def _fields(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": f["name"], "types": list(f["types"]), "required": bool(f["required"])}
        for f in entry.get("fields", [])
    ]


def trim(api: dict[str, Any]) -> dict[str, Any]:
    """The facts of ``api`` (the parsed ``api.json``), in a stable order."""
    methods: dict[str, Any] = {}
    for name in sorted(api["methods"]):
        entry = api["methods"][name]
        methods[name] = {"returns": list(entry.get("returns", [])), "fields": _fields(entry)}
    types: dict[str, Any] = {}
    for name in sorted(api["types"]):
        entry = api["types"][name]
        out: dict[str, Any] = {"fields": _fields(entry)}
        for key in ("subtypes", "subtype_of"):
            if entry.get(key):
                out[key] = list(entry[key])
        types[name] = out
    return {
        "version": api["version"],
        "release_date": api["release_date"],
        "methods": methods,
        "types": types,
    }


def render(spec: dict[str, Any]) -> str:
    """The file text: one method or type per line keeps diffs between API versions readable."""
    lines = ["{"]
    lines.append(f'  "version": {json.dumps(spec["version"])},')
    lines.append(f'  "release_date": {json.dumps(spec["release_date"])},')
    for section, last in (("methods", False), ("types", True)):
        lines.append(f'  "{section}": {{')
        items = list(spec[section].items())
        for i, (name, body) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"    {json.dumps(name)}: {json.dumps(body, ensure_ascii=False)}{comma}")
        lines.append("  }" + ("" if last else ","))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"no Bot API description at {args.source}", file=sys.stderr)
        return 2
    spec = trim(json.loads(args.source.read_text(encoding="utf-8")))
    args.dest.write_text(render(spec), encoding="utf-8")
    print(f"{spec['version']}: {len(spec['methods'])} methods, {len(spec['types'])} types -> {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
