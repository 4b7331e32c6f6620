"""Models written as the Flask-OAuthlib 0.9.6 documentation shows them (Flask-SQLAlchemy,
plaintext columns, ``delete()`` methods), for the tests that prove old apps keep working."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

REDIRECT = "http://127.0.0.1:8000/authorized"


def define_models(db: Any) -> SimpleNamespace:
    """Declare User, Client, Grant and Token on ``db`` (a ``flask_sqlalchemy.SQLAlchemy``)."""

    class User(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String(40), unique=True)

    class Client(db.Model):  # type: ignore[name-defined]
        client_id = db.Column(db.String(40), primary_key=True)
        client_secret = db.Column(db.String(55), nullable=False)
        user_id = db.Column(db.ForeignKey("user.id"))
        user = db.relationship("User")
        is_confidential = db.Column(db.Boolean)
        _redirect_uris = db.Column(db.Text)
        _default_scopes = db.Column(db.Text)

        @property
        def redirect_uris(self) -> list[str]:
            return self._redirect_uris.split() if self._redirect_uris else []

        @property
        def default_redirect_uri(self) -> str:
            return self.redirect_uris[0]

        @property
        def default_scopes(self) -> list[str]:
            return self._default_scopes.split() if self._default_scopes else []

    class Grant(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"))
        user = db.relationship("User")
        client_id = db.Column(db.String(40), db.ForeignKey("client.client_id"), nullable=False)
        client = db.relationship("Client")
        code = db.Column(db.String(255), index=True, nullable=False)
        redirect_uri = db.Column(db.String(255))
        expires = db.Column(db.DateTime)
        _scopes = db.Column(db.Text)

        def delete(self) -> Any:
            db.session.delete(self)
            db.session.commit()
            return self

        @property
        def scopes(self) -> list[str]:
            return self._scopes.split() if self._scopes else []

    class Token(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        client_id = db.Column(db.String(40), db.ForeignKey("client.client_id"), nullable=False)
        client = db.relationship("Client")
        user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
        user = db.relationship("User")
        token_type = db.Column(db.String(40))
        access_token = db.Column(db.String(255), unique=True)
        refresh_token = db.Column(db.String(255), unique=True)
        expires = db.Column(db.DateTime)
        _scopes = db.Column(db.Text)

        def delete(self) -> Any:
            db.session.delete(self)
            db.session.commit()
            return self

        @property
        def scopes(self) -> list[str]:
            return self._scopes.split() if self._scopes else []

    return SimpleNamespace(User=User, Client=Client, Grant=Grant, Token=Token)


def seed(db: Any, models: SimpleNamespace) -> None:
    """Create the tables, alice (id 1) and her confidential client ``dev`` (secret
    ``dev-secret``, redirect URI :data:`REDIRECT`, scope ``email``), as the 0.9.6 examples
    register them. Needs an app context."""
    db.create_all()
    alice = models.User(id=1, username="alice")
    client = models.Client(
        client_id="dev",
        client_secret="dev-secret",
        user=alice,
        is_confidential=True,
        _redirect_uris=REDIRECT,
        _default_scopes="email",
    )
    db.session.add_all([alice, client])
    db.session.commit()
