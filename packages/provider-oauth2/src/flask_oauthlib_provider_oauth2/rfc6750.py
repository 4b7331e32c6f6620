"""RFC 6750: reading a bearer token from a request and answering a failed one."""

from __future__ import annotations

import json

from flask import Response

__all__ = ["bearer_error", "token_from_header"]


def token_from_header(auth: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or ``None``."""
    if not auth:
        return None
    scheme, _, token = auth.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def bearer_error(error: str, description: str, status: int) -> Response:
    """A JSON error with the matching ``WWW-Authenticate`` challenge (RFC 6750 3)."""
    challenge = f'Bearer error="{error}", error_description="{description}"'
    body = json.dumps({"error": error, "error_description": description})
    return Response(
        body,
        status=status,
        mimetype="application/json",
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )
