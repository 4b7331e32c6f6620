"""Text and bytes helpers kept from the 0.9.6 ``flask_oauthlib.utils`` module."""

from __future__ import annotations

import base64

__all__ = ["decode_base64", "to_bytes", "to_unicode"]


def to_bytes(text: str | bytes | None, encoding: str = "utf-8") -> bytes:
    """Encode ``text`` to bytes; bytes pass through and ``None`` becomes ``b""``."""
    if text is None:
        return b""
    if isinstance(text, bytes):
        return text
    return str(text).encode(encoding)


def to_unicode(text: str | bytes | None, encoding: str = "utf-8") -> str:
    """Decode ``text`` to ``str``; text passes through and ``None`` becomes ``""``."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        return text.decode(encoding)
    return str(text)


def decode_base64(text: str | bytes, encoding: str = "utf-8") -> str:
    """Decode a base64 string to text."""
    return base64.b64decode(to_bytes(text, encoding)).decode(encoding)
