"""An OpenID provider app on in-memory storage, written the way docs/oidc.md shows, and
the helpers its tests share: keys made once, a browser that logs in and consents.

The provider's login page keeps ``user`` and ``login_time`` in the session; the
``logingetter`` reads them. ``/login`` takes ``ago`` (seconds) to backdate a login.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests
from flask import Flask, redirect, request, session

from flask_oauthlib_core.testing import code_verifier, redirect_location
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.jwks import generate_key, private_pem

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session

REDIRECT = "http://127.0.0.1:8000/callback"
LOGGED_OUT = "http://127.0.0.1:8000/logged-out"
SECRET = "rp-secret"
SCOPE = "openid profile email"


@cache
def pem(alg: str = "RS256", n: int = 0) -> str:
    """A private key for ``alg``; ``n`` tells several apart. Made once per test run."""
    return private_pem(generate_key(alg))


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    email_verified: bool = True
    phone_number: str | None = None


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    default_scopes: list[str]
    is_confidential: bool = True
    id_token_signed_response_alg: str | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)

    @property
    def default_redirect_uri(self) -> str:
        return self.redirect_uris[0]


@dataclass
class Grant:
    store: Store
    client_id: str
    code: str
    user: User
    scopes: list[str]
    redirect_uri: str
    expires: datetime
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: int | None
    claims: dict[str, Any] | None
    used: bool = False

    def redeem(self) -> bool:
        if self.used:
            return False
        self.used = True
        return True

    def delete(self) -> None:
        self.store.grants.pop(self.code, None)


@dataclass
class Token:
    client_id: str
    user: User
    scopes: list[str]
    access_token: str
    refresh_token: str | None
    expires: datetime
    auth_time: int | None = None
    claims: dict[str, Any] | None = None
    revoked: bool = False

    def rotate(self) -> bool:
        if self.revoked:
            return False
        self.revoked = True
        return True


@dataclass
class Store:
    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)
    logouts: list[dict[str, Any]] = field(default_factory=list)


def make_app(redirect_uri: str = REDIRECT, **config: Any) -> tuple[Flask, OAuth2Provider, Store]:
    """The provider app, its provider and its storage; ``config`` overrides keys."""
    app = Flask("oidc_provider")
    app.secret_key = secrets.token_hex(16)
    config.setdefault("OAUTH2_PROVIDER_OIDC_ENABLED", True)
    if "OAUTH2_PROVIDER_OIDC_KEYS" not in config:
        config["OAUTH2_PROVIDER_OIDC_KEYS"] = [pem()]
    app.config.update(SESSION_COOKIE_NAME="op_session", **config)
    oauth = OAuth2Provider(app)
    store = Store()
    alice = User(1, "alice", "Alice Liddell", "alice@example.com", phone_number="+1 555")
    store.users["alice"] = alice
    store.users["bob"] = User(2, "bob", "Bob", "bob@example.com")
    store.clients["rp"] = Client(
        "rp",
        SECRET,
        [redirect_uri],
        ["openid", "profile", "email", "phone", "read"],
        post_logout_redirect_uris=[LOGGED_OUT],
    )

    @oauth.clientgetter
    def load_client(client_id: str) -> Client | None:
        return store.clients.get(client_id)

    @oauth.grantgetter
    def load_grant(client_id: str, code: str) -> Grant | None:
        return store.grants.get(code)

    @oauth.grantsetter
    def save_grant(client_id: str, code: dict[str, Any], req: Any, *args: Any) -> None:
        store.grants[code["code"]] = Grant(
            store,
            client_id,
            code["code"],
            store.users[session["user"]],
            list(req.scopes),
            req.redirect_uri,
            datetime.now(timezone.utc) + timedelta(seconds=100),
            req.code_challenge,
            req.code_challenge_method,
            req.nonce,
            getattr(req, "auth_time", None),
            req.claims,
        )

    @oauth.tokengetter
    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        for token in store.tokens:
            if access_token and token.access_token == access_token:
                return token
            if refresh_token and token.refresh_token == refresh_token:
                return token
        return None

    @oauth.tokensetter
    def save_token(token: dict[str, Any], req: Any, *args: Any) -> None:
        store.saved.append(dict(token))
        store.tokens.append(
            Token(
                req.client.client_id,
                req.user,
                token["scope"].split(),
                token["access_token"],
                token.get("refresh_token"),
                datetime.now(timezone.utc) + timedelta(seconds=token["expires_in"]),
                getattr(req, "auth_time", None),
                req.claims,
            )
        )

    @oauth.logingetter
    def current_login() -> tuple[User, int] | None:
        if "user" not in session:
            return None
        return store.users[session["user"]], session["login_time"]

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        if request.method == "GET":
            return '<form method="post"><input name="username"></form>'
        session["user"] = request.form["username"]
        session["login_time"] = int(time.time()) - int(request.form.get("ago", 0))
        return redirect(request.args.get("next") or "/")

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("login_required") and not app.config.get("IGNORE_LOGIN_REQUIRED"):
            return redirect("/login?" + urlencode({"next": request.url}))
        if request.method == "GET":
            if app.config.get("AUTO_APPROVE"):
                return True
            return f"<p>{kwargs['client_id']} wants {' '.join(kwargs['scopes'])}</p>"
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    @app.route("/oauth/userinfo", methods=["GET", "POST"])
    @oauth.endpoint_handler("userinfo")
    def userinfo() -> None:
        return None

    @app.route("/oauth/jwks")
    @oauth.endpoint_handler("jwks")
    def jwks() -> None:
        return None

    @app.route("/.well-known/openid-configuration")
    @oauth.metadata_handler
    def configuration() -> dict[str, Any]:
        return {}

    @app.route("/oauth/logout", methods=["GET", "POST"])
    @oauth.logout_handler
    def logout(*args: Any, **kwargs: Any) -> Any:
        store.logouts.append(kwargs)
        decision = request.form.get("confirm")
        if kwargs["confirmation_required"] and decision is None:
            return f"<p>Log out {kwargs['user'].name}?</p>", 200
        if decision != "no":
            session.pop("user", None)
        return redirect(kwargs["post_logout_redirect_uri"] or "/")

    return app, oauth, store


class Browser:
    """The end-user's browser at the provider (``requests``, redirects not followed)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def login(self, username: str = "alice", ago: int = 0) -> None:
        answer = self.session.post(
            self.base + "/login", data={"username": username, "ago": ago}, allow_redirects=False
        )
        assert answer.status_code == 302, answer.text

    def get(self, url: str) -> requests.Response:
        return self.session.get(url, allow_redirects=False, timeout=10)

    def consent(self, url: str, allow: bool = True) -> requests.Response:
        data = {"confirm": "yes" if allow else "no"}
        return self.session.post(url, data=data, allow_redirects=False, timeout=10)

    def authorize(self, url: str) -> str:
        """Open the page, consent, and return where the provider redirects back to."""
        page = self.get(url)
        assert page.status_code == 200, (page.status_code, page.headers, page.text)
        return redirect_location(self.consent(url))


