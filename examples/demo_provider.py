"""The demo OAuth 2 provider and OpenID Provider: OAuth2Provider + bind_sqlalchemy on
SQLite by default.

A login page, a consent page listing the requested scopes with Allow and Deny, a
``/api/me`` resource protected by ``require_oauth("profile")``, the metadata document
(also as ``/.well-known/openid-configuration``), OpenID Connect (ID tokens signed with a
key made at each start, the key set, userinfo, logout), dynamic client registration
(open for clients whose redirect URIs are all loopback, else with the initial access
token given to :func:`create_provider`), the protected resource metadata of
``/api/me``, pushed authorization requests (RFC 9126) and DPoP-bound tokens (RFC 9449;
DPoP proofs and pushed requests are kept in the database). Seed data (user
``alice`` / ``wonderland`` and one registered client) is created on first start. Run it
through ``examples/run_demo.py``.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import time
import unicodedata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from demo_layout import http_headers, http_message, layout, page, use_layout
from flask import Flask, Response, jsonify, redirect, request, session, url_for
from sqlalchemy import Engine, String, create_engine, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from werkzeug.exceptions import HTTPException
from werkzeug.security import check_password_hash, generate_password_hash

from flask_oauthlib.contrib.oauth2 import bind_sqlalchemy
from flask_oauthlib.provider import OAuth2Provider
from flask_oauthlib_contrib_sqla import (
    ClientMixin,
    GrantMixin,
    PushedRequestMixin,
    ReplayMixin,
    TokenMixin,
    bind_sqlalchemy_pushed_requests,
    bind_sqlalchemy_replay,
)
from flask_oauthlib_core import hash_secret
from flask_oauthlib_provider_oauth2.jwks import generate_key, private_pem
from flask_oauthlib_provider_oauth2.rfc7591 import is_loopback_uri

log = logging.getLogger("demo_provider")

DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-client-secret"  # a demo: real secrets come from the CLI


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Client(ClientMixin, Base):
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, Base):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, Base):
    __tablename__ = "oauth2_token"


class PushedRequest(PushedRequestMixin, Base):
    """Authorization requests pushed to ``/oauth/par``, until used or expired."""

    __tablename__ = "oauth2_pushed_request"


class Replay(ReplayMixin, Base):
    """DPoP proofs and client assertions seen, so each is accepted once."""

    __tablename__ = "oauth2_replay"


SCOPE_DESCRIPTIONS = {
    "openid": "Who you are: your account identifier at the demo provider",
    "profile": "Your name and username",
    "email": "Your email address",
}

#: what a person reads for each OAuth error code that lands on ``/oauth/errors``
ERROR_MESSAGES = {
    "access_denied": ("Access was not allowed", "You chose not to share your account."),
    "invalid_client": (
        "This application is not known",
        "The application that sent you here is not registered with the demo provider.",
    ),
    "unauthorized_client": (
        "This sign-in request cannot be completed",
        "The application that sent you here may not sign you in this way.",
    ),
    "invalid_scope": (
        "This sign-in request cannot be completed",
        "The application asked for access that the demo provider cannot give.",
    ),
    "server_error": (
        "Something went wrong",
        "The demo provider could not complete the sign-in. Please try again.",
    ),
    "temporarily_unavailable": (
        "Please try again in a moment",
        "The demo provider cannot complete the sign-in right now.",
    ),
    # a pushed request's request_uri works once: Back after signing in lands here
    "invalid_request_uri": (
        "This sign-in link was already used",
        "Each sign-in link works once. Start again from the application.",
    ),
}
DEFAULT_ERROR = (
    "This request cannot be completed",
    "The link that brought you here is not valid. Go back to the application and try again.",
)
#: the consent form was refused before the view ran (flask_oauthlib_core.consent)
CONSENT_REFUSED = (
    "Your decision was not accepted",
    "The consent form expired or was sent from another site, so nothing was shared."
    " Go back to the application and start signing in again.",
)

LOGIN = layout(
    """
<h1>Sign in</h1>
<p class="muted">Use your demo provider account to continue.</p>
{% if error %}<div class="alert" role="alert" id="error"><p>{{ error }}</p></div>{% endif %}
<form method="post">
  <label for="username">Username</label>
  <input name="username" id="username" value="{{ username }}" autocomplete="username"
         autocapitalize="none" spellcheck="false" required autofocus>
  <label for="password">Password</label>
  <input name="password" id="password" type="password" autocomplete="current-password" required>
  <button class="button wide" id="sign-in" type="submit">Sign in</button>
</form>
<p class="note">Demo account: <strong>alice</strong> / <strong>wonderland</strong></p>"""
)

CONSENT = layout(
    """
