"""The 0.9.6 binding classes registered by hand, the 0.9.6 way, over a real
requests-oauthlib flow: with models written as the 0.9.6 docs show (Flask-SQLAlchemy,
plaintext) and with the ready mixins (plain SQLAlchemy 2 session, hashed)."""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import sqla_app
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from oauthlib.oauth2 import LegacyApplicationClient
from old_style_models import REDIRECT, define_models, seed
from requests_oauthlib import OAuth2Session
from sqlalchemy import select
from sqlalchemy.orm import Query, scoped_session, sessionmaker

import flask_oauthlib.contrib.oauth2 as contrib
import flask_oauthlib_contrib_sqla as sqla
from flask_oauthlib_contrib_sqla import (
    ClientBinding,
    GrantBinding,
    TokenBinding,
    UserBinding,
    hash_secret,
)
from flask_oauthlib_core.testing import authorization_code
from flask_oauthlib_provider_oauth2 import OAuth2Provider

PASSWORD = "wonderland"


@dataclass
class Provider:
    """A served provider whose storage is the 0.9.6 binding classes."""

    app: Flask
    url: str
    session: Any
    models: Any
    client_id: str
    client_secret: str
    hashed: bool

    def code(self) -> tuple[str, OAuth2Session]:
        sess = OAuth2Session(self.client_id, redirect_uri=REDIRECT, scope=["email"])
        url, _ = sess.authorization_url(self.url + "/oauth/authorize")
        return authorization_code(url), sess

    def token_request(self, **data: str) -> requests.Response:
        auth = (self.client_id, self.client_secret)
        return requests.post(self.url + "/oauth/token", data=data, auth=auth, timeout=10)

    def me(self, access_token: str) -> requests.Response:
        headers = {"Authorization": "Bearer " + access_token}
        return requests.get(self.url + "/api/me", headers=headers, timeout=10)

    def tokens(self) -> list[Any]:
        with self.app.app_context():
            rows = self.session.execute(select(self.models.Token)).scalars().all()
            self.session.remove()
            return list(rows)


def bind_by_hand(app: Flask, session: Any, models: Any, current_user: Callable[[], Any]) -> None:
    """What a 0.9.6 app wrote instead of calling bind_sqlalchemy."""
    oauth = OAuth2Provider(app)
    oauth.usergetter(UserBinding(models.User, session).get)
    oauth.clientgetter(ClientBinding(models.Client, session).get)
    tokens = TokenBinding(models.Token, session, current_user)
    oauth.tokengetter(tokens.get)
    oauth.tokensetter(tokens.set)
    grants = GrantBinding(models.Grant, session, current_user)
    oauth.grantgetter(grants.get)
    oauth.grantsetter(grants.set)
    sqla_app.add_views(app, oauth)


def old_style(serve: Callable[[Flask], str]) -> Provider:
    app = Flask("bindings_096")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    models = define_models(db)
    # the 0.9.6 docs leave password checking to the app's User model
    models.User.check_password = lambda user, password: secrets.compare_digest(password, PASSWORD)
    with app.app_context():
        seed(db, models)
    bind_by_hand(app, db.session, models, lambda: db.session.get(models.User, 1))
    return Provider(app, serve(app), db.session, models, "dev", "dev-secret", hashed=False)


@pytest.fixture(params=["old-style models", "ready mixins"])
def provider(request: pytest.FixtureRequest, serve: Callable[[Flask], str]) -> Iterator[Provider]:
    if request.param == "old-style models":
        yield old_style(serve)
        return
    with sqla_app.database("sqlite") as engine:
        session = scoped_session(sessionmaker(engine))
        sqla_app.seed(session)
        app = Flask("bindings_096_mixins")
        app.teardown_appcontext(lambda exc: session.remove())
        bind_by_hand(app, session, sqla_app, lambda: session.get(sqla_app.User, 1))
        yield Provider(app, serve(app), session, sqla_app, "confidential", "s3cret", hashed=True)
        session.remove()


def test_authorization_code_flow_and_refresh(provider: Provider) -> None:
    code, sess = provider.code()
    token = sess.fetch_token(
        provider.url + "/oauth/token", code=code, client_secret=provider.client_secret
    )
    assert provider.me(token["access_token"]).json() == {"username": "alice"}
    [stored] = provider.tokens()
    if provider.hashed:
        assert stored.access_token_hash == hash_secret(token["access_token"])
    else:
        assert stored.access_token == token["access_token"]
    refreshed = provider.token_request(
        grant_type="refresh_token", refresh_token=token["refresh_token"]
    ).json()
    assert provider.me(refreshed["access_token"]).json() == {"username": "alice"}


