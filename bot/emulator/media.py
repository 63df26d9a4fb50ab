"""Uploaded photos: what Telegram checks before it accepts one (format and dimensions)."""

from __future__ import annotations

import struct

from bot.emulator.envelope import bad_request


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of a PNG, JPEG, GIF or WebP image; ``None`` if it is none of them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp", 0, 0
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "jpeg", width, height
        i += 2 + length
    return None


def checked_photo(data: bytes) -> tuple[int, int]:
    """Width and height of an acceptable photo; Telegram's error for anything it would refuse."""
    found = image_size(data)
    if found is None:
        raise bad_request("IMAGE_PROCESS_FAILED", kind="format")
    _, width, height = found
    if width and height and (width + height > 10000 or max(width, height) > 20 * min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS", kind="format")
    return width, height
