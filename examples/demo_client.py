"""The demo client: "Log in with Demo" with flask_oauthlib.client (PKCE and state on),
as an OpenID Connect relying party: it asks for ``openid profile email`` and shows the
claims of the ID token it verified (signature, issuer, audience, expiry, nonce, at_hash).
The authorization request is pushed to the provider (PAR, RFC 9126: the browser carries
only a ``request_uri``) and the access token is bound to a key of this client (DPoP, RFC
9449: a copied token is useless without the key). Tokens, with their DPoP keys, stay on
the server; the session cookie holds only a random id.

When a login fails, the reason (the ``OAuthException``'s ``type`` and message) goes to
the log for the developer; the person sees a plain sentence.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from typing import Any

from demo_layout import http_headers, http_message, layout, page, use_layout
from flask import Flask, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException

from flask_oauthlib.client import OAuth, OAuthException
from flask_oauthlib_core import is_cross_site

log = logging.getLogger("demo_client")

DENIED = "You did not allow access."
FAILED = "Signing in did not work. Please try again."
UNREACHABLE = "The demo provider cannot be reached right now. Please try again in a moment."
EXPIRED = "Your sign-in has expired. Please log in again."
NOT_FROM_HERE = "That request came from another site, so you are still logged in."

HOME = layout(
    """
<h1>Welcome to the demo client</h1>
<p>This app has no passwords of its own: you sign in with your account at the demo
provider, which asks you what to share.</p>
{% if notice %}<div class="alert" role="alert" id="notice"><p>{{ notice }}</p></div>{% endif %}
<a class="button wide" id="login" href="{{ url_for('login') }}">Log in with Demo</a>
<p class="note">OpenID Connect on the OAuth 2 authorization code flow, with PKCE,
<code>state</code> and <code>nonce</code>; the request is pushed (PAR) and the token is
DPoP-bound.</p>"""
)

PROFILE = layout(
    """
