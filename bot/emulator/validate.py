"""Check and convert request parameters against the Bot API spec.

Every request arrives as strings (query string, urlencoded or multipart form: PTB sends objects as JSON
text) or as native JSON values (a JSON body). ``Validator.params`` returns the parameters converted to
Python values (``int``, ``float``, ``bool``, ``str``, lists, dicts, ``Upload``) or raises ``ApiError``.

Conventions, as the Bot API server has them: an empty parameter counts as absent; numbers are accepted
where a String is expected; ``true/false/1/0/yes/no`` are Booleans; an object or array parameter sent as
text must be valid JSON. Unknown parameters are ignored (Telegram ignores them too). Where the server has
its own words for a missing parameter (``chat_id is empty``, ``message text is empty``) they are used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.envelope import bad_request
from bot.emulator.markup import parse_reply_markup
from bot.emulator.spec import BotApiSpec, FieldSpec, MethodSpec

_INT = re.compile(r"^[+-]?\d+$")
_SCALARS = frozenset({"String", "Integer", "Float", "InputFile"})
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_MISSING = {
    "chat_id": "chat_id is empty",
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "message_id": "message identifier is not specified",
}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request; ``data`` is the exact bytes the bot uploaded."""

    field: str
    filename: str
    content_type: str
    data: bytes


class TypeProblem(ValueError):
    """A value does not match its declared type; the message is the server-style explanation."""


class Validator:
    """Converts and checks parameters of one method, recursing into objects by the spec's types."""

    def __init__(self, spec: BotApiSpec) -> None:
        self.spec = spec

    def params(
        self, method: MethodSpec, raw: Mapping[str, Any], files: Mapping[str, Upload]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in method.fields:
            value = raw.get(f.name)
            if (value is None or value == "") and f.name in files:
                value = files[f.name]
            if value is None or value == "":
                if f.required:
                    raise bad_request(_MISSING.get(f.name, f'Parameter "{f.name}" is required'))
                continue
            if f.name == "reply_markup":
                markup = parse_reply_markup(value, self, files)
                if markup is not None:
                    out[f.name] = markup
                continue
            try:
                out[f.name] = self.top_level(value, f, files)
            except TypeProblem as exc:
                raise bad_request(str(exc)) from exc
        return out

    def top_level(self, value: Any, f: FieldSpec, files: Mapping[str, Upload]) -> Any:
        structured = any(_is_structured(t, self.spec) for t in f.types)
        if isinstance(value, str) and structured and not set(f.types) & _SCALARS:
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise TypeProblem(f"Can't parse {f.name.replace('_', ' ')} JSON object") from exc
        return self.coerce(value, f.types, f.name, files)

    def coerce(self, value: Any, types: tuple[str, ...], path: str, files: Mapping[str, Upload]) -> Any:
        """``value`` converted to the first of ``types`` it fits; ``TypeProblem`` when none fits."""
        inner: TypeProblem | None = None
        for t in types:
            try:
                return self.one(value, t, path, files)
            except _Mismatch:
                continue
            except TypeProblem as exc:
                inner = inner or exc
        if inner is not None:
            raise inner
        raise TypeProblem(f'Field "{path}" must be of type {" or ".join(types)}')

    def one(self, value: Any, t: str, path: str, files: Mapping[str, Upload]) -> Any:
        if t.startswith("Array of "):
            if not isinstance(value, list):
                raise _Mismatch
            item = t[len("Array of ") :]
            return [self.coerce(v, (item,), f"{path}[{i}]", files) for i, v in enumerate(value)]
        scalar = _scalar(value, t, files)
        if scalar is not _NO:
            return scalar
        spec = self.spec.type(t)
        if spec is None or not isinstance(value, dict):
            raise _Mismatch
        if spec.subtypes:
            for sub in self._ranked(t, spec.subtypes, value):
                try:
                    return self.one(value, sub, path, files)
                except (_Mismatch, TypeProblem):
                    continue
            raise TypeProblem(f'Field "{path}" must be a valid {t}')
        out: dict[str, Any] = {}
        for f in spec.fields:
            if f.name not in value:
                if f.required:
                    raise TypeProblem(f'Can\'t find field "{f.name}"' + (f' in {t} "{path}"' if path else ""))
                continue
            sub_path = f"{path}.{f.name}" if path else f.name
            out[f.name] = self.coerce(value[f.name], f.types, sub_path, files)
        return {**value, **out}

    def _ranked(self, union: str, subtypes: tuple[str, ...], value: dict[str, Any]) -> list[str]:
        """Members of a union, likeliest first: the one whose name matches ``type`` (``BotCommandScopeChat``
        for ``"chat"``), then the one that knows most of the given fields."""
        tag = str(value.get("type", ""))

        def rank(sub: str) -> tuple[bool, int]:
            spec = self.spec.type(sub)
            known = {f.name for f in spec.fields} if spec else set()
            return (_snake(sub.removeprefix(union)) == tag, len(known & set(value)))

        return sorted(subtypes, key=rank, reverse=True)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Mismatch(Exception):
    """The value is not of this candidate type (try the next one)."""


_NO = object()


def _scalar(value: Any, t: str, files: Mapping[str, Upload]) -> Any:
    """The value as scalar type ``t``, ``_NO`` if ``t`` is not a scalar, ``_Mismatch`` if it does not fit."""
    if t == "Integer":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value.strip())
        raise _Mismatch
    if t == "Float":
        if isinstance(value, bool):
            raise _Mismatch
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _Mismatch from None
        raise _Mismatch
    if t == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Mismatch
    if t == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _Mismatch
    if t == "InputFile":
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value.startswith("attach://"):
            name = value[len("attach://") :]
            if name in files:
                return files[name]
            raise TypeProblem(f"Wrong file identifier/HTTP URL specified: no file part named {name!r}")
        raise _Mismatch
    return _NO


def _is_structured(t: str, spec: BotApiSpec) -> bool:
    return t.startswith("Array of ") or spec.type(t) is not None
