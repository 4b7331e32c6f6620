"""The 0.9.6 documentation's provider: Flask-SQLAlchemy models written as the old docs
show (see ``old_style_models``), bound with ``bind_sqlalchemy``, on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from old_style_models import define_models

from flask_oauthlib_contrib_sqla import bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider

REDIRECT = "http://127.0.0.1:8000/authorized"


def legacy_app(
    database_uri: str, schema: str | None = None, seed: bool = True
) -> tuple[Flask, Any, Any]:
    """The app, its ``db`` and its Token model; ``schema`` is a PostgreSQL search path."""
    app = Flask("legacy")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri
    if schema is not None:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={schema}"}
        }
    db = SQLAlchemy(app)

    models = define_models(db)
    User, Client, Grant, Token = models.User, models.Client, models.Grant, models.Token

    oauth = OAuth2Provider(app)
    if seed:
        with app.app_context():
            db.create_all()
            alice = User(id=1, username="alice")
            db.session.add(alice)
            db.session.add(
                Client(
                    client_id="dev",
                    client_secret="dev-secret",
                    user=alice,
                    is_confidential=True,
                    _redirect_uris=REDIRECT,
                    _default_scopes="email",
                )
            )
            db.session.commit()

    def current_user() -> Any:
        return db.session.get(User, 1)

    bind_sqlalchemy(
        oauth,
        db.session,
        user=User,
        client=Client,
        token=Token,
        grant=Grant,
        current_user=current_user,
    )

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        return True if request.method == "POST" else "consent"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> None:
        return None

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username)

    return app, db, Token
