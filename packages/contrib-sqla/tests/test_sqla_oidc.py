"""OpenID Connect on bind_sqlalchemy with the ready models, over real HTTP, on SQLite and
the real PostgreSQL: the grant keeps ``nonce``, ``auth_time`` and ``claims``, the tokens
``auth_time`` and ``claims``, across a refresh too."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, redirect, request, session
from sqla_app import REDIRECT as PLAIN_REDIRECT
from sqla_app import Client, Grant, Live, Token, User, bind, database, seed
from sqlalchemy import select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from flask_oauthlib_contrib_sqla import GrantBinding, TokenBinding, hash_secret
from flask_oauthlib_core.testing import code_from, redirect_location
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.jwks import generate_key, key_set, private_pem

REDIRECT = "http://127.0.0.1:8000/callback"
SECRET = "rp-secret"
CLAIMS = {"userinfo": {"name": None}, "id_token": {"email": None}}


@cache
def pem() -> str:
    """A signing key, made once per test run."""
    return private_pem(generate_key("RS256"))


def create_oidc_app(engine: Any) -> tuple[Flask, Any]:
    """A provider on bind_sqlalchemy with OpenID Connect on; ``/login`` logs alice in
    ``ago`` seconds ago."""
    db = scoped_session(sessionmaker(engine))
    seed(db)
    rp = Client(client_id="rp", name="RP", is_confidential=True)
    rp.redirect_uris = [REDIRECT]
    rp.default_scopes = ["openid", "profile", "email"]
    rp.set_client_secret(SECRET)
    db.add(rp)
    db.commit()

    app = Flask("sqla_oidc_provider")
    app.secret_key = secrets.token_hex(16)
    app.config.update(OAUTH2_PROVIDER_OIDC_ENABLED=True, OAUTH2_PROVIDER_OIDC_KEYS=[pem()])
    oauth = OAuth2Provider(app)
    bind(oauth, db, current_user=lambda: db.get(User, session.get("user", 1)))

    @oauth.logingetter
    def current_login() -> tuple[Any, int] | None:
        if "user" not in session:
            return None
        return db.get(User, session["user"]), session["login_time"]

    @oauth.claimsgetter
    def user_claims(user: Any, req: Any) -> dict[str, Any]:
        return {"sub": str(user.id), "name": "Alice", "email": "alice@example.com"}

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        db.remove()

    @app.route("/login", methods=["POST"])
    def login() -> Any:
        session["user"] = 1
        session["login_time"] = int(time.time()) - int(request.form.get("ago", 0))
        return redirect("/")

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return "login required" if kwargs.get("login_required") else "consent"
        return request.form.get("confirm") == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    @app.route("/oauth/userinfo", methods=["GET", "POST"])
    @oauth.endpoint_handler("userinfo")
    def userinfo() -> None:
        return None

    return app, db


@dataclass
class OpenIDLive:
    url: str
    db: Any

    def login_and_authorize(self, nonce: str, ago: int = 5) -> str:
        """Alice logs in ``ago`` seconds ago and allows; returns the code."""
        browser = requests.Session()
        login = browser.post(self.url + "/login", data={"ago": ago}, allow_redirects=False)
        assert login.status_code == 302
        params = {
            "response_type": "code",
            "client_id": "rp",
            "redirect_uri": REDIRECT,
            "scope": "openid email",
            "state": secrets.token_urlsafe(8),
            "nonce": nonce,
            "claims": json.dumps(CLAIMS),
        }
        url = self.url + "/oauth/authorize?" + urlencode(params)
        page = browser.get(url, allow_redirects=False, timeout=10)
        assert page.status_code == 200 and page.text == "consent", page.text
        answer = browser.post(url, data={"confirm": "yes"}, allow_redirects=False, timeout=10)
        return code_from(redirect_location(answer))

    def token(self, **data: str) -> Any:
        answer = requests.post(
            self.url + "/oauth/token", data=data, auth=("rp", SECRET), timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def userinfo(self, access_token: str) -> Any:
        headers = {"Authorization": "Bearer " + access_token}
        answer = requests.get(self.url + "/oauth/userinfo", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def id_token(self, token: dict[str, Any]) -> dict[str, Any]:
        claims: dict[str, Any] = key_set([pem()]).verify(token["id_token"], audience="rp")
        assert claims["iss"] == self.url and claims["sub"] == "1"
        return claims

    def rows(self, model: Any) -> list[Any]:
        self.db.expire_all()
        return list(self.db.execute(select(model).order_by(model.id)).scalars())


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, serve: Callable[[Flask], str]) -> Iterator[OpenIDLive]:
    with database(request.param) as engine:
        app, db = create_oidc_app(engine)
        try:
            yield OpenIDLive(serve(app), db)
        finally:
            db.remove()


def test_openid_code_flow_keeps_nonce_auth_time_and_claims(live: OpenIDLive) -> None:
    nonce = secrets.token_urlsafe(16)
    code = live.login_and_authorize(nonce)
    login_time = int(time.time()) - 5

    (grant,) = live.rows(Grant)
    assert grant.code_hash == hash_secret(code)
    assert grant.nonce == nonce and grant.claims == CLAIMS
    assert abs(grant.auth_time - login_time) <= 2

    token = live.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    claims = live.id_token(token)
    assert claims["nonce"] == nonce and claims["auth_time"] == grant.auth_time
    assert claims["email"] == "alice@example.com"  # asked for in the ID token
    (stored,) = live.rows(Token)
    assert stored.auth_time == grant.auth_time and stored.claims == CLAIMS

    # userinfo: the scope's claims; the stored claims parameter's name is outside the
    # consented scopes (profile was not asked for), so it is not given
    info = live.userinfo(token["access_token"])
    assert info == {"sub": "1", "email": "alice@example.com"}

    # a refresh keeps auth_time (and claims), without a nonce, on the rotated token
    refreshed = live.token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    again = live.id_token(refreshed)
    assert again["auth_time"] == grant.auth_time and "nonce" not in again
    old, new = live.rows(Token)
    assert old.revoked and not new.revoked and new.family == old.family
    assert new.auth_time == grant.auth_time and new.claims == CLAIMS
    assert again["email"] == "alice@example.com"  # the stored claims parameter, carried

    # and the raw columns: claims is JSON text
    raw = live.db.execute(text("SELECT claims FROM oauth2_token WHERE id = :i"), {"i": new.id})
    assert json.loads(raw.scalar_one()) == CLAIMS


def test_plain_oauth2_code_stores_no_openid_fields(live: OpenIDLive) -> None:
    plain = Live(Flask("unused"), live.db, live.url)
    code = plain.code()
    answer = requests.post(
        live.url + "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": PLAIN_REDIRECT},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert "id_token" not in answer.json()
    (grant,) = live.rows(Grant)
    assert grant.nonce is None and grant.auth_time is None and grant.claims is None
    (token,) = live.rows(Token)
    assert token.auth_time is None and token.claims is None


def test_the_0_9_6_binding_classes_keep_the_openid_fields() -> None:
    with database("sqlite") as engine:
        db = scoped_session(sessionmaker(engine))
        seed(db)
        client = db.get(Client, "confidential")
        alice = db.get(User, 1)
        login = datetime(2026, 1, 2, 3, 4, 5)  # naive: UTC
        request = SimpleNamespace(
            client=client,
            user=alice,
            redirect_uri=PLAIN_REDIRECT,
            scopes=["openid", "email"],
            code_challenge=None,
            code_challenge_method=None,
            nonce="n-0S6",
            auth_time=login,
            claims=CLAIMS,
        )
        grants = GrantBinding(Grant, db, lambda: alice)
        grants.set("confidential", {"code": "the-code"}, request)
        db.expire_all()  # read back from the database
        grant = grants.get("confidential", "the-code")
        epoch = int(login.replace(tzinfo=timezone.utc).timestamp())
        assert (grant.nonce, grant.auth_time, grant.claims) == ("n-0S6", epoch, CLAIMS)

        tokens = TokenBinding(Token, db)
        first = {"access_token": "a1", "refresh_token": "r1", "scope": "openid email"}
        code_request = SimpleNamespace(
            client=client, user=alice, grant=grant, auth_time=epoch, claims=CLAIMS
        )
        tokens.set(dict(first, expires_in=3600), code_request)
        old = tokens.get(refresh_token="r1")
        assert (old.auth_time, old.claims) == (epoch, CLAIMS)
        # a refresh whose request carries neither: the rotated token's are carried over
        refresh = SimpleNamespace(
            client=client, user=alice, refresh_token="r1", refresh_token_object=old
        )
        tokens.set({"access_token": "a2", "refresh_token": "r2", "scope": "openid"}, refresh)
        new = tokens.get(access_token="a2")
        assert (new.auth_time, new.claims, new.family) == (epoch, CLAIMS, old.family)
        db.remove()