<h1 id="welcome">Hello, {{ profile.name }}!</h1>
<p class="muted">You are logged in with Demo.</p>
<dl id="profile">
  <dt>Name</dt><dd>{{ profile.name }}</dd>
  <dt>Username</dt><dd><code>{{ profile.username }}</code></dd>
  {% if identity %}<dt>Email</dt><dd id="email">{{ identity.email or "not shared" }}
    {%- if identity.email_verified %} (verified by the provider){% endif %}</dd>{% endif %}
  <dt>Shared</dt><dd><code>{{ scope }}</code></dd>
  <dt>Token</dt><dd id="token-type">{{ token_type }}
    {%- if token_type == "DPoP" %} (bound to this app's key){% endif %}</dd>
</dl>
{% if identity %}
<h2>Verified ID token</h2>
<p class="muted">Checked by the client before it let you in: the provider's signature,
issuer, audience, expiry and the one-time <code>nonce</code>.</p>
<dl id="id-token">
  <dt>Subject</dt><dd><code id="sub">{{ identity.sub }}</code></dd>
  <dt>Issuer</dt><dd><code>{{ identity.iss }}</code></dd>
  <dt>Signed in at</dt><dd id="auth-time">{{ identity.signed_in_at }}</dd>
</dl>
{% endif %}
<form method="post" action="{{ url_for('logout') }}" class="actions">
  <button class="button secondary" id="logout" type="submit">Log out</button>
</form>"""
)

ERROR = layout(
    """
<h1 id="error">{{ title }}</h1>
<div class="alert" role="alert" id="message"><p>{{ message }}</p></div>
<div class="actions">
  <a class="button secondary" href="{{ url_for('index') }}">Back to home</a>
  {% if retry %}<a class="button" id="retry" href="{{ url_for('login') }}">Try again</a>{% endif %}
</div>"""
)


def create_client(provider_url: str, client_id: str, client_secret: str) -> Flask:
    app = Flask("demo_client")
    app.secret_key = secrets.token_hex(32)
    app.config["SESSION_COOKIE_NAME"] = "client_session"
    # other sites' POSTs carry no session: they cannot log the user out (/logout is POST)
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    use_layout(
        app,
        site="Demo client",
        logo="C",
        accent="#0e7490",
        footer="flask-oauthlib demo: an app that logs in with the demo provider",
    )
    oauth = OAuth(app)
    demo = oauth.remote_app(
        "demo",
        consumer_key=client_id,
        consumer_secret=client_secret,
        # OpenID Connect discovery: endpoints, and the keys that sign ID tokens
        server_metadata_url=provider_url + "/.well-known/openid-configuration",
        base_url=provider_url + "/api/",
        access_token_method="POST",
        request_token_params={"scope": "openid profile email"},
        # RFC 8707: the token is for the provider's /api/me (its audience)
        resource=provider_url + "/api/me",
        use_par=True,  # RFC 9126: the request goes to the provider, not through the browser
        dpop=True,  # RFC 9449: the token is bound to a key made for this login
    )
    # the tokens (and their DPoP private keys) of signed-in users, by a random id kept in
    # their session; a real app keeps them in its database
    tokens: dict[str, dict[str, Any]] = {}
    app.extensions["demo_client_tokens"] = tokens

    @demo.tokengetter
    def get_token() -> Any:
        return tokens.get(session.get("sid", ""))

    def forget_token() -> None:
        tokens.pop(session.pop("sid", ""), None)

    def failed(title: str, message: str, status: int) -> Any:
        return page(ERROR, status, title=title, message=message, retry=True)

    @app.route("/")
    def index() -> Any:
        token = get_token()
        if token is None:
            return page(HOME, title="Welcome", notice=None)
        try:
            answer = demo.get("me")
        except OAuthException as exc:
            log.warning("profile request failed: %s: %s", exc.type, exc.message)
            return failed("Demo is not available", UNREACHABLE, 502)
        if answer.status != 200 or not isinstance(answer.data, dict):
            log.warning("profile request answered %s; forgetting the token", answer.status)
            forget_token()
            return page(HOME, title="Welcome", notice=EXPIRED)
        return page(
            PROFILE,
            title="Your profile",
            profile=answer.data,
            scope=token.get("scope", "profile"),
            token_type=token.get("token_type", "Bearer"),
            identity=session.get("demo_identity"),
        )

    @app.route("/login")
    def login() -> Any:
        try:
            return demo.authorize(callback=url_for("authorized", _external=True))
        except OAuthException as exc:  # the metadata document could not be fetched
            log.warning("login could not start: %s: %s", exc.type, exc.message)
            return failed("Demo is not available", UNREACHABLE, 502)

    @app.route("/authorized")
    def authorized() -> Any:
        if get_token() is not None:  # already signed in (a reload, the back button)
            return redirect(url_for("index"))
        try:
            token = demo.authorized_response()
        except OAuthException as exc:
            # for the developer: the kind of failure; never the code or a token
            log.warning("login failed: %s: %s", exc.type, exc.message)
            return failed("Login failed", FAILED, 400)
        if token is None:
            error = request.args.get("error")
            if error == "access_denied":
                return failed("Login cancelled", DENIED, 403)
            if error is None:
                log.warning("login failed: the callback carried neither a code nor an error")
            else:
                log.warning("login failed: the provider answered %r", error[:100])
            return failed("Login failed", FAILED, 400)
        # the ID token was verified by authorized_response(); the session keeps its claims
        forget_token()
        session["sid"] = sid = secrets.token_urlsafe(32)
        tokens[sid] = {
            key: token[key]
            for key in ("access_token", "token_type", "scope", "dpop_jwk")
            if key in token
        }
        session["demo_identity"] = identity(demo, token)
        session["demo_id_token"] = token.get("id_token")  # the hint for logging out
        return redirect(url_for("index"))

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        """Log out here, and at the provider too (RP-initiated logout): it knows the
        user and this client from the ID token, and sends the browser back home.
        A form of another site (another port of 127.0.0.1 too) cannot do it."""
        if is_cross_site():
            return failed("Not logged out", NOT_FROM_HERE, 403)
        id_token = session.pop("demo_id_token", None)
        forget_token()
        session.pop("demo_identity", None)
        if not id_token:
            return redirect(url_for("index"), code=303)
        try:
            home = url_for("index", _external=True)
            return redirect(demo.end_session_url(id_token, home), code=303)
        except OAuthException as exc:  # no metadata, or no end_session_endpoint in it
            log.warning("logged out here only: %s: %s", exc.type, exc.message)
            return redirect(url_for("index"), code=303)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        body, status = page(
            ERROR, exc.code or 500, title=exc.name, message=http_message(exc), retry=False
        )
        return body, status, http_headers(exc)

    return app


def identity(demo: Any, token: dict[str, Any]) -> dict[str, Any] | None:
    """What the profile page shows of the ID token claims ``authorized_response()``
    verified, with the email from the userinfo endpoint (whose ``sub`` the client checks
    against the ID token's); ``None`` without an ID token."""
    claims = token.get("id_token_claims")
    if not claims:
        return None
    try:
        email = demo.userinfo(token)
    except OAuthException as exc:
        log.warning("userinfo request failed: %s: %s", exc.type, exc.message)
        email = {}
    auth_time = claims.get("auth_time")
    signed_in_at = (
        datetime.fromtimestamp(auth_time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        if isinstance(auth_time, (int, float))
        else "not said"
    )
    return {
        "sub": claims["sub"],
        "iss": claims["iss"],
        "email": email.get("email"),
        "email_verified": email.get("email_verified") is True,
        "signed_in_at": signed_in_at,
    }
