"""A provider on bind_sqlalchemy with the ready models, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, jsonify, request
from sqlalchemy import Engine, String, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker

from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin, bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider

REDIRECT = "http://127.0.0.1:8000/authorized"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
def database(kind: str) -> Iterator[Engine]:
    """A fresh database: a SQLite file, or a schema of its own in PostgreSQL."""
    if kind == "sqlite":
        engine = create_engine(
            "sqlite://",
            connect_args={"check_same_thread": False},
            poolclass=__import__("sqlalchemy.pool", fromlist=["StaticPool"]).StaticPool,
        )
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no PostgreSQL
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL is not reachable ({type(exc).__name__}); CI runs these")
    engine = create_engine(
        POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=30
    )
    Base.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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

    def current_user() -> User:
        return session.get(User, 1)  # type: ignore[return-value]

    bind_sqlalchemy(
        oauth,
        session,
        user=User,
        client=Client,
        token=Token,
        grant=Grant,
        current_user=current_user,
    )

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        session.remove()

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

    return app, oauth, session
