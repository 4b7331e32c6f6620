"""The authorization server of an MCP server, as an app on flask-oauthlib would write it.

``OAuth2Provider`` with ``bind_sqlalchemy`` on SQLAlchemy 2 (the ready models), and what
the MCP authorization spec asks of an authorization server:

- the metadata document (RFC 8414) at ``/.well-known/oauth-authorization-server``;
- dynamic client registration (RFC 7591, RFC 7592), open to clients whose redirect URIs
  are all loopback (``http://127.0.0.1:<any port>/...``: an MCP client on this machine);
- the authorization code flow with PKCE (``S256``) for every client, behind a login page
  and a consent page that names the MCP server the client wants a token for;
- resource indicators (RFC 8707): a token's audience is the MCP server's URL, the only
  resource clients may name here;
- introspection (RFC 7662), for the MCP server (a confidential client with
  ``is_resource_server``): it learns each token's scopes, user and audience (``aud``).

The user is ``alice`` with the password ``wonderland``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template_string, request, session, url_for
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin, bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.rfc7591 import is_loopback_uri

__all__ = [
    "RESOURCE_SERVER_ID",
    "SCOPE",
    "Base",
    "Client",
    "Grant",
    "Token",
    "User",
    "create_app",
]

#: the scope the MCP server's tools need
SCOPE = "tools"
#: the client the MCP server authenticates as when it introspects tokens
RESOURCE_SERVER_ID = "mcp-server"
USERNAME, PASSWORD = "alice", "wonderland"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"  # the table the ready models link to
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))


class Client(ClientMixin, Base):
    __tablename__ = "oauth2_client"
    #: may introspect every token (RFC 7662): the MCP server
    is_resource_server: Mapped[bool] = mapped_column(default=False)


class Grant(GrantMixin, Base):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, Base):
    __tablename__ = "oauth2_token"


LOGIN_PAGE = """<!doctype html><title>Sign in</title>
<h1>Sign in to the authorization server</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post">
  <input name="username" placeholder="username" autofocus>
  <input name="password" type="password" placeholder="password">
  <button>Sign in</button>
</form>
<p>The example's user: <code>alice</code> / <code>wonderland</code></p>"""

CONSENT_PAGE = """<!doctype html><title>Allow access?</title>
<h1>{{ client_name }} wants to use your MCP server</h1>
{% if self_registered %}<p><strong>This application registered itself: its name is its own
claim.</strong></p>{% endif %}
<p>Signed in as {{ username }}.</p>
<p>Scopes: {{ scopes | join(", ") }}</p>
<p>For: {% for resource in resources %}<code>{{ resource }}</code> {% endfor %}</p>
<form method="post">
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
  <button name="confirm" value="yes">Allow</button>
  <button name="confirm" value="no">Deny</button>
</form>
<p>Either way you go back to {{ destination }}.</p>"""

HOME_PAGE = """<!doctype html><title>Authorization server</title>
<h1>The authorization server of the MCP example</h1>
<p>It protects the MCP server at <code>{{ mcp_url }}</code>.
<a href="/.well-known/oauth-authorization-server">Its metadata</a>.</p>"""

