"""The client's signals (``flask_oauthlib_client.signals``) against Authlib's server over
real HTTP: a login, its failures, a refresh; the app as sender, never a token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from client_peers import Live, authlib_oauth2_app
from flask import Flask
from login_app import login_app, remote_settings

from flask_oauthlib_client import OAuthException, OAuthRemoteApp, signals
from flask_oauthlib_core.testing import go_to_provider

CALLBACK = "http://localhost/authorized"
Heard = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def provider(serve: Any) -> Live:
    live = authlib_oauth2_app(CALLBACK, expires_in=1)
    live.url = serve(live.app)
    return live


def client_app(provider: str, **kwargs: Any) -> tuple[Flask, OAuthRemoteApp]:
    settings = {"access_token_method": "POST", "request_token_params": {"scope": "profile"}}
    return login_app(**remote_settings(provider, **{**settings, **kwargs}))


def listen(app: Flask, stack: ExitStack) -> Heard:
    """Every client signal ``app`` sends while ``stack`` is open: ``(name, keywords)``."""
    heard: Heard = []
    for name in signals.__all__:

        def receive(sender: Any, name: str = name, **data: Any) -> None:
            assert sender is app
            heard.append((name, data))

        stack.enter_context(getattr(signals, name).connected_to(receive, sender=app))
    return heard


@pytest.fixture
def app_and_heard(provider: Live) -> Iterator[tuple[Flask, OAuthRemoteApp, Heard]]:
    app, remote = client_app(provider.url)
    with ExitStack() as stack:
        yield app, remote, listen(app, stack)


def test_a_login_sends_oauth_authorized(app_and_heard: Any) -> None:
    app, _, heard = app_and_heard
    with app.test_client() as tc:
        token = tc.get(go_to_provider(tc)).get_json()
    assert heard == [
        (
            "oauth_authorized",
            {"remote_app": "dev", "user": None, "scopes": ["profile"], "subject": None},
        )
    ]
    assert token["access_token"] not in repr(heard)


def test_a_denied_login_sends_oauth_error(provider: Live, app_and_heard: Any) -> None:
    provider.state["decision"] = "deny"
    app, _, heard = app_and_heard
    with app.test_client() as tc:
        assert tc.get(go_to_provider(tc)).get_json() == {"denied": True}
    assert [name for name, _ in heard] == ["oauth_error"]
    told = heard[0][1]
    assert (told["remote_app"], told["error"], told["stage"]) == (
        "dev",
        "access_denied",
        "callback",
    )
    assert told["user"] is None and "description" in told


def test_a_forged_state_sends_oauth_error_and_still_raises(app_and_heard: Any) -> None:
    app, _, heard = app_and_heard
    with app.test_client() as tc:
        answer = tc.get(go_to_provider(tc).replace("state=", "state=forged"))
    assert answer.get_json()["error"] == "invalid_state"  # the view got the exception
    assert [(name, data["error"]) for name, data in heard] == [("oauth_error", "invalid_state")]


def test_a_refused_code_exchange_sends_oauth_error(provider: Live) -> None:
    app, _ = client_app(provider.url, access_token_url=provider.url + "/crash/token")
    with ExitStack() as stack:
        heard = listen(app, stack)
        with app.test_client() as tc:
            assert tc.get(go_to_provider(tc)).status_code == 400
    assert [(name, data["error"], data["stage"]) for name, data in heard] == [
        ("oauth_error", "invalid_response", "callback")
    ]


def test_a_refresh_sends_token_refreshed_after_the_tokensaver(app_and_heard: Any) -> None:
    app, remote, heard = app_and_heard
    order: list[str] = []
    remote.tokensaver(lambda token: order.append("saved"))

    def told(sender: Any, **data: Any) -> None:
        order.append("told")

    with app.test_client() as tc, signals.token_refreshed.connected_to(told, sender=app):
        first = tc.get(go_to_provider(tc)).get_json()
        with tc.session_transaction() as sess:
            sess["token"] = dict(first, expires_at=int(time.time()) - 1)
        assert tc.get("/me").get_json()["name"] == "alice"
    assert order == ["saved", "told"]
    assert heard[-1] == (
        "token_refreshed",
        {"remote_app": "dev", "user": None, "scopes": ["profile"], "subject": None},
    )
    assert first["refresh_token"] not in repr(heard)


def test_a_failed_refresh_sends_oauth_error(app_and_heard: Any) -> None:
    app, remote, heard = app_and_heard
    expired = {"access_token": "a", "refresh_token": "bad", "expires_at": 1}
    with app.test_request_context(), pytest.raises(OAuthException):
        remote.get("me", token=expired)
    assert [(name, data["error"], data["stage"]) for name, data in heard] == [
        ("oauth_error", "refresh_failed", "refresh")
    ]


def test_the_user_is_flask_logins_current_user(app_and_heard: Any) -> None:
    flask_login = pytest.importorskip("flask_login")
    app, _, heard = app_and_heard

    class Member(flask_login.UserMixin):  # type: ignore[misc, name-defined]
        id = "7"

    manager = flask_login.LoginManager(app)
    manager.user_loader(lambda user_id: Member() if user_id == "7" else None)

    @app.route("/as-member")
    def as_member() -> str:
        flask_login.login_user(Member())
        return "ok"

    with app.test_client() as tc:
        tc.get("/as-member")
        tc.get(go_to_provider(tc))
    assert [name for name, _ in heard] == ["oauth_authorized"]
    assert isinstance(heard[0][1]["user"], Member)


def test_nothing_is_built_while_nobody_listens(
    provider: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unwanted() -> Any:
        raise AssertionError("the payload was built for nobody")

    monkeypatch.setattr(signals, "app_user", unwanted)
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        assert "access_token" in tc.get(go_to_provider(tc)).get_json()
