"""RFC 6750: reading a bearer token from a request and answering a failed one."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

__all__ = ["NOT_FROM_QUERY", "bearer_error", "refusal", "token_from_header"]

#: the description when a token came in the query or form and that is switched off
NOT_FROM_QUERY = (
    "Access tokens in the query string or form body are not accepted;"
    " send an Authorization: Bearer header."
)


def token_from_header(auth: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or ``None``."""
    if not auth:
        return None
    scheme, _, token = auth.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bearer_error(
    error: str | None,
    description: str,
    status: int,
    realm: str | None = None,
    scope: str | None = None,
) -> Response:
    """A JSON error with the matching ``WWW-Authenticate`` challenge (RFC 6750 3).

    Without ``error`` (a request that sent no token, RFC 6750 3.1) the challenge names
    only the realm and the body only the description.
    """
    params = [("realm", realm), ("error", error)]
    if error:
        params += [("error_description", description), ("scope", scope)]
    challenge = "Bearer " + ", ".join(f"{k}={_quoted(v)}" for k, v in params if v)
    body = (
        {"error": error, "error_description": description}
        if error
        else {"error_description": description}
    )
    return Response(
        json.dumps(body),
        status=status,
        mimetype="application/json",
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )


def refusal(oauth_request: Any, realm: str, scopes: list[str]) -> Response:
    """The answer to a request ``require_oauth`` refused: 401 without an error code when
    no token was sent, 401 ``invalid_token``, or 403 ``insufficient_scope`` naming the
    scopes the resource needs."""
    description = getattr(oauth_request, "error_message", None) or "The access token is invalid."
    if getattr(oauth_request, "insufficient_scope", False):
        return bearer_error("insufficient_scope", description, 403, realm, " ".join(scopes))
    if getattr(oauth_request, "token_missing", False):
        return bearer_error(None, description, 401, realm)
    return bearer_error("invalid_token", description, 401, realm)