def rp(scope: str = SCOPE) -> OAuth2Session:
    """The relying party: Authlib's client, with PKCE."""
    # imported here: the contrib packages' tests import this module without Authlib
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        "rp", SECRET, scope=scope, redirect_uri=REDIRECT, code_challenge_method="S256"
    )


def start(url: str, scope: str = SCOPE, **params: Any) -> tuple[OAuth2Session, str, str, str]:
    """An authentication request: the client, its URL, its nonce and its verifier."""
    client = rp(scope)
    nonce, verifier = secrets.token_urlsafe(16), code_verifier()
    params.setdefault("nonce", nonce)
    params = {k: v for k, v in params.items() if v is not None}
    uri, _ = client.create_authorization_url(
        url + "/oauth/authorize", code_verifier=verifier, **params
    )
    return client, uri, nonce, verifier


def exchange(client: OAuth2Session, url: str, location: str, verifier: str) -> Any:
    return client.fetch_token(
        url + "/oauth/token", authorization_response=location, code_verifier=verifier
    )


def login_flow(url: str, scope: str = SCOPE, **params: Any) -> tuple[Any, str, OAuth2Session]:
    """Alice logs in, consents; the client gets tokens. Returns (token, nonce, client)."""
    browser = Browser(url)
    browser.login("alice", ago=5)
    client, uri, nonce, verifier = start(url, scope, **params)
    return exchange(client, url, browser.authorize(uri), verifier), nonce, client