LOCAL_PATH = re.compile(r"/(?![/\\])[!-~]*")  # printable ASCII, no //host or /\host


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``"/"``: never send users elsewhere."""
    return target if target and LOCAL_PATH.fullmatch(target) else "/"


def create_app(issuer: str, mcp_url: str, resource_server_secret: str, database_url: str) -> Flask:
    """The authorization server for the MCP server at ``mcp_url``.

    :param issuer: the URL the app is served at (``http://127.0.0.1:9000``): its issuer
        identifier, named by the MCP server's protected resource metadata.
    :param mcp_url: the MCP server's URL, its resource identifier (RFC 8707): the one
        resource clients may ask a token for.
    :param resource_server_secret: the secret of the MCP server's client
        (:data:`RESOURCE_SERVER_ID`), with which it introspects tokens; set at each start.
    :param database_url: a SQLAlchemy URL (``sqlite:///path/to/file.sqlite``); the tables,
        the user ``alice`` and the MCP server's client are created when missing.
    """
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    db = scoped_session(sessionmaker(engine))
    seed(db, resource_server_secret)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),  # signs the login session; a real app loads one
        SESSION_COOKIE_NAME="authorization_server_session",
        SESSION_COOKIE_SAMESITE="Lax",  # other sites' POSTs carry no session cookie
        OAUTH2_PROVIDER_ISSUER=issuer,  # advertised, and sent as iss (RFC 9207)
        # OAuth 2.1 as MCP asks: the code flow with PKCE for every client
        OAUTH2_PROVIDER_ALLOW_IMPLICIT=False,
        OAUTH2_PROVIDER_ALLOW_PASSWORD=False,
        OAUTH2_PROVIDER_PKCE_REQUIRED="all",
        OAUTH2_PROVIDER_CSRF_REQUIRED=True,  # the consent form must post its csrf_token
        # MCP clients register themselves (RFC 7591); see may_register below
        OAUTH2_PROVIDER_REGISTRATION_ENABLED=True,
        OAUTH2_PROVIDER_REGISTRATION_SCOPES=[SCOPE],
        # tokens are for the MCP server only (RFC 8707): its URL is their audience
        OAUTH2_PROVIDER_ALLOWED_RESOURCES=[mcp_url],
    )
    oauth = OAuth2Provider(app)

    def current_user() -> User | None:
        user_id = session.get("user_id")
        return db.get(User, user_id) if user_id is not None else None

    bind_sqlalchemy(
        oauth, db, user=User, client=Client, token=Token, grant=Grant, current_user=current_user
    )

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        db.remove()

    @oauth.registration_policy
    def may_register(metadata: dict[str, Any], request: Any) -> bool:
        """Open to clients whose redirect URIs are all loopback: an MCP client on the
        user's machine, acting for a user who signs in. A machine client
        (``client_credentials``: tokens without a user or consent) or any other redirect
        URI needs a token you hand out (see docs/registration.md); updates too."""
        uris = [
            *(metadata.get("redirect_uris") or []),
            *metadata.get("post_logout_redirect_uris", []),
        ]
        if "client_credentials" in metadata.get("grant_types", ()):
            return False
        return bool(uris) and all(is_loopback_uri(uri) for uri in uris)

    @app.route("/")
    def index() -> str:
        return render_template_string(HOME_PAGE, mcp_url=mcp_url)

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = None
        if request.method == "POST":
            username = request.form.get("username", "")
            user = db.execute(select(User).filter_by(username=username)).scalar()
            if user and check_password_hash(user.password_hash, request.form.get("password", "")):
                session["user_id"] = user.id
                return redirect(local_path(request.args.get("next")), code=303)
            error = "Wrong username or password."
        return render_template_string(LOGIN_PAGE, error=error)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None:
            return redirect(url_for("login", next=request.full_path), code=303)
        if request.method == "GET":
            client = kwargs["request"].client
            return render_template_string(
                CONSENT_PAGE,
                client_name=client.name or client.client_id,
                self_registered=getattr(client, "client_id_issued_at", None) is not None,
                username=user.username,
                scopes=kwargs["scopes"],
                resources=kwargs.get("resources") or ["every resource"],
                destination=urlsplit(kwargs["redirect_uri"]).netloc,
                csrf_token=kwargs["csrf_token"],
            )
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> Any:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke_token() -> Any:
        return None

    @app.route("/oauth/introspect", methods=["POST"])
    @oauth.introspect_handler
    def introspect_token() -> Any:
        return None

    @app.route("/oauth/register", methods=["POST"])
    @oauth.registration_handler
    def register() -> Any:
        return None

    @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
    @oauth.client_configuration_handler
    def client_configuration(client_id: str) -> Any:
        return None

    @app.route("/.well-known/oauth-authorization-server")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {"scopes_supported": [SCOPE]}

    return app


def seed(db: scoped_session[Any], resource_server_secret: str) -> None:
    """The user ``alice``, and the MCP server's client with its secret of this start."""
    if db.execute(select(User).filter_by(username=USERNAME)).scalar() is None:
        db.add(User(username=USERNAME, password_hash=generate_password_hash(PASSWORD)))
    client = db.get(Client, RESOURCE_SERVER_ID)
    if client is None:
        client = Client(client_id=RESOURCE_SERVER_ID, name="The MCP server")
        db.add(client)
    client.is_confidential = True
    client.is_resource_server = True
    client.allowed_grant_types = []  # it asks for no tokens: it only introspects them
    client.set_client_secret(resource_server_secret)
    db.commit()
    db.remove()
