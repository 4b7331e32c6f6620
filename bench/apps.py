"""The apps the benchmark compares: a bare Flask route, ours, and Authlib's.

Each keeps clients and tokens in plain dicts, so what is measured is the library, not
the storage (scenario (f) adds our SQLAlchemy binding on a real database).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from flask import Flask, jsonify, request

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
VALID_TOKEN = "valid-token-0123456789"
USER = SimpleNamespace(id=1, username="alice")


def bare_app() -> Flask:
    app = Flask("bare")

    @app.route("/api/me")
    def me() -> Any:
        return jsonify(username="alice")

    @app.route("/oauth/token", methods=["POST"])
    def token() -> Any:
        return jsonify(access_token=secrets.token_urlsafe(30), token_type="Bearer", expires_in=3600)

    return app


def ours_app() -> Flask:
    from flask_oauthlib.provider import OAuth2Provider

    app = Flask("ours")
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
    tokens: dict[str, Any] = {
        VALID_TOKEN: SimpleNamespace(
            access_token=VALID_TOKEN,
            refresh_token=None,
            client_id=CLIENT_ID,
            client=client,
            scopes=["email"],
            user=USER,
            expires=datetime.now(timezone.utc) + timedelta(days=1),
        )
    }

    oauth.clientgetter(lambda client_id: client if client_id == CLIENT_ID else None)
    oauth.grantgetter(lambda client_id, code: None)
    oauth.grantsetter(lambda client_id, code, req, *a, **k: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: tokens.get(access_token or ""))

    @oauth.tokensetter
    def save_token(token: dict[str, Any], req: Any, *args: Any, **kwargs: Any) -> None:
        tokens[token["access_token"]] = SimpleNamespace(
            client_id=CLIENT_ID, scopes=token["scope"].split()
        )

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    return app


def authlib_app() -> Flask:
    from authlib.integrations.flask_oauth2 import (
        AuthorizationServer,
        ResourceProtector,
        current_token,
    )
    from authlib.oauth2.rfc6749 import ClientMixin, grants
    from authlib.oauth2.rfc6750 import BearerTokenValidator

    class Client(ClientMixin):  # type: ignore[misc]
        client_id = CLIENT_ID

        def get_client_id(self) -> str:
            return CLIENT_ID

        def get_default_redirect_uri(self) -> str:
            return "http://127.0.0.1/cb"

        def get_allowed_scope(self, scope: str) -> str:
            return scope or "email"

        def check_redirect_uri(self, redirect_uri: str) -> bool:
            return redirect_uri == "http://127.0.0.1/cb"

        def check_client_secret(self, client_secret: str) -> bool:
            return secrets.compare_digest(client_secret, CLIENT_SECRET)

        def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
            return method == "client_secret_basic"

        def check_response_type(self, response_type: str) -> bool:
            return response_type == "code"

        def check_grant_type(self, grant_type: str) -> bool:
            return grant_type == "client_credentials"

    class Token(dict):  # type: ignore[type-arg]
        def check_client(self, client: Any) -> bool:
            return True

        def get_scope(self) -> str:
            return self["scope"]

        def get_expires_in(self) -> int:
            return 3600

        def is_expired(self) -> bool:
            return time.time() > self["expires_at"]

        def is_revoked(self) -> bool:
            return False

        def get_user(self) -> Any:
            return USER

    client = Client()
    tokens = {VALID_TOKEN: Token(scope="email", expires_at=time.time() + 86400)}
    app = Flask("authlib")

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = Token(
            scope=token.get("scope", ""), expires_at=time.time() + 3600
        )

    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == CLIENT_ID else None, save_token=save_token
    )
    server.register_grant(grants.ClientCredentialsGrant)

    class Validator(BearerTokenValidator):  # type: ignore[misc]
        def authenticate_token(self, token_string: str) -> Any:
            return tokens.get(token_string)

    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.route("/api/me")
    @protect("email")
    def me() -> Any:
        return jsonify(username=current_token.get_user().username)

    @app.route("/oauth/token", methods=["POST"])
    def token() -> Any:
        return server.create_token_response()

    return app


# -- OpenID Connect: the token endpoint redeeming a code whose scope holds openid ----------

OIDC_ISSUER = "http://127.0.0.1"
OIDC_REDIRECT_URI = "http://127.0.0.1/cb"
OIDC_SCOPE = "openid email"
OIDC_NONCE = "n-0S6_WzA2Mj"
OIDC_AUTH_TIME = int(time.time()) - 60  # the user logged in a minute before the run


def oidc_key() -> tuple[str, Any]:
    """A fresh 2048-bit RSA key: its private PEM (both apps sign with it, RS256) and its
    public key (to verify what they issue)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def ours_oidc_app(private_pem: str) -> tuple[Flask, Callable[[str], None]]:
    """Our provider as an OpenID Provider, and a function storing one unused code (issued
    to the bench client for OIDC_SCOPE, with a nonce, as the authorization view would)."""
    from flask_oauthlib.provider import OAuth2Provider

    app = Flask("ours_oidc")
    app.config.update(
        OAUTH2_PROVIDER_OIDC_ENABLED=True,
        OAUTH2_PROVIDER_OIDC_KEYS=[private_pem],
        OAUTH2_PROVIDER_ISSUER=OIDC_ISSUER,
    )
    oauth = OAuth2Provider(app)
    client = SimpleNamespace(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        is_confidential=True,
        redirect_uris=[OIDC_REDIRECT_URI],
        default_redirect_uri=OIDC_REDIRECT_URI,
        default_scopes=OIDC_SCOPE.split(),
    )
    grants: dict[str, Any] = {}
    tokens: dict[str, Any] = {}

    def add_code(code: str) -> None:
        grants[code] = SimpleNamespace(
            client_id=CLIENT_ID,
            code=code,
            user=USER,
            scopes=OIDC_SCOPE.split(),
            redirect_uri=OIDC_REDIRECT_URI,
            expires=datetime.now(timezone.utc) + timedelta(hours=1),
            code_challenge=None,
            code_challenge_method=None,
            nonce=OIDC_NONCE,
            auth_time=OIDC_AUTH_TIME,
            claims=None,
            delete=lambda: grants.pop(code, None),
        )

    oauth.clientgetter(lambda client_id: client if client_id == CLIENT_ID else None)
    oauth.grantgetter(lambda client_id, code: grants.get(code))
    oauth.grantsetter(lambda client_id, code, req, *a, **k: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: tokens.get(access_token or ""))
    oauth.logingetter(lambda: (USER, OIDC_AUTH_TIME))

    @oauth.tokensetter
    def save_token(token: dict[str, Any], req: Any, *args: Any, **kwargs: Any) -> None:
        tokens[token["access_token"]] = SimpleNamespace(
            client_id=CLIENT_ID,
            user=req.user,
            scopes=token["scope"].split(),
            refresh_token=token.get("refresh_token"),
            auth_time=getattr(req, "auth_time", None),
            claims=req.claims,
        )

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    return app, add_code


