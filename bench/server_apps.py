"""The WSGI apps the real-server benchmark (``bench/run.py --server``) serves with gunicorn,
their tables on PostgreSQL, and what the orchestrator seeds into them.

Three apps, each served by its own gunicorn with the same settings:

- ``reference_app()``: a bare route (``GET /api/me``, no OAuth, no database) and the
  hand-written floor of the token endpoint (``POST /oauth/token``): the statements our
  client_credentials endpoint runs (SELECT the client with its owner, INSERT the token,
  COMMIT) written with SQLAlchemy Core ``text()`` on the same engine and pool.
- ``ours_app()``: our provider on ``bind_sqlalchemy`` with the ready models.
- ``authlib_app()``: Authlib's ``AuthorizationServer`` and ``ResourceProtector`` with its
  ``sqla_oauth2`` mixins, in tables of its own (``authlib_*``).

A worker reads the database from the environment (``BENCH_DATABASE_URL``, ``BENCH_SCHEMA``,
``BENCH_POOL_SIZE``) and builds its engine when gunicorn loads the app, after the fork.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from authlib.integrations.sqla_oauth2 import (
    OAuth2AuthorizationCodeMixin,
    OAuth2ClientMixin,
    OAuth2TokenMixin,
)
from flask import Flask, Response, jsonify, request
from sqlalchemy import Engine, ForeignKey, Integer, String, create_engine, insert, text
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    scoped_session,
    sessionmaker,
)

from flask_oauthlib_contrib_sqla import (
    ClientMixin,
    GrantMixin,
    TokenMixin,
    bind_sqlalchemy,
    hash_secret,
)

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on 127.0.0.1

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
REDIRECT_URI = "http://127.0.0.1/cb"
SCOPE = "email"
#: the access token of the protected-resource scenario, stored in both implementations
RESOURCE_TOKEN = "resource-token-0123456789abcdef"
EXPIRES_IN = 3600


# -- our tables: the ready mixins -------------------------------------------------------------


class OursBase(DeclarativeBase):
    pass


class User(OursBase):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)


class Client(ClientMixin, OursBase):
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, OursBase):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, OursBase):
    __tablename__ = "oauth2_token"


# -- Authlib's tables: its sqla_oauth2 mixins, as its documentation builds them ----------------


class AuthlibBase(DeclarativeBase):
    pass


class AuthlibUser(AuthlibBase):
    __tablename__ = "authlib_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)

    def get_user_id(self) -> int:
        return self.id


class AuthlibClient(OAuth2ClientMixin, AuthlibBase):  # type: ignore[misc]
    __tablename__ = "authlib_client"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("authlib_user.id", ondelete="CASCADE"))
    user: Mapped[AuthlibUser | None] = relationship(AuthlibUser)


class AuthlibCode(OAuth2AuthorizationCodeMixin, AuthlibBase):  # type: ignore[misc]
    __tablename__ = "authlib_code"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("authlib_user.id", ondelete="CASCADE"))
    # joined, as our ready models load a code's and a token's user: no SELECT of its own
    user: Mapped[AuthlibUser | None] = relationship(AuthlibUser, lazy="joined")


class AuthlibToken(OAuth2TokenMixin, AuthlibBase):  # type: ignore[misc]
    __tablename__ = "authlib_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("authlib_user.id", ondelete="CASCADE"))
    user: Mapped[AuthlibUser | None] = relationship(AuthlibUser, lazy="joined")


# -- the engine every app builds the same way -------------------------------------------------


def engine_from_env() -> Engine:
    """The worker's engine: a pool of ``BENCH_POOL_SIZE`` (the worker's threads) plus two,
    its connections working in ``BENCH_SCHEMA``."""
    return make_engine(
        os.environ["BENCH_DATABASE_URL"],
        os.environ["BENCH_SCHEMA"],
        int(os.environ.get("BENCH_POOL_SIZE", "1")),
    )


def make_engine(url: str, schema: str, pool_size: int = 1) -> Engine:
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=2,
        connect_args={"options": f"-csearch_path={schema}"},
    )


def add_health(app: Flask) -> None:
    @app.route("/health")
    def health() -> Any:
        return "ok"


def token_answer(body: dict[str, Any]) -> Response:
    answer = jsonify(body)
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Pragma"] = "no-cache"
    return answer


# -- the reference app: the bare route and the hand-written floor -----------------------------

FLOOR_CLIENT = text(
    "SELECT c.client_id, c.client_secret_hash, c.user_id, u.username FROM oauth2_client AS c"
    ' LEFT OUTER JOIN "user" AS u ON u.id = c.user_id WHERE c.client_id = :client_id'
)
FLOOR_TOKEN = text(
    "INSERT INTO oauth2_token (client_id, user_id, token_type, access_token_hash,"
    " refresh_token_hash, scope, expires, revoked, family, grant_id, dpop_jkt, auth_time,"
    " claims, resources) VALUES (:client_id, :user_id, 'Bearer', :access_token_hash, NULL,"
    " :scope, :expires, false, :family, NULL, NULL, NULL, NULL, NULL) RETURNING id"
)


def basic_credentials() -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


def reference_app() -> Flask:
    engine = engine_from_env()
    app = Flask("reference")
    add_health(app)

    @app.route("/api/me")
    def me() -> Any:
        return jsonify(username="alice")

    @app.route("/oauth/token", methods=["POST"])
    def token() -> Any:
        credentials = basic_credentials()
        if request.form.get("grant_type") != "client_credentials" or credentials is None:
            return jsonify(error="invalid_request"), 400
        scope = request.form.get("scope", "")
        with engine.connect() as conn:
            client = conn.execute(FLOOR_CLIENT, {"client_id": credentials[0]}).first()
            if client is None or not secrets.compare_digest(
                client.client_secret_hash or "", hash_secret(credentials[1])
            ):
                return jsonify(error="invalid_client"), 401
            access_token = secrets.token_urlsafe(32)
            conn.execute(
                FLOOR_TOKEN,
                {
                    "client_id": client.client_id,
                    "user_id": client.user_id,
                    "access_token_hash": hash_secret(access_token),
                    "scope": scope,
                    "expires": datetime.now(timezone.utc) + timedelta(seconds=EXPIRES_IN),
                    "family": secrets.token_hex(16),
                },
            ).one()
            conn.commit()
        return token_answer(
            {
                "access_token": access_token,
                "expires_in": EXPIRES_IN,
                "token_type": "Bearer",
                "scope": scope,
            }
        )

    return app


# -- ours ----------------------------------------------------------------------------------


def ours_app() -> Flask:
    from flask_oauthlib_provider_oauth2 import OAuth2Provider

    session = scoped_session(sessionmaker(engine_from_env()))
    app = Flask("ours")
    app.extensions["bench.session"] = session  # for server_cached.ours_cached_app
    add_health(app)
    oauth = OAuth2Provider(app)
    bind_sqlalchemy(
        oauth,
        session,
        user=User,
        client=Client,
        token=Token,
        grant=Grant,
        current_user=lambda: session.get(User, 1),
    )

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        session.remove()

    @app.route("/api/me")
    @oauth.require_oauth(SCOPE)
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    return app


# -- Authlib ----------------------------------------------------------------------------------


def authlib_app() -> Flask:
    from authlib.integrations.flask_oauth2 import (
        AuthorizationServer,
        ResourceProtector,
        current_token,
    )
    from authlib.integrations.sqla_oauth2 import (
        create_bearer_token_validator,
        create_query_client_func,
        create_save_token_func,
    )
    from authlib.oauth2.rfc6749 import grants

    session = scoped_session(sessionmaker(engine_from_env()))
    app = Flask("authlib")
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True  # a refresh token with a code, as ours
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": EXPIRES_IN,
        "client_credentials": EXPIRES_IN,
        "refresh_token": EXPIRES_IN,
    }
    add_health(app)

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        session.remove()

    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

        def query_authorization_code(self, code: str, client: Any) -> Any:
            item = (
                session.query(AuthlibCode).filter_by(code=code, client_id=client.client_id).first()
            )
            return item if item is not None and not item.is_expired() else None

        def delete_authorization_code(self, authorization_code: Any) -> None:
            session.delete(authorization_code)
            session.commit()

        def authenticate_user(self, authorization_code: Any) -> Any:
            return authorization_code.user

    class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
        INCLUDE_NEW_REFRESH_TOKEN = True  # rotation, as ours

        def authenticate_refresh_token(self, refresh_token: str) -> Any:
            item = session.query(AuthlibToken).filter_by(refresh_token=refresh_token).first()
            return item if item is not None and not item.is_revoked() else None

        def authenticate_user(self, credential: Any) -> Any:
            return credential.user

        def revoke_old_credential(self, credential: Any) -> None:
            now = int(time.time())
            credential.access_token_revoked_at = now
            credential.refresh_token_revoked_at = now
            session.add(credential)
            session.commit()

    server = AuthorizationServer(
        app,
        query_client=create_query_client_func(session, AuthlibClient),
        save_token=create_save_token_func(session, AuthlibToken),
    )
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_grant(CodeGrant)
    server.register_grant(RefreshGrant)
    require_oauth = ResourceProtector()
    require_oauth.register_token_validator(create_bearer_token_validator(session, AuthlibToken)())

    @app.route("/api/me")
    @require_oauth(SCOPE)
    def me() -> Any:
        return jsonify(username=current_token.user.username)

    @app.route("/oauth/token", methods=["POST"])
    def token() -> Any:
        return server.create_token_response()

    return app


# -- what the orchestrator stores -----------------------------------------------------------

IMPLEMENTATIONS = {"reference": reference_app, "ours": ours_app, "Authlib": authlib_app}


def create_tables(engine: Engine) -> None:
    OursBase.metadata.create_all(engine)
    AuthlibBase.metadata.create_all(engine)


def reset(engine: Engine) -> None:
    """Empty the code and token tables (rows piled up by the last server config), and store
    the resource token again in both implementations."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE oauth2_grant, oauth2_token, authlib_code, authlib_token"))
        conn.execute(
            insert(Token),
            [
                {
                    "client_id": CLIENT_ID,
                    "user_id": 1,
                    "token_type": "Bearer",
                    "access_token_hash": hash_secret(RESOURCE_TOKEN),
                    "scope": SCOPE,
                    "expires": now + timedelta(days=1),
                    "revoked": False,
                    "family": secrets.token_hex(16),
                }
            ],
        )
        conn.execute(
            insert(AuthlibToken),
            [
                {
                    "client_id": CLIENT_ID,
                    "user_id": 1,
                    "token_type": "Bearer",
                    "access_token": RESOURCE_TOKEN,
                    "scope": SCOPE,
                    "issued_at": int(time.time()),
                    "expires_in": 86400,
                }
            ],
        )


