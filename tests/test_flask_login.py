"""Flask-Login's ``current_user``, passed as the proxy itself or as a function, in
``bind_sqlalchemy`` and ``bind_cache_grant``; an anonymous user is no user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from sqla_app import REDIRECT, Base, Client, Grant, Token, User, database, seed
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from flask_oauthlib_contrib_cache import bind_cache_grant
from flask_oauthlib_contrib_sqla import bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider


class LoginUser(UserMixin):
    """What the app's Flask-Login loader returns: its own user class around the row."""

    def __init__(self, row: User) -> None:
        self.id = row.id
        self.username = row.username


AUTHORIZE = (
    f"/oauth/authorize?response_type=code&client_id=confidential&redirect_uri={REDIRECT}"
    "&scope=email&state=s"
)


def make_app(session: Any, how: str, storage: str) -> Flask:
    app = Flask("login_app")
    app.secret_key = "test"
    manager = LoginManager(app)
    manager.user_loader(lambda uid: LoginUser(session.get(User, int(uid))))
    oauth = OAuth2Provider(app)
    given = current_user if how == "proxy" else (lambda: current_user)
    bind_sqlalchemy(oauth, session, user=User, client=Client, token=Token, grant=Grant)
    if storage == "sqla":
        bind_sqlalchemy(oauth, session, grant=Grant, current_user=given)
    else:
        app.config.update(OAUTH2_CACHE_TYPE="simple")
        bind_cache_grant(app, oauth, given)

    @app.route("/login/<int:uid>")
    def login(uid: int) -> str:
        login_user(LoginUser(session.get(User, uid)))
        return "ok"

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        return True if request.method == "POST" else "consent"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        user = request.oauth.user
        return jsonify(username=getattr(user, "username", None))

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
    answer = client.post(AUTHORIZE, data={"confirm": "yes"})
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("confidential", "s3cret"),
    ).json
    me = client.get("/api/me", headers={"Authorization": "Bearer " + token["access_token"]})
    assert me.json == {"username": "alice"}


def test_anonymous_user_gets_no_code(session: Any, how: str, storage: str) -> None:
    client = make_app(session, how, storage).test_client()
    answer = client.post(AUTHORIZE, data={"confirm": "yes"})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT + "?error=access_denied")
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
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "email"},
        auth=("machine", "m-secret"),
    ).json
    stored = session.execute(select(Token)).scalars().one()
    assert stored.user_id is None
    me = client.get("/api/me", headers={"Authorization": "Bearer " + token["access_token"]})
    assert me.json == {"username": None}
