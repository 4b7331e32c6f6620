"""What a failed callback tells the app, and the hint for plain-http development."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp
from flask_oauthlib_core.testing import redirect_params


def app_and_remote() -> tuple[Flask, OAuthRemoteApp]:
    app = Flask("callbacks")
    app.secret_key = "test"
    remote = OAuth(app).remote_app(
        "dev",
        consumer_key="key",
        consumer_secret="secret",
        authorize_url="http://127.0.0.1:1/authorize",
        access_token_url="http://127.0.0.1:1/token",
    )
    return app, remote


def started_login(app: Flask, remote: OAuthRemoteApp) -> tuple[dict[str, str], str]:
    """Start a login in a test session: return the session and its ``state``."""
    with app.test_request_context("/login"):
        from flask import session

        answer = remote.authorize(callback="http://localhost/cb")
        return dict(session), redirect_params(answer.headers["Location"])["state"]


@pytest.mark.parametrize(
    ("query", "error", "description", "denied"),
    [
        ("error=access_denied", "access_denied", None, True),
        (
            "error=invalid_scope&error_description=Unknown+scope+admin&error_uri=https://x/e",
            "invalid_scope",
            "Unknown scope admin",
            False,
        ),
        ("error=server_error", "server_error", None, False),
        ("", "invalid_callback", "The callback carries neither a code nor an error.", False),
    ],
)
def test_errors_return_none_and_are_told_by_callback_error(
    query: str, error: str, description: str | None, denied: bool
) -> None:
    app, remote = app_and_remote()
    saved, state = started_login(app, remote)
    with app.test_request_context(f"/cb?{query}&state={state}"):
        from flask import session

        session.update(saved)
        assert remote.authorized_response() is None  # what 0.9.6 apps check
        told = remote.callback_error
        assert told is not None
        assert (told.error, told.description, told.denied) == (error, description, denied)
        if "error_uri" in query:
            assert told.uri == "https://x/e"


def test_callback_error_is_per_request() -> None:
    app, remote = app_and_remote()
    with app.test_request_context("/cb?error=server_error"):
        remote.authorized_response()
        assert remote.callback_error is not None
    with app.test_request_context("/other"):
        assert remote.callback_error is None


def test_plain_http_without_the_switch_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    app, remote = app_and_remote()
    with app.test_request_context("/login"):
        with pytest.raises(OAuthException) as raised:
            remote.authorize(callback="http://localhost/cb")
    assert raised.value.type == "insecure_transport"
    assert "OAUTHLIB_INSECURE_TRANSPORT=1" in raised.value.message