def seed(engine: Engine) -> None:
    """The user alice and the confidential client ``bench-client`` in both implementations."""
    with sessionmaker(engine).begin() as session:
        alice = User(id=1, username="alice")
        client = Client(client_id=CLIENT_ID, name="bench", is_confidential=True, user=alice)
        client.redirect_uris = [REDIRECT_URI]
        client.default_scopes = [SCOPE]
        client.set_client_secret(CLIENT_SECRET)
        authlib_alice = AuthlibUser(id=1, username="alice")
        authlib_client = AuthlibClient(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            client_id_issued_at=int(time.time()),
            user=authlib_alice,
        )
        authlib_client.set_client_metadata(
            {
                "redirect_uris": [REDIRECT_URI],
                "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                "response_types": ["code"],
                "scope": SCOPE,
                "token_endpoint_auth_method": "client_secret_basic",
            }
        )
        session.add_all([alice, client, authlib_alice, authlib_client])
    reset(engine)


def mint_codes(engine: Engine, impl: str, count: int) -> list[str]:
    """``count`` fresh, unused authorization codes for the bench client (scope ``email``,
    alice), as the authorization endpoint of ``impl`` would have stored them."""
    codes = [secrets.token_urlsafe(30) for _ in range(count)]
    if impl == "ours":
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        model: Any = Grant
        rows = [
            {
                "client_id": CLIENT_ID,
                "user_id": 1,
                "code_hash": hash_secret(code),
                "redirect_uri": REDIRECT_URI,
                "scope": SCOPE,
                "expires": expires,
                "redeemed": False,
            }
            for code in codes
        ]
    else:  # Authlib keeps a code 300 s from its auth_time: minted right before the run
        now = int(time.time())
        model = AuthlibCode
        rows = [
            {
                "client_id": CLIENT_ID,
                "user_id": 1,
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": SCOPE,
                "auth_time": now,
            }
            for code in codes
        ]
    with engine.begin() as conn:
        conn.execute(insert(model), rows)
    return codes


def mint_refresh_tokens(engine: Engine, impl: str, count: int) -> list[str]:
    """``count`` live refresh tokens of the bench client (scope ``email``, alice), each of
    a rotation family of its own, as a code exchange of ``impl`` would have stored them."""
    refresh = [secrets.token_urlsafe(30) for _ in range(count)]
    if impl == "ours":
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        model: Any = Token
        rows = [
            {
                "client_id": CLIENT_ID,
                "user_id": 1,
                "token_type": "Bearer",
                "access_token_hash": hash_secret(secrets.token_urlsafe(30)),
                "refresh_token_hash": hash_secret(value),
                "scope": SCOPE,
                "expires": expires,
                "revoked": False,
                "family": secrets.token_hex(16),
            }
            for value in refresh
        ]
    else:
        now = int(time.time())
        model = AuthlibToken
        rows = [
            {
                "client_id": CLIENT_ID,
                "user_id": 1,
                "token_type": "Bearer",
                "access_token": secrets.token_urlsafe(30),
                "refresh_token": value,
                "scope": SCOPE,
                "issued_at": now,
                "expires_in": EXPIRES_IN,
            }
            for value in refresh
        ]
    with engine.begin() as conn:
        conn.execute(insert(model), rows)
    return refresh