<h1><span id="client-name">{{ client.name or client.client_id }}</span> wants to access your
account</h1>
<p class="muted">Signed in as {{ user.name }} ({{ user.username }})</p>
{% if self_registered %}<div class="alert" role="note" id="self-registered"><p>This
application registered itself with the demo provider: its name is its own claim.</p></div>
{% endif %}
<p>{% if resources %}Through {% for resource in resources -%}
<code class="resource">{{ resource }}</code>{{ ", " if not loop.last }}
{%- endfor %}, it{% else %}It{% endif %} will be able to see:</p>
<ul class="scopes" id="scopes">{% for scope in scopes %}
  <li data-scope="{{ scope }}"><strong>{{ describe(scope) }}</strong>
    <span class="muted">Scope <code>{{ scope }}</code></span></li>{% endfor %}
</ul>
<form method="post">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <div class="actions">
    <button class="button secondary" id="deny" name="confirm" value="no">Deny</button>
    <button class="button" id="allow" name="confirm" value="yes">Allow</button>
  </div>
</form>
<p class="note">Either way you go back to <strong>{{ destination }}</strong>.</p>"""
)

ERROR = layout(
    """
<h1 id="error-title">{{ title }}</h1>
<div class="alert" role="alert" id="error"><p>{{ message }}</p></div>
{% if details %}
<details><summary>Technical details</summary><p>{{ details }}</p></details>
{% endif %}
<p><a class="button" href="{{ client_home }}">Back to the demo client</a></p>
<p class="muted"><a href="{{ url_for('index') }}">Demo provider home</a></p>"""
)

LOGOUT = layout(
    """
<h1>Sign out of the demo provider?</h1>
<p class="muted">Signed in as {{ user.name }} ({{ user.username }})</p>
<p>{% if client %}A link naming <strong>{{ client.name or client.client_id }}</strong>
asks{% else %}A link asks{% endif %} to sign you out of the demo provider. Nothing proves
it comes from an application you use, so it is up to you.</p>
<form method="post" action="{{ url_for('end_session') }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  {% for name, value in params.items() %}
  <input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
  <div class="actions">
    <button class="button secondary" id="stay" name="confirm" value="no">Stay signed in</button>
    <button class="button" id="sign-out-confirm" name="confirm" value="yes">Sign out</button>
  </div>
</form>"""
)

HOME = layout(
    """
<h1>Demo provider</h1>
<p>The OAuth 2 authorization server and OpenID Provider of the demo. Applications send
you here to sign in and to decide what they may see.</p>
{% if user %}
<p>Signed in as <strong>{{ user.name }}</strong> ({{ user.username }}).</p>
<form method="post" action="{{ url_for('logout') }}" class="actions">
  <a class="button" href="{{ client_home }}">Open the demo client</a>
  <button class="button secondary" id="sign-out" type="submit">Sign out</button>
</form>
{% else %}
<div class="actions">
  <a class="button" href="{{ client_home }}">Open the demo client</a>
  <a class="button secondary" href="{{ url_for('login') }}">Sign in</a>
</div>
{% endif %}
<p class="note">For developers: <a href="/.well-known/oauth-authorization-server">the
metadata document</a>, <a href="/.well-known/openid-configuration">the OpenID Connect
discovery document</a>, <a href="/oauth/jwks">the signing keys</a>.</p>"""
)


def describe(scope: str) -> str:
    """What the user shares by allowing ``scope``, in words."""
    return SCOPE_DESCRIPTIONS.get(scope, f'Access to "{scope}"')


class OutdatedDatabase(RuntimeError):
    """The database holds the demo's tables as an older demo made them."""


def check_schema(engine: Engine) -> None:
    """Raise :class:`OutdatedDatabase` if a table of the demo lacks a column of its model
    (a database left by an older demo: ``create_all`` adds tables, never columns)."""
    existing = inspect(engine)
    for table in Base.metadata.sorted_tables:
        if not existing.has_table(table.name):
            continue
        have = {column["name"] for column in existing.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in have]
        if missing:
            raise OutdatedDatabase(
                f"The demo database {engine.url.render_as_string(hide_password=True)} was"
                f" made by an older demo: table {table.name!r} lacks {', '.join(missing)}."
            )


