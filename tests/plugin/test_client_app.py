"""The sample client app's tests, written as our users would write theirs: the
``oauth_remote_stub`` fixture (registered by the client distribution's pytest plugin)
stands in for Corp's OpenID provider and for GitHub; no network, nothing patched."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from plugin.sample_client_app import corp, create_app, github


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_log_in_with_corp(client: FlaskClient, oauth_remote_stub: Any) -> None:
    stub = oauth_remote_stub(corp, user={"sub": "u-42", "email": "ada@corp.example"})
    landed = stub.login(client, "/login", "/login/authorized")
    assert landed.status_code == 302 and landed.headers["Location"] == "/"
    assert client.get("/").json == {"user": {"sub": "u-42"}, "email": "ada@corp.example"}
    (authorization,) = stub.authorizations
    assert authorization["scope"] == "openid email profile" and authorization["nonce"]
    # the app fetched the provider's metadata and keys once, and exchanged the code
    assert [(r.method, r.path) for r in stub.requests] == [
        ("GET", "/.well-known/openid-configuration"),
        ("POST", "/token"),
        ("GET", "/jwks"),
    ]
    exchange = stub.calls("POST", "https://id.corp.example/token")[0]
    assert exchange.form["code"] == "stub-code-1" and exchange.form["code_verifier"]


def test_a_denied_or_forged_login_is_a_sentence(
    client: FlaskClient, oauth_remote_stub: Any
) -> None:
    stub = oauth_remote_stub(corp)
    denied = stub.login(client, allow=False)
    assert denied.status_code == 403 and denied.text == "You did not allow access."
    stub.token_fields["id_token"] = stub.id_token("sample-app", nonce="not-this-login")
    forged = stub.login(client)
    assert forged.status_code == 400 and "did not work" in forged.text


def test_link_github_and_list_repositories(client: FlaskClient, oauth_remote_stub: Any) -> None:
    corp_stub = oauth_remote_stub(corp)  # asked first, answers nothing of GitHub's
    gh = oauth_remote_stub(github)
    gh.route("GET", "user/repos", json=[{"full_name": "ada/engine"}])
    linked = gh.login(client, "/link/github", "/link/github/authorized")
    assert linked.status_code == 302
    assert client.get("/repos").json == {"repos": ["ada/engine"]}
    (call,) = gh.calls("GET", "user/repos")
    assert call.query == {"per_page": "5"}
    assert call.headers["Authorization"] == "Bearer stub-access-token-1"
    assert corp_stub.requests == [] and oauth_remote_stub.requests == gh.requests


def test_an_expired_github_token_is_refreshed_and_saved(
    app: Flask, client: FlaskClient, oauth_remote_stub: Any
) -> None:
    gh = oauth_remote_stub(github, token={"expires_in": 0})
    gh.route("GET", "user/repos", json=[])
    gh.login(client, "/link/github")
    gh.token_fields.clear()  # the refreshed token lives an hour
    assert client.get("/repos").status_code == 200
    refresh = gh.calls("POST", "https://github.com/login/oauth/access_token")[-1]
    assert refresh.form == {
        "grant_type": "refresh_token",
        "refresh_token": "stub-refresh-token-1",
        "client_id": "gh-app",
        "client_secret": "gh-secret",
    }
    assert gh.calls("GET", "user/repos")[0].headers["Authorization"] == "Bearer stub-access-token-2"
    (saved,) = [t for k, t in app.extensions["sample_tokens"].items() if k.endswith(":github")]
    assert saved["access_token"] == "stub-access-token-2"


def test_github_down_is_a_sentence(client: FlaskClient, oauth_remote_stub: Any) -> None:
    gh = oauth_remote_stub(github)
    gh.route("GET", "user/repos", status=503, body="unavailable")
    gh.login(client, "/link/github")
    down = client.get("/repos")
    assert down.status_code == 502 and "cannot be reached" in down.text


def test_both_servers_in_one_test(client: FlaskClient, oauth_remote_stub: Any) -> None:
    corp_stub, gh = oauth_remote_stub(corp), oauth_remote_stub(github)
    corp_stub.login(client)
    gh.login(client, "/link/github")
    hosts = {r.url.split("/")[2] for r in oauth_remote_stub.requests}
    assert hosts == {"id.corp.example", "github.com"}
    assert not oauth_remote_stub.unmatched
