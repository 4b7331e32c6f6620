"""What RFC 7591 (OAuth 2.0 Dynamic Client Registration) says about a registration's
answer, for the client: the checks of a registration (section 3.2.1), the error answer
(section 3.2.2), and when a registered secret has expired. The remote app's side,
:meth:`~flask_oauthlib_client.OAuthRemoteApp.register`, is
:mod:`~flask_oauthlib_client.registration`.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_oauthlib_core import utcnow

from .exceptions import OAuthException

__all__ = [
    "AUTH_METHODS",
    "MAX_DESCRIPTION",
    "PUBLIC",
    "refusal",
    "registration_problem",
    "secret_expired",
]

#: the token endpoint authentication methods this client can use (RFC 7591 2)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
#: the ``token_endpoint_auth_method`` of a public client
PUBLIC = "none"
#: how much of a server's ``error_description`` goes into a message
MAX_DESCRIPTION = 200


def _is_text(value: Any) -> bool:
    """A non-empty string without control characters."""
    return (
        isinstance(value, str)
        and bool(value)
        and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    )


def registration_problem(answer: Any, asked_method: str) -> str | None:
    """What is wrong with a registration (RFC 7591 3.2.1), or ``None`` if nothing is.

    A JSON object with a ``client_id``; a ``token_endpoint_auth_method`` (the one asked
    for when missing) this client can use; a ``client_secret`` unless that method is
    ``none``; strings for the RFC 7592 ``registration_access_token`` and
    ``registration_client_uri`` and a number for ``client_secret_expires_at`` if present.
    The message never holds a value of the answer.

    :param answer: the parsed answer (or what a loader returned).
    :param asked_method: the ``token_endpoint_auth_method`` the client asked for.
    """
    if not isinstance(answer, Mapping):
        return "is not a JSON object"
    if not _is_text(answer.get("client_id")):
        return "has no client_id"
    method = answer.get("token_endpoint_auth_method", asked_method)
    if method not in AUTH_METHODS:
        return "names a token_endpoint_auth_method this client cannot use"
    if method != PUBLIC and not _is_text(answer.get("client_secret")):
        return "has no client_secret for a confidential client"
    for key in ("registration_access_token", "registration_client_uri"):
        if key in answer and not _is_text(answer[key]):
            return f"has a {key} that is not a string"
    expires_at = answer.get("client_secret_expires_at")
    if expires_at is not None and (
        isinstance(expires_at, bool) or not isinstance(expires_at, int | float)
    ):
        return "has a client_secret_expires_at that is not a number"
    return None


def secret_expired(registration: Mapping[str, Any]) -> bool:
    """Whether the registration's ``client_secret_expires_at`` (``0``: never) passed."""
    expires_at = registration.get("client_secret_expires_at") or 0
    return bool(registration.get("client_secret")) and 0 < expires_at <= utcnow().timestamp()


def refusal(name: str, status: int, content: bytes) -> OAuthException:
    """The exception for a registration endpoint's error answer: its ``error`` and
    ``error_description`` (RFC 7591 3.2.2) in the message and as ``data``."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        body = None
    data: dict[str, str] = {}
    if isinstance(body, dict):
        for key in ("error", "error_description"):
            value = body.get(key)
            if isinstance(value, str):
                data[key] = "".join(c for c in value[:MAX_DESCRIPTION] if c.isprintable())
    said = ": ".join(data[key] for key in ("error", "error_description") if key in data)
    if 300 <= status < 400:
        said = "a redirect, which registration requests do not follow"
    message = f"{name}: the registration endpoint answered {status}"
    if said:
        message += f" ({said})"
    return OAuthException(message, type="registration_failed", data=data or None)
