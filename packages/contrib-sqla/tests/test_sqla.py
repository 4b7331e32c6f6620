"""bind_sqlalchemy on SQLite and the real PostgreSQL, driven by requests-oauthlib."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests_oauthlib import OAuth2Session
from sqla_app import REDIRECT, Client, Grant, Live, Token, User, create_app, database
from sqlalchemy import create_engine, select

from flask_oauthlib_contrib_sqla import hash_secret
from flask_oauthlib_core.testing import concurrently


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, serve: Callable[[Flask], str]) -> Iterator[Live]:
    with database(request.param) as engine:
        app, _, session = create_app(engine)
        try:
            yield Live(app, session, serve(app))
        finally:
            session.remove()


def test_authorization_code_with_pkce(live: Live) -> None:
    code, sess = live.authorize(pkce="S256")
    token = sess.fetch_token(live.url + "/oauth/token", code=code, client_secret="s3cret")
    assert live.me(token["access_token"]).json() == {"username": "alice"}
    stored = live.session.execute(select(Token)).scalars().one()
    assert stored.access_token_hash == hash_secret(token["access_token"])
    assert token["access_token"] not in repr(vars(stored))
    grant = live.session.execute(select(Grant)).scalars().one()
    assert grant.redeemed and grant.code_challenge_method == "S256"
    assert grant.code_hash == hash_secret(code)


def test_public_client_pkce_enforced_from_stored_challenge(live: Live) -> None:
    code, sess = live.authorize("public", pkce="S256")
    wrong = requests.post(
        live.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "public",
            "code_verifier": "x" * 50,
        },
        timeout=10,
    )
    assert wrong.json()["error"] == "invalid_grant"


def test_replayed_code_revokes_its_tokens(live: Live) -> None:
    code = live.code()
    first = live.redeem(code)
    assert first.status_code == 200
    assert live.redeem(code).json()["error"] == "invalid_grant"
    assert live.me(first.json()["access_token"]).status_code == 401


def test_refresh_rotation_and_reuse_detection(live: Live) -> None:
    code = live.code()
    token = live.redeem(code).json()
    new = live.refresh(token["refresh_token"]).json()
    assert new["refresh_token"] != token["refresh_token"]
    assert live.me(new["access_token"]).status_code == 200
    reuse = live.refresh(token["refresh_token"])
    assert reuse.json()["error"] == "invalid_grant"
    assert live.me(new["access_token"]).status_code == 401  # the family is revoked
    families = {t.family for t in live.session.execute(select(Token)).scalars()}
    assert len(families) == 1


def test_client_credentials_and_password(live: Live) -> None:
    machine = OAuth2Session(client=BackendApplicationClient(client_id="confidential"))
    token = machine.fetch_token(
        live.url + "/oauth/token", client_id="confidential", client_secret="s3cret"
    )
    assert live.me(token["access_token"]).status_code == 200
    human = OAuth2Session(client=LegacyApplicationClient(client_id="confidential"))
    token = human.fetch_token(
        live.url + "/oauth/token",
        username="alice",
        password="wonderland",
        client_id="confidential",
        client_secret="s3cret",
    )
    assert live.me(token["access_token"]).status_code == 200
    wrong = live.token(grant_type="password", username="alice", password="nope")
    assert wrong.json()["error"] == "invalid_grant"
    bad_secret = requests.post(
        live.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("confidential", "nope"),
        timeout=10,
    )
    assert bad_secret.status_code == 401


def test_revocation_marks_revoked(live: Live) -> None:
    code = live.code()
    token = live.redeem(code).json()
    resp = requests.post(
        live.url + "/oauth/revoke",
        data={"token": token["access_token"]},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert resp.status_code == 200
    assert live.me(token["access_token"]).status_code == 401
    assert live.session.execute(select(Token)).scalars().one().revoked is True


def test_concurrent_redemptions_have_one_winner(
    request: pytest.FixtureRequest, serve: Callable[[Flask], str]
) -> None:
    with database("postgresql") as engine:
        app, _, session = create_app(engine)
        live = Live(app, session, serve(app))
        code = live.code()
        results = concurrently(lambda: live.redeem(code).status_code, 20)
        assert sorted(results).count(200) == 1, results
        assert all(code in (200, 400) for code in results), results
        assert len(session.execute(select(Token)).scalars().all()) == 1
        session.remove()


def test_database_down_is_temporarily_unavailable(serve: Callable[[Flask], str]) -> None:
    with database("sqlite") as engine:
        app, _, session = create_app(engine)
    down = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 2}
    )
    session.remove()
    session.configure(bind=down)
    live = Live(app, session, serve(app))
    resp = live.token(grant_type="client_credentials")
    assert resp.status_code == 503 and resp.json()["error"] == "temporarily_unavailable"
    assert live.me("x").status_code == 503


def test_failed_commit_issues_nothing(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    real_commit = live.session.registry().__class__.commit
    calls = {"n": 0}

    def failing_commit(self: Any) -> None:
        if any(isinstance(obj, Token) for obj in self.new):
            calls["n"] += 1
            raise OperationalError("COMMIT", {}, Exception("connection lost"))
        real_commit(self)

    monkeypatch.setattr(live.session.registry().__class__, "commit", failing_commit)
    resp = live.token(grant_type="client_credentials")
    assert resp.status_code == 503 and calls["n"] == 1
    monkeypatch.undo()
    live.session.remove()
    assert live.session.execute(select(Token)).scalars().all() == []
    assert live.token(grant_type="client_credentials").status_code == 200


def test_ready_models() -> None:
    client = Client(client_id="c")
    client.redirect_uris = ["https://a/cb", "https://b/cb"]
    client.set_client_secret("pw")
    assert client.default_redirect_uri == "https://a/cb"
    assert client.check_client_secret("pw") and not client.check_client_secret("nope")
    assert client.allowed_grant_types is None
    client.allowed_grant_types = ["authorization_code"]
    assert client.allowed_grant_types == ["authorization_code"]
    public = Client(client_id="p")
    public.set_client_secret(None)
    assert not public.check_client_secret("")
    assert User(username="u", password="p").check_password("p")
