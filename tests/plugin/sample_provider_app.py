"""A sample provider app as our users write them: the ready SQLAlchemy models bound with
``bind_sqlalchemy`` (SQLite through Flask-SQLAlchemy), a login, the code flow, and an API
behind ``require_oauth``. Its tests are test_provider_app.py."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request, session
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_oauthlib.contrib.oauth2 import bind_sqlalchemy
from flask_oauthlib.provider import OAuth2Provider
from flask_oauthlib.provider.oauth2 import get_oauth_request
from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
oauth = OAuth2Provider()


class User(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(unique=True)


class Client(ClientMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "oauth2_token"


def current_user() -> User | None:
    user_id = session.get("user_id")
    return db.session.get(User, user_id) if user_id is not None else None


bind_sqlalchemy(
    oauth, db.session, user=User, client=Client, token=Token, grant=Grant, current_user=current_user
)


@oauth.jwt_usergetter
def user_of_jwt(sub: str, claims: dict[str, Any]) -> User | None:
    """The user of a JWT access token, which require_oauth checks without the database."""
    return db.session.get(User, int(sub))


def create_app(database: str = "sqlite://", **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="sample",
        SQLALCHEMY_DATABASE_URI=database,
        OAUTH2_PROVIDER_ALLOW_IMPLICIT=False,
        OAUTH2_PROVIDER_ALLOW_PASSWORD=False,
        **config,
    )
    db.init_app(app)
    oauth.init_app(app)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return f"Allow {kwargs['client_id']}?"
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> None:
        return None

    @app.route("/api/me")
    @oauth.require_oauth("profile")
    def me() -> Any:
        oauth_request = get_oauth_request()
        user = oauth_request.user
        return jsonify(
            client_id=oauth_request.client.client_id,
            username=user.username if user is not None else None,
            scopes=sorted(oauth_request.scopes),
        )

    @app.route("/api/notes", methods=["POST"])
    @oauth.require_oauth("notes:write")
    def add_note() -> Any:
        return jsonify(saved=request.get_json()["text"]), 201

    with app.app_context():
        db.create_all()
    return app
