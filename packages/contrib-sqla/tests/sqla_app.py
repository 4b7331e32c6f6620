"""A provider on bind_sqlalchemy with the ready models, on SQLite or PostgreSQL, its views
(which the other SQLAlchemy apps of the tests share), and :class:`Live`, one served."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, jsonify, request
from requests_oauthlib import OAuth2Session
from sqlalchemy import Engine, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin, bind_sqlalchemy
from flask_oauthlib_core.testing import POSTGRES_URL, authorization_code, require_service
from flask_oauthlib_provider_oauth2 import OAuth2Provider

REDIRECT = "http://127.0.0.1:8000/authorized"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password: Mapped[str] = mapped_column(String(80))

    def check_password(self, password: str) -> bool:
        return secrets.compare_digest(self.password, password)


class Client(ClientMixin, Base):
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, Base):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, Base):
    __tablename__ = "oauth2_token"


@contextmanager
def postgres_schema(prefix: str = "t_") -> Iterator[str]:
    """A fresh schema in the test PostgreSQL (``TEST_POSTGRES_URL``), dropped afterwards;
    the test is skipped (failed in CI) when PostgreSQL is not running."""
    require_service("postgresql")
    schema = prefix + secrets.token_hex(6)
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def postgres_engine(schema: str, url: str = POSTGRES_URL, **options: Any) -> Engine:
    """An engine whose connections work in ``schema`` (``options``: more connect args)."""
    connect_args = {"options": f"-csearch_path={schema}", **options.pop("connect_args", {})}
    return create_engine(url, connect_args=connect_args, **options)


@contextmanager
def database(kind: str) -> Iterator[Engine]:
    """A fresh database with the tables: in memory (SQLite), or a schema of its own in
    PostgreSQL."""
    if kind == "sqlite":
        engine = create_engine(
            "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema() as schema:
        engine = postgres_engine(schema, pool_size=30)
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def seed(session: Any) -> None:
    alice = User(id=1, username="alice", password="wonderland")
    session.add(alice)
    confidential = Client(client_id="confidential", name="Demo", is_confidential=True, user=alice)
    confidential.redirect_uris = [REDIRECT]
    confidential.default_scopes = ["email", "profile"]
    confidential.set_client_secret("s3cret")
    public = Client(client_id="public", is_confidential=False)
    public.redirect_uris = [REDIRECT]
    public.default_scopes = ["email"]
    session.add_all([confidential, public])
    session.commit()


def create_app(
    engine: Engine, with_seed: bool = True
) -> tuple[Flask, OAuth2Provider, scoped_session[Any]]:
    session = scoped_session(sessionmaker(engine))
    if with_seed:
        seed(session)
    app = Flask("sqla_provider")
    oauth = OAuth2Provider(app)
    bind(oauth, session)

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        session.remove()

    add_views(app, oauth)
    return app, oauth, session


def bind(oauth: OAuth2Provider, session: Any, **options: Any) -> Any:
    """``bind_sqlalchemy`` with the ready models; the signed-in user is alice (id 1) unless
    ``options`` give another ``current_user``."""
    options.setdefault("current_user", lambda: session.get(User, 1))
    return bind_sqlalchemy(
        oauth, session, user=User, client=Client, token=Token, grant=Grant, **options
    )


def add_views(app: Flask, oauth: OAuth2Provider) -> None:
    """The provider's endpoints and a resource: ``/oauth/authorize`` (GET: the consent page,
    POST: allowed with ``confirm=yes``), ``/oauth/token``, ``/oauth/revoke``, ``/api/me``."""

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return "consent"
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke() -> None:
        pass

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)


@dataclass
class Live:
    """A provider served for a test (``serve``), its session, and what clients do there."""

    app: Flask
    session: Any
    url: str

    def authorize(self, client_id: str = "confidential", **options: Any) -> tuple[str, Any]:
        """A code for ``client_id`` (the user allows), and the requests-oauthlib session
        that asked for it (``options``: ``pkce="S256"``)."""
        sess = OAuth2Session(client_id, redirect_uri=REDIRECT, scope=["email"], **options)
        url, _ = sess.authorization_url(self.url + "/oauth/authorize")
        return authorization_code(url), sess

    def code(self, client_id: str = "confidential") -> str:
        return self.authorize(client_id)[0]

    def token(self, auth: Any = ("confidential", "s3cret"), **data: str) -> requests.Response:
        return requests.post(self.url + "/oauth/token", data=data, auth=auth, timeout=10)

    def redeem(self, code: str) -> requests.Response:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def me(self, access_token: str) -> requests.Response:
        headers = {"Authorization": "Bearer " + access_token}
        return requests.get(self.url + "/api/me", headers=headers, timeout=10)

    def tokens(self) -> list[Token]:
        self.session.expire_all()
        return list(self.session.execute(select(Token)).scalars())
