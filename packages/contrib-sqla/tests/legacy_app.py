"""The 0.9.6 documentation's provider: Flask-SQLAlchemy models written as the old docs
show (see ``old_style_models``), bound with ``bind_sqlalchemy``, on SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from old_style_models import define_models, seed
from sqla_app import add_views

from flask_oauthlib_contrib_sqla import bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider


def legacy_app(
    database_uri: str, schema: str | None = None, with_seed: bool = True
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
    if with_seed:
        with app.app_context():
            seed(db, models)

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

    add_views(app, oauth)
    return app, db, Token
