"""The apps the benchmark compares: a bare Flask route, ours, and Authlib's.

Each keeps clients and tokens in plain dicts, so what is measured is the library, not
the storage (scenario (f) adds our SQLAlchemy binding on a real database).
"""

from __future__ import annotations

import os
import secrets
import time
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