def authlib_oidc_app(private_pem: str) -> tuple[Flask, Callable[[str], None]]:
    """Authlib's OpenID Connect server (AuthorizationCodeGrant with the OpenIDCode
    extension, RS256), and a function storing one unused code like ours_oidc_app's."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2.rfc6749 import ClientMixin, grants
    from authlib.oidc.core import AuthorizationCodeMixin, UserInfo
    from authlib.oidc.core.grants import OpenIDCode
    from joserfc.jwk import RSAKey

    signing_key = RSAKey.import_key(private_pem)  # parsed once, as ours caches its keys
    kid = signing_key.thumbprint()

    class Client(ClientMixin):  # type: ignore[misc]
        client_id = CLIENT_ID

        def get_client_id(self) -> str:
            return CLIENT_ID

        def get_default_redirect_uri(self) -> str:
            return OIDC_REDIRECT_URI

        def get_allowed_scope(self, scope: str) -> str:
            return scope or OIDC_SCOPE

        def check_redirect_uri(self, redirect_uri: str) -> bool:
            return redirect_uri == OIDC_REDIRECT_URI

        def check_client_secret(self, client_secret: str) -> bool:
            return secrets.compare_digest(client_secret, CLIENT_SECRET)

        def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
            return method == "client_secret_basic"

        def check_response_type(self, response_type: str) -> bool:
            return response_type == "code"

        def check_grant_type(self, grant_type: str) -> bool:
            return grant_type in ("authorization_code", "refresh_token")

    class Code(AuthorizationCodeMixin):  # type: ignore[misc]
        def __init__(self, code: str) -> None:
            self.code, self.expires_at = code, time.time() + 3600

        def get_redirect_uri(self) -> str:
            return OIDC_REDIRECT_URI

        def get_scope(self) -> str:
            return OIDC_SCOPE

        def get_nonce(self) -> str:
            return OIDC_NONCE

        def get_auth_time(self) -> int:
            return OIDC_AUTH_TIME

    client = Client()
    codes: dict[str, Code] = {}
    tokens: dict[str, dict[str, Any]] = {}

    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

        def query_authorization_code(self, code: str, client: Any) -> Code | None:
            item = codes.get(code)
            return item if item and time.time() < item.expires_at else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> Any:
            return USER

    class OpenID(OpenIDCode):  # type: ignore[misc]
        def resolve_client_private_key(self, client: Any) -> Any:
            return signing_key

        def get_client_claims(self, client: Any) -> dict[str, Any]:
            return {"iss": OIDC_ISSUER, "aud": [client.get_client_id()]}

        def get_encode_header(self, client: Any) -> dict[str, str]:
            return {"alg": "RS256", "kid": kid}

        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return False

        def generate_user_info(self, user: Any, scope: str) -> Any:
            return UserInfo(sub=str(user.id))

    app = Flask("authlib_oidc")
    app.config.update(  # a refresh token and one hour, as ours issues
        OAUTH2_REFRESH_TOKEN_GENERATOR=True,
        OAUTH2_TOKEN_EXPIRES_IN={"authorization_code": 3600},
    )

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = dict(token, user=req.user, auth_time=OIDC_AUTH_TIME)

    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == CLIENT_ID else None, save_token=save_token
    )
    server.register_grant(CodeGrant, [OpenID(require_nonce=True)])

    @app.route("/oauth/token", methods=["POST"])
    def token() -> Any:
        return server.create_token_response()

    def add_code(code: str) -> None:
        codes[code] = Code(code)

    return app, add_code


def ours_oauth1_app() -> Flask:
    from flask_oauthlib.provider import OAuth1Provider

    app = Flask("ours_oauth1")
    app.config.update(OAUTH1_PROVIDER_ENFORCE_SSL=False, OAUTH1_PROVIDER_REALMS=["email"])
    oauth = OAuth1Provider(app)
    client = SimpleNamespace(
        client_key="benchclient0123456789",
        client_secret="benchsecret0123456789",
        redirect_uris=[],
        default_realms=["email"],
    )
    token = SimpleNamespace(
        client=client,
        user=USER,
        token="benchtoken0123456789ab",
        secret="benchtokensecret012345",
        realms=["email"],
    )
    nonces: set[tuple[Any, ...]] = set()

    def load_token(client_key: str, token_value: str) -> Any:
        return token if token_value == token.token else None

    oauth.clientgetter(lambda client_key: client if client_key == client.client_key else None)
    oauth.tokengetter(lambda client_key, token: load_token(client_key, token))
    oauth.tokensetter(lambda t, req: None)
    oauth.grantgetter(lambda token: None)
    oauth.grantsetter(lambda t, req: None)
    oauth.verifiergetter(lambda verifier, token: None)
    oauth.verifiersetter(lambda token, verifier, *a, **k: None)
    oauth.noncegetter(lambda **key: tuple(key.values()) in nonces)
    oauth.noncesetter(lambda **key: nonces.add(tuple(key.values())))

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    return app


def oauthlib_oauth1_app() -> Flask:
    """The floor of (e): a route doing only what oauthlib itself needs to accept the signed
    request of ``ours_oauth1_app`` (its ``ResourceEndpoint`` and a minimal in-memory
    ``RequestValidator`` with the same credentials, realms and nonce set), nothing else.
    The URI and headers are read from the environ as cheaply as correctly (the core's
    plain adapters, which skip ``request.url``'s IRI handling), so the floor stays low."""
    from oauthlib.oauth1 import RequestValidator, ResourceEndpoint

    from flask_oauthlib_core.adapters import FORM_MIMETYPE, environ_headers, request_uri

    key, secret, token, token_secret = OAUTH1_CREDENTIALS
    nonces: set[tuple[Any, ...]] = set()

    class Validator(RequestValidator):  # type: ignore[misc]
        enforce_ssl = False
        realms = ["email"]
        allowed_signature_methods = ("HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1")
        nonce_length = (16, 64)  # as ours: oauthlib's clients send 20 to 30 characters
        dummy_client = "dummy_client"
        dummy_access_token = "dummy_access_token"

        def get_client_secret(self, client_key: str, request: Any) -> str:
            return secret if client_key == key else "dummy-secret"

        def get_access_token_secret(self, client_key: str, token_: str, request: Any) -> str:
            return token_secret if token_ == token else "dummy-secret"

        def validate_client_key(self, client_key: str, request: Any) -> bool:
            return client_key == key

        def validate_access_token(self, client_key: str, token_: str, request: Any) -> bool:
            return token_ == token

        def validate_realms(self, client_key: str, token_: str, request: Any, **kw: Any) -> bool:
            return set(kw.get("realms") or ()) <= {"email"}

        def validate_timestamp_and_nonce(
            self, client_key: str, timestamp: str, nonce: str, request: Any, **tokens: Any
        ) -> bool:
            seen = (client_key, timestamp, nonce, tokens.get("access_token"))
            if seen in nonces:
                return False
            nonces.add(seen)
            return True

    endpoint = ResourceEndpoint(Validator())
    app = Flask("oauthlib_oauth1")

    @app.route("/api/me")
    def me() -> Any:
        valid, _ = endpoint.validate_protected_resource_request(
            request_uri(request),
            request.method,
            request.get_data(as_text=True) if request.mimetype == FORM_MIMETYPE else None,
            environ_headers(request.environ),
            ["email"],
        )
        if not valid:
            return jsonify(error="invalid_token"), 401
        return jsonify(username=USER.username)

    return app


OAUTH1_CREDENTIALS = (
    "benchclient0123456789",
    "benchsecret0123456789",
    "benchtoken0123456789ab",
    "benchtokensecret012345",
)


def ours_sqla_app(database_url: str) -> tuple[Flask, Any]:
    """Our token endpoint with bind_sqlalchemy and the ready models, on a fresh database
    (for PostgreSQL: a schema of its own, dropped by ``engine.dispose_bench()``)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "packages/contrib-sqla/tests"))
    from sqla_app import Base, create_app
    from sqlalchemy import create_engine, text

    options: dict[str, Any] = {}
    schema = None
    if database_url.startswith("postgresql"):
        schema = "bench_" + secrets.token_hex(4)
        with create_engine(database_url).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(database_url, **options)
    Base.metadata.create_all(engine)
    app, _, _ = create_app(engine)

    def cleanup() -> None:
        engine.dispose()
        if schema:
            with create_engine(database_url).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))

    return app, cleanup
