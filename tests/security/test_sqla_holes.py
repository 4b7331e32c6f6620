"""Regression tests for the holes an outside review found in 1.0 with the ready SQLAlchemy
models, on the real PostgreSQL (issue 14, items 1, 4, 11 and 13)."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from flask import Flask
from sqla_app import REDIRECT, Live, Token, create_app, database


@pytest.fixture
def make_live(serve: Callable[[Flask], str]) -> Iterator[Callable[..., Live]]:
    with database("postgresql") as engine:
        sessions = []

        def make(**config: Any) -> Live:
            app, _, session = create_app(engine, with_seed=not sessions)
            app.config.update(config)
            sessions.append(session)
            return Live(app, session, serve(app))

        yield make
        for session in sessions:
            session.remove()


@pytest.fixture
def live(make_live: Callable[..., Live]) -> Live:
    return make_live()


# 1. a public client cannot mint client_credentials tokens --------------------------------


def test_public_client_gets_no_client_credentials_token(live: Live) -> None:
    resp = live.token(auth=None, grant_type="client_credentials", client_id="public")
    assert resp.json()["error"] in ("invalid_client", "unauthorized_client"), resp.text
    assert live.tokens() == []


# 4. replaying a code revokes the whole family, refreshed tokens included -----------------


def test_code_replay_revokes_tokens_obtained_by_refreshing(live: Live) -> None:
    code = live.code()
    first = live.redeem(code).json()
    second = live.refresh(first["refresh_token"]).json()
    third = live.refresh(second["refresh_token"]).json()
    assert live.me(third["access_token"]).status_code == 200
    assert live.redeem(code).json()["error"] == "invalid_grant"
    assert live.me(third["access_token"]).status_code == 401
    assert live.refresh(third["refresh_token"]).json()["error"] == "invalid_grant"
    assert all(token.revoked for token in live.tokens())


# 11. rotation switched off does not rotate -----------------------------------------------


def test_rotation_off_keeps_the_refresh_token_working(make_live: Callable[..., Live]) -> None:
    live = make_live(OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS=False)
    first = live.redeem(live.code()).json()
    refresh_token = first["refresh_token"]
    for _ in range(3):
        again = live.refresh(refresh_token)
        assert again.status_code == 200, again.text
        assert again.json().get("refresh_token", refresh_token) == refresh_token
        assert live.me(again.json()["access_token"]).status_code == 200
    assert live.me(first["access_token"]).status_code == 200


def test_rotation_on_still_detects_reuse(live: Live) -> None:
    first = live.redeem(live.code()).json()
    second = live.refresh(first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert live.refresh(first["refresh_token"]).json()["error"] == "invalid_grant"
    assert live.me(second["access_token"]).status_code == 401


# 13. bytes storage cannot hold are a 400, not an outage ---------------------------------


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": "Basic " + raw}


@pytest.mark.parametrize(
    "request_args",
    [
        {"data": "grant_type=client_credentials&client_id=conf%00idential"},
        {"data": "grant_type=password&username=al%00ice&password=x&client_id=public"},
        {"data": "grant_type=client_credentials", "headers": basic("conf\x00idential", "s")},
        {"data": "grant_type=refresh_token&refresh_token=a%00b"},
    ],
)
def test_nul_bytes_are_a_clean_400(
    live: Live, request_args: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **request_args.get("headers", {}),
    }
    with caplog.at_level(logging.WARNING):
        resp = requests.post(
            live.url + "/oauth/token", data=request_args["data"], headers=headers, timeout=10
        )
    assert resp.status_code in (400, 401), resp.text
    assert resp.json()["error"] in ("invalid_request", "invalid_client", "invalid_grant")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_nul_byte_at_the_authorization_endpoint(live: Live) -> None:
    resp = requests.get(
        live.url + "/oauth/authorize?response_type=code&client_id=conf%00idential",
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302
    assert "error=invalid_request" in resp.headers["Location"]


def test_oversized_code_challenge_is_a_clean_error(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    url = (
        live.url + "/oauth/authorize?response_type=code&client_id=public&scope=email"
        f"&redirect_uri={REDIRECT}&code_challenge_method=S256&code_challenge=" + "a" * 5000
    )
    with caplog.at_level(logging.WARNING):
        resp = requests.post(url, data={"confirm": "yes"}, allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(REDIRECT + "?error=invalid_request")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# reuse detection must hold when the winner is slow, and a failed write must not burn ----


@pytest.fixture
def slow_inserts(live: Live) -> Iterator[None]:
    """Every token INSERT takes 0.5 s: the winner of a race writes its token late."""
    from sqlalchemy import event

    def slow(mapper: Any, connection: Any, target: Any) -> None:
        time.sleep(0.5)

    event.listen(Token, "before_insert", slow)
    try:
        yield
    finally:
        event.remove(Token, "before_insert", slow)


def two_at_once(live: Live, **data: str) -> list[requests.Response]:
    """Two token requests, the second 100 ms after the first."""
    answers: dict[int, requests.Response] = {}

    def send(index: int) -> None:
        time.sleep(0.1 * index)
        answers[index] = live.token(**data)

    threads = [threading.Thread(target=send, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [answers[0], answers[1]]


def test_code_replay_during_a_slow_exchange_revokes_the_winners_token(
    live: Live, slow_inserts: None
) -> None:
    code = live.code()
    first, second = two_at_once(
        live, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert first.status_code == 200 and second.json()["error"] == "invalid_grant"
    assert live.me(first.json()["access_token"]).status_code == 401


def test_refresh_reuse_during_a_slow_rotation_revokes_the_winners_tokens(
    live: Live, slow_inserts: None
) -> None:
    token = live.redeem(live.code()).json()
    first, second = two_at_once(
        live, grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert first.status_code == 200 and second.json()["error"] == "invalid_grant"
    assert live.me(first.json()["access_token"]).status_code == 401
    assert live.refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


@contextmanager
def failing_insert() -> Iterator[None]:
    """The next token INSERT fails (a full disk, a dropped connection)."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    failures = [OperationalError("INSERT", {}, Exception("disk full"))]

    def fail_once(mapper: Any, connection: Any, target: Any) -> None:
        if failures:
            raise failures.pop()

    event.listen(Token, "before_insert", fail_once)
    try:
        yield
    finally:
        event.remove(Token, "before_insert", fail_once)


