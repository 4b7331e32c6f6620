"""Signed authorization requests: the request object (RFC 9101, JAR).

With ``request_object_signing_alg`` (and ``client_private_key``) a remote app signs its
OAuth 2 authorization request: every parameter (``response_type``, ``client_id``,
``redirect_uri``, ``scope``, ``state``, the PKCE challenge, ``nonce``, ``dpop_jkt``,
``resource`` as a list when there are several ...) becomes a claim of a JWT, with ``iss``
the client id, ``aud`` the server's issuer identifier, ``iat``, ``nbf``, ``exp``
(:data:`LIFETIME` seconds later) and a one-time ``jti``, typed
``oauth-authz-req+jwt`` (RFC 9101 section 10.8). The browser then carries only
``client_id`` and ``request`` (by value), or, with pushed authorization requests, the
pair is pushed (:mod:`~flask_oauthlib_client.par`) and the browser carries a
``request_uri``. A server whose metadata says ``require_signed_request_object`` gets a
signed request whenever the client has a key. Nothing the browser sees can be altered
without breaking the signature.

.. versionadded:: 1.2
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask_oauthlib_core import utcnow

from .keys import SigningKey

__all__ = ["LIFETIME", "REQUEST_OBJECT_TYPE", "request_object"]

#: the ``typ`` of a request object (RFC 9101 section 10.8)
REQUEST_OBJECT_TYPE = "oauth-authz-req+jwt"
#: seconds a request object is valid for
LIFETIME = 300


def request_object(
    params: Iterable[tuple[str, str]],
    key: SigningKey,
    client_id: str,
    audience: str,
    now: float | None = None,
) -> str:
    """The signed request object of an authorization request.

    :param params: the request's parameters as pairs; a name given several times
        (``resource``) becomes a list.
    :param key: the client's private key.
    :param client_id: ``iss`` (and ``client_id``).
    :param audience: ``aud``, the server's issuer identifier.
    :param now: the time of issue (seconds since the epoch); the clock's now.
    """
    claims: dict[str, Any] = {}
    for name, value in params:
        if name in claims:
            known = claims[name]
            claims[name] = [*(known if isinstance(known, list) else [known]), value]
        else:
            claims[name] = value
    issued = int(utcnow().timestamp() if now is None else now)
    claims.update(
        iss=client_id,
        client_id=client_id,
        aud=audience,
        iat=issued,
        nbf=issued,
        exp=issued + LIFETIME,
        jti=secrets.token_urlsafe(24),
    )
    return key.sign(claims, {"typ": REQUEST_OBJECT_TYPE})
