"""Just enough parsing to check the facts of Dockerfile, .dockerignore and Compose files without Docker.

- :func:`parse_dockerfile`: stages with their instructions (line continuations joined, comments dropped);
- :class:`DockerIgnore`: Docker's ``.dockerignore`` matching (``*``, ``?``, ``**``, ``!`` exceptions,
  last match wins, a matched directory excludes everything under it);
- :func:`interpolate`: Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR-default}``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str  # the rest of the (joined) line

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON array form (``["a", "b"]``) of CMD/ENTRYPOINT/RUN, or None for the shell form."""
        text = self.args.strip()
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list)
            return [str(v) for v in value]
        return None

    def flags(self) -> dict[str, str]:
        """Leading ``--name=value`` flags (COPY --from=..., HEALTHCHECK --interval=...)."""
        out = {}
        for token in shlex.split(self.args):
            if not token.startswith("--"):
                break
            name, _, value = token[2:].partition("=")
            out[name] = value
        return out

    def words(self) -> list[str]:
        """Arguments after the flags, shell-split."""
        tokens = shlex.split(self.args)
        return [t for t in tokens if not t.startswith("--")] if tokens else []


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """ENV key=value pairs of this stage (the ``ENV a=1 b=2`` form)."""
        out: dict[str, str] = {}
        for ins in self.all("ENV"):
            for token in shlex.split(ins.args):
                key, sep, value = token.partition("=")
                assert sep, f"ENV without '=': {ins.args!r} (use the key=value form)"
                out[key] = value
        return out


def logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        lines.append(current)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line in logical_lines(path.read_text("utf-8")):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif keyword == "ARG" and not stages:
            continue
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append(Instruction(keyword, args.strip()))
    return stages


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


class DockerIgnore:
    def __init__(self, text: str) -> None:
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line[1:] if negate else line
            pattern = pattern.strip().strip("/")
            if pattern.startswith("./"):
                pattern = pattern[2:]
            self.rules.append((negate, _pattern_regex(pattern)))

    def excluded(self, path: str) -> bool:
        """Whether ``path`` (relative to the context, ``/``-separated) is left out of the build context."""
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        result = False
        for negate, rx in self.rules:
            if any(rx.fullmatch(p) for p in prefixes):
                result = not negate
        return result


_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\}")


def variables(text: str) -> set[str]:
    """Names of the ``${VAR...}`` references in ``text``."""
    return {m.group("name") for m in _VAR.finditer(text)}


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose interpolation of ``${VAR}``, ``${VAR:-default}`` (unset or empty) and ``${VAR-default}``."""

    def sub(m: re.Match[str]) -> str:
        name, op, default = m.group("name"), m.group("op"), m.group("default") or ""
        value = env.get(name)
        if op == ":-":
            return value if value else default
        if op == "-":
            return value if value is not None else default
        return value or ""

    return _VAR.sub(sub, text)


def files_under(root: Path, rel: str) -> Iterable[str]:
    """Every file under ``root/rel`` as a context-relative path (caches skipped)."""
    base = root / rel
    if base.is_file():
        yield rel
        return
    for p in sorted(base.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            yield p.relative_to(root).as_posix()
