"""``private_key_jwt`` client authentication (RFC 7523 section 2.2, OpenID Connect Core 9).

A confidential client that holds a private key instead of a shared secret proves who it
is with a short-lived JWT signed with that key: ``iss`` and ``sub`` its client id,
``aud`` the authorization server (its issuer identifier when known, else the token
endpoint's URL), ``iat``, ``exp`` (:data:`LIFETIME` seconds later) and a one-time
``jti``. The request carries it as ``client_assertion`` with ``client_assertion_type``
:data:`ASSERTION_TYPE`, and no secret. The remote app sends one at its token endpoint
(code exchange, refresh) and its pushed authorization request endpoint
(:mod:`~flask_oauthlib_client.par`) when configured with
``token_endpoint_auth_method="private_key_jwt"`` and ``client_private_key`` (PEM or
JWK; ``client_key_id`` its ``kid``)::

    oauth.remote_app(
        "corp", consumer_key="my-app", server_metadata_url=...,
        token_endpoint_auth_method="private_key_jwt",
        client_private_key=open("client-key.pem").read(), client_key_id="2024-01",
    )

.. versionadded:: 1.2
"""

from __future__ import annotations

import secrets

from flask_oauthlib_core import utcnow

from .keys import SigningKey

__all__ = ["ASSERTION_TYPE", "LIFETIME", "client_assertion"]

#: ``client_assertion_type`` of a JWT assertion (RFC 7523 section 2.2)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: seconds an assertion is valid for
LIFETIME = 60


def client_assertion(
    key: SigningKey, client_id: str, audience: str, now: float | None = None
) -> str:
    """A signed client assertion for ``client_id`` meant for ``audience``.

    :param key: the client's private key (its ``kid`` goes in the header).
    :param client_id: ``iss`` and ``sub``.
    :param audience: ``aud``: the server's issuer identifier, or its token endpoint URL.
    :param now: the time of issue (seconds since the epoch); the clock's now.
    """
    issued = int(utcnow().timestamp() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + LIFETIME,
        "jti": secrets.token_urlsafe(24),
    }
    return key.sign(claims)
