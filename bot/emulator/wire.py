"""Reading a Bot API request: parameters from the query string and the body, files from multipart.

Like the Bot API server, query-string parameters and body parameters are merged (the body wins). JSON
bodies keep their native values; form bodies give strings; multipart file parts become ``Upload``s.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.emulator.envelope import bad_request
from bot.emulator.validate import Upload


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return raw, files
    ctype = request.content_type
    if ctype == "application/json":
        text = await request.text()
        if text.strip():
            try:
                body = json.loads(text)
            except json.JSONDecodeError as exc:
                raise bad_request(f"Can't parse JSON encoded request: {exc.msg}") from exc
            if isinstance(body, dict):
                raw.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(key, value.filename, value.content_type, value.file.read())
            else:
                raw[key] = value
    return raw, files
