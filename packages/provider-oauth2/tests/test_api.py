"""The documented OAuth2Provider API: app binding, hooks and verify_request."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify, request
from oauth2_app import create_app

from flask_oauthlib_provider_oauth2 import DEFAULTS, OAuth2Provider


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


def with_token(scopes: list[str]) -> tuple[Flask, OAuth2Provider, str]:
    app, oauth, store = create_app()
    return app, oauth, store.add_token("t-1", scopes).access_token


def test_init_app_later_defaults_config_and_refuses_a_second_provider() -> None:
    oauth = OAuth2Provider()
    app = Flask("late")
    oauth.init_app(app)
    assert app.extensions["oauthlib.provider.oauth2"] is oauth
    for key, value in DEFAULTS.items():
        assert app.config[key] == value
    with pytest.raises(RuntimeError, match="already registered"):
        OAuth2Provider(app)


def test_one_provider_serves_two_apps() -> None:
    app_a, oauth, store = create_app()
    app_b = Flask("second")
    oauth.init_app(app_b)
    with app_a.app_context():
        server_a = oauth.server
    with app_b.app_context():
        assert oauth.server is not server_a


def test_server_without_getters_explains_what_is_missing() -> None:
    app = Flask("empty")
    oauth = OAuth2Provider(app)
    with app.app_context(), pytest.raises(RuntimeError, match="clientgetter and tokengetter"):
        oauth.server  # noqa: B018


def test_server_is_built_once_and_rebuilt_when_a_getter_changes() -> None:
    app, oauth, _ = create_app()
    with app.app_context():
        first = oauth.server
        assert oauth.server is first
        oauth.usergetter(lambda *a, **k: None)
        assert oauth.server is not first


def test_error_uri() -> None:
    app, oauth, _ = create_app()
    with app.test_request_context():
        assert oauth.error_uri == "/oauth/errors"
        app.config["OAUTH2_PROVIDER_ERROR_ENDPOINT"] = "errors"
        assert oauth.error_uri == "/oauth/errors"
        app.config["OAUTH2_PROVIDER_ERROR_URI"] = "/custom"
        assert oauth.error_uri == "/custom"


def test_request_oauth_carries_user_client_scopes_token() -> None:
    app, oauth, token = with_token(["email", "profile"])
    resp = app.test_client().get("/api/profile", headers=bearer(token))
    assert resp.get_json() == {"scopes": ["email", "profile"], "token": "confidential"}


def test_invalid_response_hook() -> None:
    app, oauth, _ = with_token(["email"])

    @oauth.invalid_response
    def invalid(req: Any) -> Any:
        return jsonify(message=req.error_message), 418

    resp = app.test_client().get("/api/me", headers=bearer("unknown"))
    assert resp.status_code == 418 and resp.get_json() == {
        "message": "The access token is invalid."
    }


def test_before_and_after_request_hooks() -> None:
    app, oauth, token = with_token(["email"])
    seen: list[Any] = []

    @oauth.before_request
    def limit() -> None:
        seen.append(("before", request.path))

    @oauth.after_request
    def block_alice(valid: bool, req: Any) -> tuple[bool, Any]:
        seen.append(("after", valid))
        if valid and req.user.username == "alice":
            return False, req
        return valid, req

    resp = app.test_client().get("/api/me", headers=bearer(token))
    assert resp.status_code == 401
    assert seen == [("before", "/api/me"), ("after", True)]


def test_before_request_may_answer() -> None:
    app, oauth, token = with_token(["email"])

    @oauth.before_request
    def over_limit() -> Any:
        return jsonify(error="slow down"), 429

    assert app.test_client().get("/api/me", headers=bearer(token)).status_code == 429


def test_verify_request() -> None:
    app, oauth, token = with_token(["email"])
    with app.test_request_context(headers=bearer(token)):
        valid, req = oauth.verify_request(["email"])
        assert valid and req.user.username == "alice" and req.access_token.access_token == token
    with app.test_request_context(headers=bearer(token)):
        valid, req = oauth.verify_request(["admin"])
        assert (
            not valid and req.error_message == "The access token lacks a scope this resource needs."
        )


def test_exception_handler_hook() -> None:
    app, oauth, _ = create_app()
    caught: list[tuple[str, str]] = []

    @oauth.exception_handler
    def handle(error: Any, redirect_uri: str) -> Any:
        caught.append((error.error, redirect_uri))
        return jsonify(error=error.error), 400

    resp = app.test_client().get("/oauth/authorize?client_id=nobody&response_type=code")
    assert resp.status_code == 400
    assert caught and caught[0][1].startswith("/oauth/errors?")


def test_authorize_view_gets_the_validated_request() -> None:
    app, oauth, _ = create_app()
    got: dict[str, Any] = {}

    @app.route("/inspect")
    @oauth.authorize_handler
    def inspect(*args: Any, **kwargs: Any) -> Any:
        got.update(kwargs)
        return "ok"

    resp = app.test_client().get(
        "/inspect?client_id=confidential&response_type=code&scope=email&state=xyz"
        "&redirect_uri=http://127.0.0.1:8000/authorized"
    )
    assert resp.status_code == 200
    assert got["scopes"] == ["email"] and got["client_id"] == "confidential"
    assert got["state"] == "xyz" and got["redirect_uri"] == "http://127.0.0.1:8000/authorized"
    assert got["response_type"] == "code" and got["request"] is not None


def test_default_redirect_uri_is_used_when_none_is_given() -> None:
    app, _, _ = create_app()
    client = app.test_client()
    page = client.get("/oauth/authorize?client_id=confidential&response_type=code&scope=email")
    assert page.status_code == 200
    done = client.post(
        "/oauth/authorize?client_id=confidential&response_type=code&scope=email",
        data={"confirm": "yes"},
    )
    assert done.headers["Location"].startswith("http://127.0.0.1:8000/authorized?code=")
