"""The ``oauth_remote_stub`` fixture and :class:`RemoteStub`: logins against a server in
memory (OAuth 2, OpenID Connect, OAuth 1.0a, PAR), API calls answered as told, every
request recorded, nothing sent to the network, the app's session given back."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, jsonify, session, url_for
from requests.structures import CaseInsensitiveDict

from flask_oauthlib_client import OAuth, OAuthException
from flask_oauthlib_client.pytest_plugin import RemoteStubs
from flask_oauthlib_client.testing import (
    RecordedRequest,
    RemoteStub,
    StubResponse,
    StubTransport,
)


def client_app(**options: Any) -> tuple[Flask, Any]:
    """A "Log in with X" app: /login, /authorized (saves the token), /me (an API call)."""
    app = Flask(__name__)
    app.secret_key = "test"
    oauth = OAuth(app)
    remote = oauth.remote_app("x", consumer_key="app-id", consumer_secret="app-secret", **options)
    tokens: dict[str, Any] = {}

    @remote.tokengetter
    def get_token() -> Any:
        return tokens.get("me")

    @app.route("/login")
    def login() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            token = remote.authorized_response()
        except OAuthException as exc:
            return jsonify(error=exc.type), 400
        if token is None:
            return jsonify(error="denied"), 403
        tokens["me"] = token
        session["signed_in"] = True
        return jsonify(claims=token.get("id_token_claims"), scope=token.get("scope"))

    @app.route("/me")
    def me() -> Any:
        answer = remote.get("user")
        return jsonify(status=answer.status, data=answer.data)

    return app, remote


OAUTH2 = {
    "base_url": "https://api.x.example/",
    "authorize_url": "https://x.example/oauth/authorize",
    "access_token_url": "https://x.example/oauth/token",
    "request_token_params": {"scope": "user"},
}


def test_an_oauth2_login_and_an_api_call(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(**OAUTH2)
    stub = oauth_remote_stub(remote)
    stub.route("GET", "user", json={"login": "octocat"})
    browser = app.test_client()
    landed = stub.login(browser, "/login", "/authorized")
    assert landed.status_code == 200, landed.text
    assert landed.json == {"claims": None, "scope": "user"}
    (authorization,) = stub.authorizations
    assert authorization["code_challenge_method"] == "S256" and authorization["state"]
    exchange = stub.calls("POST", OAUTH2["access_token_url"])[0]
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["code_verifier"] and "redirect_uri" in exchange.form
    me = browser.get("/me").json
    assert me == {"status": 200, "data": {"login": "octocat"}}
    api = stub.calls("GET", "user")[0]
    assert api.headers["Authorization"] == "Bearer stub-access-token-1"
    assert oauth_remote_stub.requests == stub.requests and not oauth_remote_stub.unmatched


def test_a_refusal_and_a_replayed_callback(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(**OAUTH2)
    stub = oauth_remote_stub(remote)
    denied = stub.login(app.test_client(), allow=False)
    assert denied.status_code == 403 and not stub.requests
    browser = app.test_client()
    first = browser.get("/login")
    landed = stub.login(browser, first)
    assert landed.status_code == 200
    again = browser.get(landed.request.url)  # the same code and state, once more
    assert again.status_code == 400 and again.json == {"error": "invalid_state"}


def test_the_token_endpoint_checks_code_redirect_and_verifier() -> None:
    app, remote = client_app(**OAUTH2)
    stub = RemoteStub(remote, app)
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    def exchange(code: str, redirect_uri: str = "https://app/cb", **more: str) -> Any:
        body = urlencode(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **more}
        ).encode()
        headers = CaseInsensitiveDict({"Content-Type": "application/x-www-form-urlencoded"})
        return stub.token_endpoint(RecordedRequest("POST", "https://x/token", headers, body))

    params = {
        "client_id": "app-id",
        "redirect_uri": "https://app/cb",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert exchange(stub.issue_code(params), code_verifier="wrong").status == 400
    assert (
        exchange(stub.issue_code(params), "https://evil/cb", code_verifier=verifier).status == 400
    )
    code = stub.issue_code(params)
    assert exchange(code, code_verifier=verifier).status == 200
    replayed = exchange(code, code_verifier=verifier)
    assert replayed.status == 400 and b"invalid_grant" in replayed.body


def test_token_fields_and_routes_override_the_stub(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(**OAUTH2)
    stub = oauth_remote_stub(remote, token={"scope": "user repo", "refresh_token": None})
    landed = stub.login(app.test_client())
    assert landed.json["scope"] == "user repo"
    stub.route("POST", OAUTH2["access_token_url"], json={"error": "bad_code"}, status=400)
    failed = stub.login(app.test_client())
    assert failed.status_code == 400 and failed.json == {"error": "invalid_response"}


def test_unknown_urls_fail_without_the_network(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(**OAUTH2)
    stub = oauth_remote_stub(remote)
    stub.login(app.test_client())
    with app.test_request_context():
        missing = remote.get("nothing-here")
        assert missing.status == 404 and missing.data["error"] == "not_found"
        with pytest.raises(OAuthException) as elsewhere:
            remote.get("https://elsewhere.example/")
        assert elsewhere.value.type == "network_error"
        stub.route("GET", "slow", raises=requests.ConnectTimeout())
        with pytest.raises(OAuthException) as slow:
            remote.get("slow")
        assert slow.value.type == "timeout"
    assert [r.url for r in oauth_remote_stub.unmatched] == ["https://elsewhere.example/"]


def test_an_openid_connect_login_verifies_the_stubs_id_token(
    oauth_remote_stub: RemoteStubs,
) -> None:
    app, remote = client_app(
        server_metadata_url="https://id.example/.well-known/openid-configuration",
        request_token_params={"scope": "openid email"},
    )
    stub = oauth_remote_stub(remote, user={"sub": "alice", "email": "alice@example.com"})
    landed = stub.login(app.test_client(), "/login", "/authorized")
    assert landed.status_code == 200, landed.text
    claims = landed.json["claims"]
    assert claims["sub"] == "alice" and claims["iss"] == "https://id.example"
    assert claims["email"] == "alice@example.com" and claims["aud"] == "app-id"
    assert stub.calls("GET", "https://id.example/jwks")
    with app.test_request_context():
        assert remote.userinfo() == {"sub": "alice", "email": "alice@example.com"}


def test_a_forged_id_token_is_refused(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(
        server_metadata_url="https://id.example/.well-known/openid-configuration",
        request_token_params={"scope": "openid"},
    )
    stub = oauth_remote_stub(remote)
    stub.token_fields["id_token"] = stub.id_token("another-app")
    refused = stub.login(app.test_client())
    assert refused.status_code == 400 and refused.json == {"error": "invalid_audience"}


def test_pushed_authorization_requests(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(
        server_metadata_url="https://id.example/.well-known/openid-configuration",
        use_par=True,
    )
    stub = oauth_remote_stub(remote)
    landed = stub.login(app.test_client())
    assert landed.status_code == 200, landed.text
    assert stub.calls("POST", "https://id.example/par")
    assert stub.authorizations[0]["redirect_uri"] == "http://localhost/authorized"


def test_an_oauth1_login(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(
        base_url="https://api.x.example/1.1/",
        request_token_url="https://x.example/oauth/request_token",
        access_token_url="https://x.example/oauth/access_token",
        authorize_url="https://x.example/oauth/authorize",
    )
    stub = oauth_remote_stub(remote, token={"screen_name": "alice"})
    stub.route("GET", "user", json={"name": "Alice"})
    browser = app.test_client()
    landed = stub.login(browser, "/login", "/authorized")
    assert landed.status_code == 200, landed.text
    assert browser.get("/me").json["data"] == {"name": "Alice"}
    signed = stub.calls("GET", "user")[0].headers["Authorization"]
    assert signed.startswith("OAuth ") and 'oauth_token="stub-access-token-1"' in signed
    assert stub.login(app.test_client(), allow=False).status_code == 403


def test_the_session_gets_its_adapters_back() -> None:
    app, remote = client_app(**OAUTH2)
    session = remote.oauth.http_session(app)
    before = dict(session.adapters)
    with RemoteStub(remote, app) as stub:
        assert isinstance(session.get_adapter("https://x.example/"), StubTransport)
        with RemoteStub(remote, app) as second:  # joins the transport mounted
            assert second.transport is stub.transport
    assert session.adapters == before


def test_a_respond_function_sees_the_request(oauth_remote_stub: RemoteStubs) -> None:
    app, remote = client_app(**OAUTH2)
    stub = oauth_remote_stub(remote)
    stub.route("POST", "echo", respond=lambda request: StubResponse.of_json(request.json(), 201))
    with app.test_request_context():
        answer = remote.post("echo", data={"a": 1}, format="json", token="t")
    assert answer.status == 201 and answer.data == {"a": 1}


def test_http_session_needs_an_initialised_app() -> None:
    app, remote = client_app(**OAUTH2)
    assert remote.oauth.http_session() is remote.oauth.http_session(app)
    with pytest.raises(RuntimeError, match="not initialised"):
        remote.oauth.http_session(Flask("another"))
