"""Flask-Login's ``current_user``, passed as the proxy itself or as a function, in
``bind_sqlalchemy`` and ``bind_cache_grant``; an anonymous user is no user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from oauth2_app import authorize_url, redeem, token_request
from sqla_app import REDIRECT, Base, Client, Grant, Token, User, add_views, bind, database, seed
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from flask_oauthlib_contrib_cache import bind_cache_grant
from flask_oauthlib_contrib_sqla import bind_sqlalchemy
from flask_oauthlib_core.testing import authorization_code, consent, redirect_location
from flask_oauthlib_provider_oauth2 import OAuth2Provider


class LoginUser(UserMixin):
    """What the app's Flask-Login loader returns: its own user class around the row."""

    def __init__(self, row: User) -> None:
        self.id = row.id
        self.username = row.username


AUTHORIZE = authorize_url(state="s")


def make_app(session: Any, how: str, storage: str) -> Flask:
    app = Flask("login_app")
    app.secret_key = "test"
    manager = LoginManager(app)
    manager.user_loader(lambda uid: LoginUser(session.get(User, int(uid))))
    oauth = OAuth2Provider(app)
    given = current_user if how == "proxy" else (lambda: current_user)
    bind(oauth, session, current_user=None)
    if storage == "sqla":
        bind_sqlalchemy(oauth, session, grant=Grant, current_user=given)
    else:
        app.config.update(OAUTH2_CACHE_TYPE="simple")
        bind_cache_grant(app, oauth, given)

    @app.route("/login/<int:uid>")
    def login(uid: int) -> str:
        login_user(LoginUser(session.get(User, uid)))
        return "ok"

    @app.route("/api/whoami")
    @oauth.require_oauth("email")
    def whoami() -> Any:
        return jsonify(username=getattr(request.oauth.user, "username", None))

    add_views(app, oauth)

    @app.teardown_appcontext
    def remove(exc: BaseException | None) -> None:
        session.remove()

    return app


@pytest.fixture(params=["proxy", "function"])
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["sqla", "cache"])
def storage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def session() -> Iterator[Any]:
    with database("sqlite") as engine:
        Base.metadata.create_all(engine)
        session = scoped_session(sessionmaker(engine))
        seed(session)
        yield session
        session.remove()


def test_logged_in_user_gets_the_code(session: Any, how: str, storage: str) -> None:
    client = make_app(session, how, storage).test_client()
    client.get("/login/1")
    token = redeem(client, authorization_code(AUTHORIZE, browser=client)).json
    me = client.get("/api/whoami", headers={"Authorization": "Bearer " + token["access_token"]})
    assert me.json == {"username": "alice"}


def test_anonymous_user_gets_no_code(session: Any, how: str, storage: str) -> None:
    client = make_app(session, how, storage).test_client()
    answer = consent(AUTHORIZE, browser=client)
    assert redirect_location(answer).startswith(REDIRECT + "?error=access_denied")
    assert session.execute(select(Grant)).first() is None


def test_client_credentials_never_take_the_session_user(session: Any) -> None:
    owner_less = Client(client_id="machine", is_confidential=True)
    owner_less.redirect_uris = [REDIRECT]
    owner_less.default_scopes = ["email"]
    owner_less.set_client_secret("m-secret")
    session.add(owner_less)
    session.commit()
    client = make_app(session, "proxy", "sqla").test_client()
    client.get("/login/1")  # a session cookie reaches the token endpoint
    token = token_request(client, "machine", grant_type="client_credentials", scope="email").json
    stored = session.execute(select(Token)).scalars().one()
    assert stored.user_id is None
    me = client.get("/api/whoami", headers={"Authorization": "Bearer " + token["access_token"]})
    assert me.json == {"username": None}