def test_codes_and_refresh_tokens_are_single_use(provider: Provider) -> None:
    code, _ = provider.code()
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    first = provider.token_request(**data)
    assert first.status_code == 200
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    assert provider.token_request(**refresh).status_code == 200
    assert provider.token_request(**refresh).json()["error"] == "invalid_grant"
    # (a replayed code also revokes what it issued when Grant.__token_model__ is set)
    assert provider.token_request(**data).json()["error"] == "invalid_grant"


def test_password_grant_checks_the_password(provider: Provider) -> None:
    sess = OAuth2Session(client=LegacyApplicationClient(client_id=provider.client_id))
    token = sess.fetch_token(
        provider.url + "/oauth/token",
        username="alice",
        password=PASSWORD,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
    )
    assert provider.me(token["access_token"]).json() == {"username": "alice"}
    wrong = provider.token_request(grant_type="password", username="alice", password="nope")
    assert wrong.json()["error"] == "invalid_grant"


def test_old_style_keeps_one_token_per_client_and_user(serve: Callable[[Flask], str]) -> None:
    provider = old_style(serve)
    for _ in range(2):
        code, sess = provider.code()
        token = sess.fetch_token(
            provider.url + "/oauth/token", code=code, client_secret=provider.client_secret
        )
    assert [row.access_token for row in provider.tokens()] == [token["access_token"]]


def test_database_failure_is_a_503_not_a_500(serve: Callable[[Flask], str]) -> None:
    provider = old_style(serve)
    with provider.app.app_context():
        provider.models.Token.__table__.drop(provider.session.get_bind())
    answer = provider.me("any-token")
    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"


def test_query_is_a_sqlalchemy_query(serve: Callable[[Flask], str]) -> None:
    provider = old_style(serve)
    binding = ClientBinding(provider.models.Client, provider.session)
    with provider.app.app_context():
        assert isinstance(binding.query, Query)
        assert binding.query.filter_by(client_id="dev").one().client_secret == "dev-secret"
        assert binding.get("dev") is binding.query.filter_by(client_id="dev").first()
        assert binding.get("nope") is None
        assert binding.model is provider.models.Client and binding.session is provider.session


def test_query_on_a_plain_sqlalchemy_2_session() -> None:
    with sqla_app.database("sqlite") as engine:
        session = scoped_session(sessionmaker(engine))
        sqla_app.seed(session)
        users = UserBinding(sqla_app.User, session)
        assert users.query.filter_by(username="alice").one().id == 1
        assert users.get("alice", PASSWORD).id == 1
        assert users.get("alice", "nope") is None and users.get("bob", PASSWORD) is None
        tokens = TokenBinding(sqla_app.Token, session)
        assert tokens.current_user is None and tokens.get() is None
        session.remove()


SIGNATURES_096 = {
    "BaseBinding.__init__": ["self", "model", "session"],
    "UserBinding.get": ["self", "username", "password", "args", "kwargs"],
    "ClientBinding.get": ["self", "client_id"],
    "TokenBinding.__init__": ["self", "model", "session", "current_user"],
    "TokenBinding.get": ["self", "access_token", "refresh_token"],
    "TokenBinding.set": ["self", "token", "request", "args", "kwargs"],
    "GrantBinding.__init__": ["self", "model", "session", "current_user"],
    "GrantBinding.set": ["self", "client_id", "code", "request", "args", "kwargs"],
    "GrantBinding.get": ["self", "client_id", "code"],
}


@pytest.mark.parametrize("qualname", sorted(SIGNATURES_096))
def test_exported_lazily_from_contrib_oauth2_with_0_9_6_signatures(qualname: str) -> None:
    class_name, method = qualname.split(".")
    cls = getattr(contrib, class_name)
    assert cls is getattr(sqla, class_name) and class_name in contrib.__all__
    assert class_name in dir(contrib)
    assert list(inspect.signature(getattr(cls, method)).parameters) == SIGNATURES_096[qualname]
    assert isinstance(inspect.getattr_static(contrib.BaseBinding, "query"), property)
    assert issubclass(cls, contrib.BaseBinding)
