"""A client app that keeps its users' tokens with ``bind_consumer_tokens``, and the
provider it logs in with: ``sqla_app``'s, served over HTTP, which rotates refresh tokens
and grants each login for the user its ``login_hint`` names (alice or bob)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, request, url_for
from flask import session as cookie
from sqla_app import User, add_views, bind, database, seed
from sqlalchemy import Engine, ForeignKey, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp
from flask_oauthlib_contrib_sqla import (
    ConsumerTokenMixin,
    ConsumerTokenStorage,
    NoCurrentUser,
    bind_consumer_tokens,
)
from flask_oauthlib_provider_oauth2 import OAuth2Provider

#: the remote app's name, the ``provider`` column of its rows
REMOTE = "demo"


class ConsumerBase(DeclarativeBase):
    pass


class AppUser(ConsumerBase):
    """A user of the client app, as Flask-Login wants one (without importing it)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class ConsumerToken(ConsumerTokenMixin, ConsumerBase):
    """The ready model as it is: ``user_id`` as text."""

    __tablename__ = "consumer_token"


class LinkedToken(ConsumerTokenMixin, ConsumerBase):
    """The ready model with ``user_id`` a foreign key to the users table."""

    __tablename__ = "linked_token"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))


@dataclass
class World:
    """The provider served at ``url`` and the client app's database."""

    kind: str
    url: str
    db: scoped_session[Any]

    def rows(self, model: type[Any] = ConsumerToken) -> list[Any]:
        self.db.expire_all()
        rows = list(self.db.execute(select(model).order_by(model.user_id)).scalars())
        self.db.commit()
        return rows


def provider_app(engine: Engine) -> Flask:
    """The provider on ``engine``: alice (1) and bob (2), picked by ``login_hint``."""
    db = scoped_session(sessionmaker(engine))
    seed(db)
    db.add(User(id=2, username="bob", password="builder"))
    db.commit()
    app = Flask("consumer_tests_provider")
    oauth = OAuth2Provider(app)

    def hinted_user() -> Any:
        hint = request.args.get("login_hint")
        return db.execute(select(User).filter_by(username=hint)).scalar_one_or_none()

    bind(oauth, db, current_user=hinted_user)
    add_views(app, oauth)

    @app.teardown_appcontext
    def remove(exc: BaseException | None) -> None:
        db.remove()

    return app


def consumer_db(engine: Engine) -> scoped_session[Any]:
    """The client app's tables on ``engine``, with users ann (1) and ben (2)."""
    ConsumerBase.metadata.create_all(engine)
    db = scoped_session(sessionmaker(engine))
    db.add_all([AppUser(id=1, name="ann"), AppUser(id=2, name="ben")])
    db.commit()
    return db


def memory_engine() -> Engine:
    return create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )


@contextmanager
def world(kind: str, serve: Any) -> Iterator[World]:
    """The provider served, and the client app's database: on SQLite one of its own, on
    PostgreSQL the provider's schema."""
    with database(kind) as engine:
        url = serve(provider_app(engine))
        own = kind == "sqlite"
        if own:
            engine = memory_engine()
        db = consumer_db(engine)
        try:
            yield World(kind, url, db)
        finally:
            db.remove()
            if own:
                engine.dispose()


def client_app(
    live: World, mode: str = "user_id", model: type[Any] = ConsumerToken, **options: Any
) -> tuple[Flask, OAuthRemoteApp, ConsumerTokenStorage]:
    """The client app: ``/signin/<id>`` signs a user in (``mode``: ``user_id`` keeps the
    id in the session, ``flask_login`` uses ``login_user``), ``/link/<hint>`` logs in
    with the provider as ``hint``, ``/authorized`` saves the token, ``/me`` calls the
    provider's API with the stored token."""
    app = Flask("consumer_tests_client")
    app.config.update(SECRET_KEY="test", SERVER_NAME="127.0.0.1:8000")
    db = live.db
    oauth = OAuth(app)
    remote = oauth.remote_app(
        REMOTE,
        consumer_key="confidential",
        consumer_secret="s3cret",
        base_url=live.url + "/api/",
        access_token_url=live.url + "/oauth/token",
        authorize_url=live.url + "/oauth/authorize",
        request_token_params={"scope": "email"},
    )
    if mode == "flask_login":
        from flask_login import LoginManager, login_user

        manager = LoginManager(app)
        manager.user_loader(lambda uid: db.get(AppUser, int(uid)))
        tokens = bind_consumer_tokens(oauth, db, model, **options)
    else:
        tokens = bind_consumer_tokens(
            remote, db, model, user_id=lambda: cookie.get("uid"), **options
        )

    @app.route("/signin/<int:uid>")
    def signin(uid: int) -> str:
        if mode == "flask_login":
            login_user(db.get(AppUser, uid))
        else:
            cookie["uid"] = uid
        return "ok"

    @app.route("/link/<hint>")
    def link(hint: str) -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True), login_hint=hint)

    @app.route("/authorized")
    def authorized() -> Any:
        token = remote.authorized_response()
        if token is None:
            return jsonify(denied=True)
        try:
            tokens.save(remote, token)
        except NoCurrentUser:
            return jsonify(error="sign in first"), 401
        return jsonify(saved=True)

    @app.route("/me")
    def me() -> Any:
        try:
            return jsonify(remote.get("me").data)
        except OAuthException as exc:
            return jsonify(error=exc.type), 401

    @app.teardown_appcontext
    def remove(exc: BaseException | None) -> None:
        db.remove()

    return app, remote, tokens


def expire(app: Flask, tokens: ConsumerTokenStorage, user_id: int) -> dict[str, Any]:
    """Make the stored token of ``user_id`` expired; return it as it was."""
    with app.app_context():
        token = tokens.get(REMOTE, user_id=user_id)
        assert token is not None
        tokens.save(REMOTE, dict(token, expires_at=int(time.time()) - 1), user_id=user_id)
    return token
