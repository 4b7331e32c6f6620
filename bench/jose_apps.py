"""The apps of the JOSE scenarios: DPoP-bound tokens (RFC 9449) and JWT access tokens
(RFC 9068) at a protected route, and the proofs and tokens their requests carry.

As in :mod:`apps`, clients and tokens live in plain dicts. Proofs and tokens are made
here with PyJWT and cryptography directly, never with the provider's own helpers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from apps import CLIENT_ID, CLIENT_SECRET, OIDC_ISSUER, USER, VALID_TOKEN
from flask import Flask, jsonify, request

DPOP_TOKEN = "dpop-bound-token-0123456789"
RESOURCE = "http://127.0.0.1/api/me"
#: seconds a DPoP proof stays acceptable: the whole pool of a full run is made before
#: its first request, and the default (60) is too short for a slow machine to spend it
DPOP_MAX_AGE = 300
#: the users a JWT access token's ``sub`` names
USERS = {str(USER.id): USER}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# -- DPoP (RFC 9449) ------------------------------------------------------------------------


def dpop_key() -> Any:
    """A fresh P-256 key: the client's DPoP key (its proofs are ES256)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: Any) -> dict[str, str]:
    """The public JWK of a P-256 private key."""
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }


def jkt(key: Any) -> str:
    """The RFC 7638 thumbprint of ``key``'s public JWK: what a bound token keeps."""
    canonical = json.dumps(dict(sorted(public_jwk(key).items())), separators=(",", ":"))
    return b64(hashlib.sha256(canonical.encode()).digest())


def dpop_proofs(key: Any, access_token: str, count: int, method: str = "GET") -> list[str]:
    """``count`` proofs of ``key`` for ``method`` on RESOURCE with ``access_token``
    (``ath``), each with a jti of its own: a server accepts every one once."""
    import jwt

    headers = {"typ": "dpop+jwt", "jwk": public_jwk(key)}
    ath = b64(hashlib.sha256(access_token.encode()).digest())
    now = int(time.time())
    return [
        jwt.encode(
            {
                "jti": secrets.token_urlsafe(16),
                "htm": method,
                "htu": RESOURCE,
                "iat": now,
                "ath": ath,
            },
            key,
            algorithm="ES256",
            headers=headers,
        )
        for _ in range(count)
    ]


def ours_dpop_app(key: Any) -> Flask:
    """Our provider's protected route with two stored tokens: DPOP_TOKEN, bound to
    ``key``, and VALID_TOKEN, a plain bearer token (the comparison)."""
    from flask_oauthlib.provider import OAuth2Provider

    app = Flask("ours_dpop")
    app.config.update(OAUTH2_PROVIDER_DPOP_ENABLED=True, OAUTH2_PROVIDER_DPOP_MAX_AGE=DPOP_MAX_AGE)
    oauth = OAuth2Provider(app)
    client = SimpleNamespace(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        is_confidential=True,
        user=USER,
        redirect_uris=["http://127.0.0.1/cb"],
        default_redirect_uri="http://127.0.0.1/cb",
        default_scopes=["email"],
    )
    expires = datetime.now(timezone.utc) + timedelta(days=1)
    tokens: dict[str, Any] = {
        value: SimpleNamespace(
            access_token=value,
            refresh_token=None,
            client_id=CLIENT_ID,
            client=client,
            scopes=["email"],
            user=USER,
            expires=expires,
            dpop_jkt=bound,
        )
        for value, bound in ((DPOP_TOKEN, jkt(key)), (VALID_TOKEN, None))
    }

    oauth.clientgetter(lambda client_id: client if client_id == CLIENT_ID else None)
    oauth.grantgetter(lambda client_id, code: None)
    oauth.grantsetter(lambda client_id, code, req, *a, **k: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: tokens.get(access_token or ""))
    oauth.tokensetter(lambda token, req, *a, **k: None)

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    return app


# -- JWT access tokens (RFC 9068) -----------------------------------------------------------


def jwt_access_token(private_pem: str, kid: str, lifetime: int = 86400) -> str:
    """An RS256 JWT access token as RFC 9068 2 shapes it (``typ: at+jwt``), issued by
    OIDC_ISSUER for itself (the audience both resource servers accept), to the bench
    client for user 1 with scope ``email``."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": OIDC_ISSUER,
        "exp": now + lifetime,
        "aud": OIDC_ISSUER,
        "sub": str(USER.id),
        "client_id": CLIENT_ID,
        "iat": now,
        "jti": secrets.token_urlsafe(16),
        "scope": "email",
    }
    return jwt.encode(claims, private_pem, algorithm="RS256", headers={"kid": kid, "typ": "at+jwt"})


def ours_jwt_app(private_pem: str) -> tuple[Flask, list[str]]:
    """Our provider's protected route with JWT access tokens on, keys
    ``private_pem``; and the list of tokens the tokengetter was asked for, which must
    stay empty (a JWT access token is verified locally)."""
    from flask_oauthlib.provider import OAuth2Provider

    app = Flask("ours_jwt")
    app.config.update(
        OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT="jwt",
        OAUTH2_PROVIDER_OIDC_KEYS=[private_pem],
        OAUTH2_PROVIDER_ISSUER=OIDC_ISSUER,
    )
    oauth = OAuth2Provider(app)
    lookups: list[str] = []

    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> None:
        lookups.append(access_token or refresh_token or "")

    oauth.clientgetter(lambda client_id: None)
    oauth.grantgetter(lambda client_id, code: None)
    oauth.grantsetter(lambda client_id, code, req, *a, **k: None)
    oauth.tokengetter(load_token)
    oauth.tokensetter(lambda token, req, *a, **k: None)
    oauth.jwt_usergetter(lambda sub, claims: USERS.get(sub))

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    return app, lookups


def authlib_jwt_app(private_pem: str) -> tuple[Flask, str]:
    """Authlib's RFC 9068 resource protection (a ResourceProtector with a
    ``JWTBearerTokenValidator``) of the key ``private_pem``, and the key's ``kid``.

    The key set is imported once, as ours caches its keys; the audience Authlib checks
    is OIDC_ISSUER, the one ours accepts without resource identifiers."""
    from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
    from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
    from joserfc.jwk import KeySet, RSAKey

    public = RSAKey.import_key(private_pem).as_dict(private=False)
    kid = RSAKey.import_key(public).thumbprint()
    keys = KeySet.import_key_set({"keys": [dict(public, kid=kid, alg="RS256", use="sig")]})

    class Validator(JWTBearerTokenValidator):  # type: ignore[misc]
        def get_jwks(self) -> Any:
            return keys

    protect = ResourceProtector()
    protect.register_token_validator(Validator(issuer=OIDC_ISSUER, resource_server=OIDC_ISSUER))
    app = Flask("authlib_jwt")

    @app.route("/api/me")
    @protect("email")
    def me() -> Any:
        return jsonify(username=USERS[current_token["sub"]].username)

    return app, kid
