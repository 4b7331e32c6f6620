"""DPoP (RFC 9449) test helpers: proofs written with PyJWT and cryptography directly,
and the in-memory provider app whose setters keep ``dpop_jkt``."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from oauth2_app import Store, create_app

from flask_oauthlib_provider_oauth2 import OAuth2Provider

#: the URL of the test client's protected resource and token endpoint
RESOURCE = "http://localhost/api/me"
TOKEN_URL = "http://localhost/oauth/token"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: Any) -> dict[str, str]:
    """The public JWK of a private EC P-256 or RSA key."""
    numbers = key.public_key().public_numbers()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x.to_bytes(32, "big")),
            "y": b64(numbers.y.to_bytes(32, "big")),
        }
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "e": b64(numbers.e.to_bytes(3, "big")), "n": b64(n)}


def jkt(key: Any) -> str:
    """The RFC 7638 thumbprint of ``key``'s public JWK."""
    members = dict(sorted(public_jwk(key).items()))
    return b64(hashlib.sha256(json.dumps(members, separators=(",", ":")).encode()).digest())


def ec_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def proof(
    key: Any,
    method: str = "GET",
    url: str = RESOURCE,
    *,
    access_token: str | None = None,
    alg: str | None = None,
    jwk: dict[str, Any] | None = None,
    typ: str = "dpop+jwt",
    **claims: Any,
) -> str:
    """A DPoP proof signed with ``key`` for ``method`` and ``url``; ``claims`` add to or
    replace (``None``: leave out) ``jti``, ``htm``, ``htu``, ``iat``, ``ath``."""
    alg = alg or ("ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256")
    body: dict[str, Any] = {
        "jti": uuid.uuid4().hex,
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
    }
    if access_token is not None:
        body["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    header = {"typ": typ, "jwk": public_jwk(key) if jwk is None else jwk}
    return jwt.encode(body, key, algorithm=alg, headers=header)


def dpop_app(store: Store | None = None, **config: Any) -> tuple[Flask, OAuth2Provider, Store]:
    """The in-memory provider app, its setters keeping ``request.dpop_jkt`` on codes and
    tokens as ``dpop_jkt``."""
    app, oauth, store = create_app(store, **config)
    save_grant, save_token = store.functions["grantsetter"], store.functions["tokensetter"]

    @oauth.grantsetter
    def keep_grant(client_id: str, code: dict[str, str], req: Any, *args: Any, **kw: Any) -> Any:
        grant = save_grant(client_id, code, req, *args, **kw)
        grant.dpop_jkt = getattr(req, "dpop_jkt", None)
        return grant

    @oauth.tokensetter
    def keep_token(token: dict[str, Any], req: Any, *args: Any, **kw: Any) -> Any:
        tok = save_token(token, req, *args, **kw)
        tok.dpop_jkt = getattr(req, "dpop_jkt", None)
        tok.token_type = token["token_type"]
        return tok

    return app, oauth, store
