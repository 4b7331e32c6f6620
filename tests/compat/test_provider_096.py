"""OAuth 2 provider habits of 0.9.6 apps and their tests: what hooks receive, the
any-one-scope rule behind a switch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from flask import jsonify
from oauth2_app import Token, create_app
from oauthlib.common import Request as OAuthlibRequest


def app_with_token(scopes: list[str], **config: Any) -> tuple[Any, Any, dict[str, str]]:
    app, oauth, store = create_app(**config)
    token = Token(
        store,
        "tok",
        None,
        "confidential",
        scopes,
        datetime.now(timezone.utc) + timedelta(hours=1),
        store.alice,
        store.clients["confidential"],
    )
    store.tokens["tok"] = token
    return app, oauth, {"Authorization": "Bearer tok"}


def test_hooks_get_an_oauthlib_request_with_its_attributes() -> None:
    app, oauth, headers = app_with_token(["email"])
    seen: list[Any] = []

    @oauth.after_request
    def after(valid: bool, req: Any) -> tuple[bool, Any]:
        seen.append(req)
        return valid, req

    @oauth.invalid_response
    def invalid(req: Any) -> Any:
        seen.append(req)
        return jsonify(message=req.error_message), 401

    client = app.test_client()
    assert client.get("/api/me?x=1", headers=headers).status_code == 200
    assert client.get("/api/profile", headers=headers).status_code == 401
    ok, refused, refused_again = seen
    assert refused is refused_again
    for req in (ok, refused):
        assert isinstance(req, OAuthlibRequest)
        assert req.http_method == "GET" and req.uri.startswith("http://localhost/api/")
        assert req.headers["authorization"] == "Bearer tok"  # case-insensitive, as oauthlib's
        assert req.client_id is None and req.state is None  # unset oauthlib parameters
        assert req.oauth_params == [] and req.validator_log == {}
    assert ok.uri_query == "x=1" and ok.x == "1"
    assert ok.user.username == "alice" and ok.access_token.access_token == "tok"
    with app.test_request_context("/api/me", headers=headers):
        valid, req = oauth.verify_request(["email"])
    assert valid and isinstance(req, OAuthlibRequest)


def test_any_one_scope_when_switched_to_the_096_rule() -> None:
    app, _, headers = app_with_token(["email"])
    assert app.test_client().get("/api/profile", headers=headers).status_code == 403
    app, _, headers = app_with_token(["email"], OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES=False)
    assert app.test_client().get("/api/profile", headers=headers).status_code == 200
    app, _, headers = app_with_token(["other"], OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES=False)
    assert app.test_client().get("/api/profile", headers=headers).status_code == 403
