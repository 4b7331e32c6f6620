"""The demo OAuth 2 provider: OAuth2Provider + bind_sqlalchemy on SQLite by default.

A login page, a consent page listing the requested scopes with Allow and Deny, a
``/api/me`` resource protected by ``require_oauth("profile")``, and the metadata document.
Seed data (user ``alice`` / ``wonderland`` and one registered client) is created on
first start. Run it through ``examples/run_demo.py``.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from flask_oauthlib.contrib.oauth2 import bind_sqlalchemy
from flask_oauthlib.provider import OAuth2Provider
from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-client-secret"  # a demo: real secrets come from the CLI


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Client(ClientMixin, Base):
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, Base):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, Base):
    __tablename__ = "oauth2_token"


PAGE = """<!doctype html>
<title>Demo provider</title>
<style>body{font:16px system-ui;margin:3em auto;max-width:32em}button{margin-right:1em}</style>
{% block body %}{% endblock %}"""

LOGIN = PAGE.replace(
    "{% block body %}{% endblock %}",
    """
<h1>Sign in to the demo provider</h1>
{% if error %}<p id="error">{{ error }}</p>{% endif %}
<form method="post">
  <label>Username <input name="username" id="username" autofocus></label><br>
  <label>Password <input name="password" id="password" type="password"></label><br>
  <button id="sign-in" type="submit">Sign in</button>
</form>
<p>Demo account: alice / wonderland</p>""",
)

CONSENT = PAGE.replace(
    "{% block body %}{% endblock %}",
    """
<h1>{{ client.name or client.client_id }} wants to access your account</h1>
<p>Signed in as {{ user.name }}. It asks for:</p>
<ul id="scopes">{% for scope in scopes %}<li>{{ scope }}</li>{% endfor %}</ul>
<form method="post">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <button id="allow" name="confirm" value="yes">Allow</button>
  <button id="deny" name="confirm" value="no">Deny</button>
</form>""",
)


def create_provider(database_url: str, client_redirect_uri: str, issuer: str) -> Flask:
    """The provider app; seeds the database on first start."""
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    db = scoped_session(sessionmaker(engine))
    seed(db, client_redirect_uri)

    app = Flask("demo_provider")
    app.secret_key = secrets.token_hex(32)
    app.config.update(
        SESSION_COOKIE_NAME="provider_session",
        SESSION_COOKIE_SAMESITE="Lax",  # other sites' POSTs carry no session
        OAUTH2_PROVIDER_CSRF_REQUIRED=True,  # the consent form must carry csrf_token
        OAUTH2_PROVIDER_ISSUER=issuer,
        OAUTH2_PROVIDER_ALLOW_IMPLICIT=False,  # RFC 9700: no implicit grant
        OAUTH2_PROVIDER_ALLOW_PASSWORD=False,
    )
    oauth = OAuth2Provider(app)

    def current_user() -> User | None:
        user_id = session.get("user_id")
        return db.get(User, user_id) if user_id else None

    bind_sqlalchemy(
        oauth, db, user=User, client=Client, token=Token, grant=Grant, current_user=current_user
    )

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        db.remove()

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        if request.method == "POST":
            user = db.execute(
                select(User).filter_by(username=request.form.get("username", ""))
            ).scalar()
            if user and user.check_password(request.form.get("password", "")):
                session["user_id"] = user.id
                return redirect(local_path(request.args.get("next")), code=303)
            error = "Wrong username or password."
        return render_template_string(LOGIN, error=error)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            here = request.script_root + request.full_path
            return redirect(url_for("login", next=here), code=303)
        if request.method == "GET":
            client = db.get(Client, kwargs["client_id"])
            return render_template_string(
                CONSENT,
                client=client,
                user=user,
                scopes=kwargs["scopes"],
                csrf_token=kwargs["csrf_token"],
            )
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> None:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke_token() -> None:
        pass

    @app.route("/.well-known/oauth-authorization-server")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {"scopes_supported": ["profile", "email"]}

    @app.route("/oauth/errors")
    def oauth_errors() -> Any:
        return jsonify(
            error=request.args.get("error"), description=request.args.get("error_description")
        ), 400

    @app.route("/api/me")
    @oauth.require_oauth("profile")
    def me() -> Any:
        user = request.oauth.user
        return jsonify(username=user.username, name=user.name)

    @app.route("/")
    def index() -> Any:
        user = current_user()
        return f"Demo provider. Signed in as {user.name if user else 'nobody'}."

    return app


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``"/"``: the login page's ``next``
    must not send the user to another site (``//host``, ``/\\host``, ``https:host``, or
    any of these behind whitespace or control characters, which browsers drop)."""
    if not target or any(unicodedata.category(char).startswith("C") for char in target):
        return "/"
    if not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def seed(db: Any, client_redirect_uri: str) -> None:
    """One user and one client; the client's redirect URI follows the client's port."""
    if db.execute(select(User).filter_by(username="alice")).scalar() is None:
        db.add(
            User(
                username="alice",
                name="Alice Liddell",
                password_hash=generate_password_hash("wonderland"),
            )
        )
    client = db.get(Client, DEMO_CLIENT_ID)
    if client is None:
        client = Client(client_id=DEMO_CLIENT_ID, name="Demo client", is_confidential=True)
        client.set_client_secret(DEMO_CLIENT_SECRET)
        client.default_scopes = ["profile", "email"]
        db.add(client)
    client.redirect_uris = [client_redirect_uri]
    db.commit()
    db.remove()
