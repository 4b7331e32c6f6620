"""OAuth 2 provider habits of 0.9.6 apps and their tests: what hooks receive, the
any-one-scope rule behind a switch."""

from __future__ import annotations

from typing import Any

import pytest
from flask import jsonify
from oauth2_app import authorize_url, create_app, redeem
from oauthlib.common import Request as OAuthlibRequest

from flask_oauthlib_core.testing import code_challenge, code_from


def app_with_token(scopes: list[str], **config: Any) -> tuple[Any, Any, dict[str, str]]:
    app, oauth, store = create_app(**config)
    store.add_token("tok", scopes)
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


# the 0.9.6 docs' consent template re-posts the request as hidden fields, without PKCE --

OLD_FORM = """<form action="/oauth/authorize" method="post">
  <input type="hidden" name="client_id" value="{{ client_id }}">
  <input type="hidden" name="scope" value="{{ scopes|join(' ') }}">
  <input type="hidden" name="response_type" value="{{ response_type }}">
  <input type="hidden" name="redirect_uri" value="{{ redirect_uri }}">
  {% if state %}<input type="hidden" name="state" value="{{ state }}">{% endif %}
  <input type="submit" name="confirm" value="yes">
</form>"""


def hidden_fields(page: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))


@pytest.mark.parametrize("client_id", ["confidential", "public"])
def test_hidden_field_consent_keeps_the_pkce_of_the_request(client_id: str) -> None:
    from flask import render_template_string, request

    app, oauth, _ = create_app(SECRET_KEY="test")

    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return render_template_string(OLD_FORM, **kwargs)
        return request.form.get("confirm") == "yes"

    app.view_functions["authorize"] = oauth.authorize_handler(authorize)
    verifier = "v" * 50
    browser = app.test_client()
    url = authorize_url(
        "",
        client_id,
        state="st",
        code_challenge=code_challenge(verifier),
        code_challenge_method="S256",
    )
    page = browser.get(url)
    assert page.status_code == 200, page.text
    answer = browser.post("/oauth/authorize", data={**hidden_fields(page.text), "confirm": "yes"})
    token = redeem(app.test_client(), code_from(answer), client_id, code_verifier=verifier)
    assert token.status_code == 200, token.text


def test_0_9_6_module_names_and_outside_context_access() -> None:
    from flask import Flask
    from oauthlib.oauth1 import SIGNATURE_HMAC, SIGNATURE_RSA

    from flask_oauthlib.provider.oauth1 import SIGNATURE_METHODS, OAuth1Provider
    from flask_oauthlib.provider.oauth2 import OAuth2Provider

    assert SIGNATURE_METHODS == (SIGNATURE_HMAC, SIGNATURE_RSA)
    app, oauth, _ = create_app()
    assert oauth.app is app
    assert oauth.error_uri == "/oauth/errors"  # no app context pushed
    assert oauth.server.request_validator is not None
    assert OAuth2Provider().app is None
    app1 = Flask("oauth1")
    oauth1 = OAuth1Provider(app1)
    assert oauth1.app is app1 and oauth1.error_uri == "/oauth/errors"


def test_confirm_redirect_uri_with_the_0_9_6_arguments() -> None:
    from datetime import datetime, timedelta, timezone

    from oauth2_app import REDIRECT, Grant

    app, oauth, store = create_app()
    store.grants["c0de"] = Grant(
        store,
        "confidential",
        "c0de",
        store.alice,
        ["email"],
        REDIRECT,
        datetime.now(timezone.utc) + timedelta(seconds=60),
    )
    with app.app_context():
        validator = oauth.server.request_validator
        client = store.clients["confidential"]
        assert validator.confirm_redirect_uri("confidential", "c0de", REDIRECT, client)
        assert not validator.confirm_redirect_uri("confidential", "c0de", REDIRECT + "/x", client)