def create_provider(
    database_url: str,
    client_redirect_uri: str,
    issuer: str,
    initial_access_token: str | None = None,
) -> Flask:
    """The provider app; seeds the database on first start. Raises
    :class:`OutdatedDatabase` for a database an older demo made.

    :param initial_access_token: lets a client whose redirect URIs are not all loopback
        register (``Authorization: Bearer <token>``); without it only loopback clients
        can, as a local demo should allow.
    """
    engine = create_engine(database_url)
    check_schema(engine)
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
        # OpenID Connect: ID tokens signed with a key made at each start (a real provider
        # loads its keys from files or a secret store: see docs/oidc.md)
        OAUTH2_PROVIDER_OIDC_ENABLED=True,
        OAUTH2_PROVIDER_OIDC_KEYS=[private_pem(generate_key())],
        # dynamic client registration (RFC 7591/7592): see may_register below
        OAUTH2_PROVIDER_REGISTRATION_ENABLED=True,
        OAUTH2_PROVIDER_REGISTRATION_SCOPES=list(SCOPE_DESCRIPTIONS),
        # /api/me is a protected resource (RFC 8707 audience, RFC 9728 metadata)
        OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[issuer + "/api/me"],
    )
    oauth = OAuth2Provider(app)

    def current_user() -> User | None:
        user_id = session.get("user_id")
        return db.get(User, user_id) if user_id else None

    bind_sqlalchemy(
        oauth, db, user=User, client=Client, token=Token, grant=Grant, current_user=current_user
    )
    # shared by every worker of the provider: one-time proofs, pushed requests
    bind_sqlalchemy_replay(oauth, engine, Replay)
    bind_sqlalchemy_pushed_requests(oauth, engine, PushedRequest)

    @oauth.logingetter
    def current_login() -> tuple[User, int | None] | None:
        """Who is signed in at the provider, and since when (for ``auth_time``,
        ``max_age`` and ``prompt``)."""
        user = current_user()
        return (user, session.get("login_time")) if user else None

    initial_hash = hash_secret(initial_access_token) if initial_access_token else None

    @oauth.registration_policy
    def may_register(metadata: dict[str, Any], request: Any) -> bool:
        """Open for clients whose redirect URIs are all loopback (a native app or CLI on
        this machine); any other needs the initial access token. Updates keep a client
        in its kind."""
        uris = [
            *(metadata.get("redirect_uris") or []),
            *metadata.get("post_logout_redirect_uris", []),
        ]
        loopback_only = bool(uris) and all(map(is_loopback_uri, uris))
        if "client_credentials" in metadata.get("grant_types", ()):
            # a machine client acts on its own: only with the initial access token
            loopback_only = False
        if request.client is not None:  # an update, authenticated by its own token
            was_open = all(map(is_loopback_uri, request.client.redirect_uris or ["-"]))
            return loopback_only or not was_open
        token = request.initial_access_token
        if token is not None:
            return initial_hash is not None and hash_secret(token) == initial_hash
        return loopback_only

    @oauth.claimsgetter
    def user_claims(user: User, request: Any) -> dict[str, Any]:
        """What the ID token's ``sub`` and the userinfo endpoint say about ``user``."""
        return {
            "sub": str(user.id),
            "name": user.name,
            "preferred_username": user.username,
            "email": user.email,
            "email_verified": True,
        }

    use_layout(
        app,
        site="Demo provider",
        logo="P",
        accent="#4f46e5",
        footer="flask-oauthlib demo: the OAuth 2 provider and OpenID Provider",
    )
    client_home = home_of(client_redirect_uri)

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        db.remove()

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if request.method == "POST":
            if has_control_characters(username) or has_control_characters(password):
                # no user has one; PostgreSQL refuses a NUL byte with an error (a 500)
                return page(LOGIN, 400, title="Sign in", error=WRONG_LOGIN, username="")
            user = db.execute(select(User).filter_by(username=username)).scalar()
            if user and user.check_password(password):
                session["user_id"], session["login_time"] = user.id, int(time.time())
                return redirect(local_path(request.args.get("next")), code=303)
            error = WRONG_LOGIN
        return page(LOGIN, title="Sign in", error=error, username=username)

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        session.clear()
        return redirect(url_for("index"), code=303)

    @app.route("/oauth/logout", methods=["GET", "POST"])
    @oauth.logout_handler
    def end_session(*args: Any, **kwargs: Any) -> Any:
        """RP-initiated logout: a client signs the user out here too. With its ID token
        of the signed-in user no question is asked; otherwise the user decides."""
        decision = request.form.get("confirm")
        if kwargs["confirmation_required"] and decision is None:
            return page(LOGOUT, title="Sign out?", **kwargs)
        if decision != "no":
            session.clear()
        return redirect(kwargs["post_logout_redirect_uri"] or url_for("index"), code=303)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        # login_required: an OpenID client's prompt=login or max_age asks for a new login
        if user is None or kwargs.get("login_required"):
            here = request.script_root + request.full_path
            return redirect(url_for("login", next=here), code=303)
        if request.method == "GET":
            client = db.get(Client, kwargs["client_id"])
            return page(
                CONSENT,
                title="Allow access?",
                client=client,
                user=user,
                scopes=kwargs["scopes"],
                describe=describe,
                destination=urlsplit(kwargs.get("redirect_uri") or "").netloc or "the application",
                csrf_token=kwargs["csrf_token"],
                resources=kwargs.get("resources"),
                # registered dynamically (RFC 7591): nobody vouches for its name
                self_registered=getattr(client, "client_id_issued_at", None) is not None,
            )
        return request.form.get("confirm") == "yes"

    @app.after_request
    def styled_refusal(response: Response) -> Response:
        """The provider refuses a forged or expired consent form with a bare HTML page
        (JSON for API clients); give people the demo's page instead."""
        if request.endpoint == "authorize" and response.status_code == 403:
            if response.mimetype == "text/html":
                found = re.search(r"<p>(.*?)</p>", response.get_data(as_text=True), re.S)
                details = html.unescape(found.group(1)) if found else None
                title, message = CONSENT_REFUSED
                body, _ = page(ERROR, title=title, message=message, details=details)
                response.set_data(body)
        return response

    @app.route("/oauth/par", methods=["POST"])
    @oauth.par_handler
    def pushed_authorization_request() -> None:
        return None

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> None:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke_token() -> None:
        pass

    @app.route("/.well-known/oauth-authorization-server")
    @app.route("/.well-known/openid-configuration")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {"scopes_supported": ["openid", "profile", "email"]}

    @app.route("/oauth/register", methods=["POST"])
    @oauth.registration_handler
    def register() -> None:
        return None

    @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
    @oauth.client_configuration_handler
    def client_configuration(client_id: str) -> None:
        return None

    @app.route("/.well-known/oauth-protected-resource/api/me")
    @oauth.resource_metadata_handler
    def resource_metadata() -> dict[str, Any]:
        return {"resource_name": "The demo provider's profile API"}

    @app.route("/oauth/userinfo", methods=["GET", "POST"])
    @oauth.endpoint_handler("userinfo")
    def userinfo() -> None:
        return None

    @app.route("/oauth/jwks")
    @oauth.endpoint_handler("jwks")
    def jwks() -> None:
        return None

    @app.route("/oauth/errors")
    def oauth_errors() -> Any:
        """Where the provider sends people whose authorization request cannot go back to
        the client (an unknown client, a wrong redirect URI): a page, or JSON for
        programs that ask for it."""
        error = request.args.get("error") or "invalid_request"
        description = request.args.get("error_description")
        log.info("authorization error page: %r", error[:100])
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
            "application/json"
        ):
            return jsonify(error=error, error_description=description), 400
        title, message = ERROR_MESSAGES.get(error, DEFAULT_ERROR)
        return page(
            ERROR, 400, title=title, message=message, details=description, client_home=client_home
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        body, status = page(
            ERROR,
            exc.code or 500,
            title=exc.name,
            message=http_message(exc),
            details=None,
            client_home=client_home,
        )
        return body, status, http_headers(exc)

    @app.route("/api/me")
    @oauth.require_oauth("profile")
    def me() -> Any:
        user = request.oauth.user
        if user is None:  # a client credentials token is about no user
            error = "The access token is not about a user."
            return jsonify(error="invalid_token", error_description=error), 401
        return jsonify(username=user.username, name=user.name)

    @app.route("/")
    def index() -> Any:
        return page(HOME, title="Home", user=current_user(), client_home=client_home)

    return app


WRONG_LOGIN = "Wrong username or password."


def has_control_characters(text: str) -> bool:
    """``text`` holds a control character (NUL, newline, DEL, ...): never a login."""
    return any(unicodedata.category(char) == "Cc" for char in text)


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


def home_of(redirect_uri: str) -> str:
    """The home page of the site ``redirect_uri`` belongs to."""
    return urlunsplit((*urlsplit(redirect_uri)[:2], "/", "", ""))


def seed(db: Any, client_redirect_uri: str) -> None:
    """One user and one client; the client's redirect URI follows the client's port."""
    if db.execute(select(User).filter_by(username="alice")).scalar() is None:
        db.add(
            User(
                username="alice",
                name="Alice Liddell",
                email="alice@example.com",
                password_hash=generate_password_hash("wonderland"),
            )
        )
    client = db.get(Client, DEMO_CLIENT_ID)
    if client is None:
        client = Client(client_id=DEMO_CLIENT_ID, name="Demo client", is_confidential=True)
        client.set_client_secret(DEMO_CLIENT_SECRET)
        client.default_scopes = ["openid", "profile", "email"]
        db.add(client)
    # the demo client signs people in; its secret is in this file, so it may do no more
    client.allowed_grant_types = ["authorization_code", "refresh_token"]
    client.redirect_uris = [client_redirect_uri]
    # where RP-initiated logout may send the user back: the client's home page
    client.post_logout_redirect_uris = [home_of(client_redirect_uri)]
    db.commit()
    db.remove()