def test_a_503_during_refresh_can_be_retried(live: Live) -> None:
    token = live.redeem(live.code()).json()
    with failing_insert():
        failed = live.refresh(token["refresh_token"])
    assert failed.status_code == 503
    retried = live.refresh(token["refresh_token"])
    assert retried.status_code == 200, retried.text
    assert live.me(retried.json()["access_token"]).status_code == 200


def test_a_503_during_the_code_exchange_can_be_retried(live: Live) -> None:
    code = live.code()
    with failing_insert():
        failed = live.redeem(code)
    assert failed.status_code == 503
    retried = live.redeem(code)
    assert retried.status_code == 200, retried.text
    assert live.me(retried.json()["access_token"]).status_code == 200


def test_revoking_a_refresh_token_revokes_the_access_tokens_it_gave(
    make_live: Callable[..., Live],
) -> None:
    """RFC 7009 2.1: with rotation off, the access tokens refreshed from one refresh token
    go with it."""
    live = make_live(OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS=False)
    first = live.redeem(live.code()).json()
    later = [live.refresh(first["refresh_token"]).json()["access_token"] for _ in range(2)]
    revoke = requests.post(
        live.url + "/oauth/revoke",
        data={"token": first["refresh_token"], "token_type_hint": "refresh_token"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert revoke.status_code == 200
    statuses = [live.me(token).status_code for token in [first["access_token"], *later]]
    assert statuses == [401, 401, 401]
