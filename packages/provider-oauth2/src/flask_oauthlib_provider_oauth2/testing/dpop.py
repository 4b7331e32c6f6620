"""A client's DPoP key for tests: its thumbprint, and proofs (RFC 9449) signed with it.

.. versionadded:: 1.1
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from ..dpop_proof import access_token_hash, normalize_htu
from ..jwks import _jwt, generate_key, load_key, thumbprint

__all__ = ["DPoPKey"]

#: the members of an EC public JWK, those RFC 7638 hashes
_PUBLIC_MEMBERS = ("crv", "kty", "x", "y")


@dataclass(frozen=True)
class DPoPKey:
    """An EC P-256 key pair a test client proves possession of (``ES256``).

    ::

        key = DPoPKey.generate()
        headers = {"Authorization": "DPoP " + token, "DPoP": key.proof("GET", url, token)}

    :ivar private: the private key (a ``cryptography`` object).
    :ivar jwk: the public key as a JWK.
    :ivar jkt: its RFC 7638 thumbprint, what a bound token keeps as ``dpop_jkt``.

    .. versionadded:: 1.1
    """

    private: Any = field(repr=False)
    jwk: dict[str, str]
    jkt: str

    @classmethod
    def generate(cls) -> DPoPKey:
        """A new key pair.

        :raises ImportError: without PyJWT and cryptography (the ``oidc`` extra).
        """
        _jwt()
        private = generate_key("ES256")
        public = {name: str(load_key(private).jwk[name]) for name in _PUBLIC_MEMBERS}
        return cls(private, public, thumbprint(public))

    def proof(
        self,
        method: str,
        url: str,
        access_token: str | None = None,
        *,
        nonce: str | None = None,
        **claims: Any,
    ) -> str:
        """A proof for one request (used once: the provider records its ``jti``).

        :param method: the request's HTTP method.
        :param url: its absolute URL (the query and fragment are left out of ``htu``).
        :param access_token: the token sent with it, at a protected resource (``ath``).
        :param nonce: the provider's ``DPoP-Nonce``, when it asks for one.
        :param claims: claims over the proof's (``None`` leaves one out), to test a
            refusal.
        """
        body: dict[str, Any] = {
            "jti": secrets.token_urlsafe(16),
            "htm": method.upper(),
            "htu": normalize_htu(url),
            "iat": int(time.time()),
        }
        if access_token is not None:
            body["ath"] = access_token_hash(access_token)
        if nonce is not None:
            body["nonce"] = nonce
        body.update(claims)
        headers = {"typ": "dpop+jwt", "jwk": dict(self.jwk)}
        payload = {k: v for k, v in body.items() if v is not None}
        token = _jwt().encode(payload, self.private, algorithm="ES256", headers=headers)
        return token if isinstance(token, str) else token.decode("ascii")
