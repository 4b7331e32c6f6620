"""Our client registers itself with our provider (RFC 7591) and asks for tokens meant for
one API (RFC 8707), both served over real HTTP: the provider's registration and resource
indicators switched on, as docs/registration.md and docs/resources.md show."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from login_app import login_app

from flask_oauthlib_client import OAuthException, OAuthRemoteApp
from flask_oauthlib_core.testing import go_to_provider

registration_app = pytest.importorskip("registration_app")
resource_app = pytest.importorskip("resource_app")
oauth2_app = pytest.importorskip("oauth2_app")

Serve = Callable[[Flask], str]
CALLBACK = "http://localhost/authorized"  # loopback: open registration takes it
MCP = "https://mcp.example.com/mcp"
FILES = "https://files.example.com/"
WELL_KNOWN = "/.well-known/oauth-authorization-server"


def our_provider(serve: Serve, policy: Any = None, **config: Any) -> Any:
    """Our provider with registration (scopes ``email profile``) and storage that keeps
    resources; its static ``confidential`` client may introspect every token."""
    settings = {"OAUTH2_PROVIDER_ALLOWED_RESOURCES": [MCP, FILES], **config}
    provider = registration_app.registration_app(serve, policy, **settings)
    resource_app.keep_grant_resources(provider.oauth, provider.store)
    resource_app.keep_token_resources(provider.oauth, provider.store)
    provider.store.clients["confidential"].is_resource_server = True
    return provider


def client_for(provider: Any, **settings: Any) -> tuple[Flask, OAuthRemoteApp, list[Any]]:
    """Our client app, knowing only the provider's metadata URL; what it saves."""
    app, remote = login_app(
        base_url=provider.url + "/",
        me="api/me",
        server_metadata_url=provider.url + WELL_KNOWN,
        request_token_params={"scope": "email"},
        **settings,
    )
    saved: list[Any] = []
    remote.registration_saver(saved.append)
    return app, remote, saved


def log_in(app: Flask) -> tuple[Any, dict[str, Any]]:
    tc = app.test_client()
    done = tc.get(go_to_provider(tc, allow=True))
    assert done.status_code == 200, done.get_data(as_text=True)
    return tc, done.get_json()


def introspect(provider: Any, access_token: str) -> dict[str, Any]:
    answer = requests.post(
        provider.url + "/oauth/introspect",
        data={"token": access_token},
        auth=("confidential", oauth2_app.SECRETS["confidential"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_register_then_log_in_with_pkce_for_one_resource(serve: Serve) -> None:
    provider = our_provider(serve)
    app, remote, saved = client_for(provider, resource=MCP)
    with app.app_context():
        registration = remote.register(CALLBACK, client_name="MCP agent", public=True)
    client_id = registration["client_id"]
    assert saved == [registration]
    assert "client_secret" not in registration
    assert registration["registration_client_uri"].endswith("/oauth/register/" + client_id)
    stored = provider.client(client_id)
    assert stored.token_endpoint_auth_method == "none" and not stored.is_confidential
    assert stored.redirect_uris == [CALLBACK]
    assert stored.allowed_grant_types == ["authorization_code", "refresh_token"]
    assert stored.client_metadata["client_name"] == "MCP agent"

    tc, token = log_in(app)
    assert token["resource"] == [MCP]
    assert provider.store.token_for(token["access_token"]).resources == [MCP]
    assert introspect(provider, token["access_token"])["aud"] == MCP
    assert tc.get("/me").get_json() == {"username": "alice", "client": client_id}
    # the refresh token keeps the audience, and the refresh asks for it again
    with app.test_request_context():
        new = remote.refresh_token(token)
    assert introspect(provider, new["access_token"])["aud"] == MCP
    assert new["resource"] == [MCP]


def test_a_confidential_registration_for_two_resources(serve: Serve) -> None:
    provider = our_provider(serve)
    app, remote, _ = client_for(provider, resource=[MCP, FILES])
    with app.app_context():
        registration = remote.register(CALLBACK)
    assert registration["token_endpoint_auth_method"] == "client_secret_basic"
    assert registration["client_secret"]
    stored = provider.client(registration["client_id"])
    assert stored.is_confidential and stored.check_client_secret(registration["client_secret"])
    _, token = log_in(app)  # our provider accepts client_secret_basic only from it
    assert introspect(provider, token["access_token"])["aud"] == [MCP, FILES]
    with app.test_request_context():
        new = remote.refresh_token(token)
    assert provider.store.token_for(new["access_token"]).resources == [MCP, FILES]


def test_the_loader_avoids_a_second_registration(serve: Serve) -> None:
    provider = our_provider(serve)
    vault: dict[str, Any] = {}
    first, remote, _ = client_for(provider)
    remote.registration_saver(lambda registration: vault.update(agent=registration))
    with first.app_context():
        remote.register(CALLBACK, public=True)
    restarted, again, saved = client_for(provider)
    again.registration_loader(lambda: vault.get("agent"))
    with restarted.app_context():
        assert again.register(CALLBACK, public=True) == vault["agent"]
    log_in(restarted)
    assert len(provider.calls) == 1 and saved == []
    # what was saved manages the registration (RFC 7592)
    read = provider.configure("GET", vault["agent"])
    assert read.status_code == 200 and read.json()["client_id"] == vault["agent"]["client_id"]


def test_the_providers_refusals(serve: Serve) -> None:
    provider = our_provider(serve, registration_app.loopback_or_token)
    app, remote, saved = client_for(provider)
    with app.app_context():
        with pytest.raises(OAuthException) as no_token:
            remote.register("https://app.example.com/cb")
        with pytest.raises(OAuthException) as wrong_token:
            remote.register("https://app.example.com/cb", initial_access_token="nope")
        with pytest.raises(OAuthException) as no_such_scope:
            remote.register(CALLBACK, scope="admin")
    assert no_token.value.type == "registration_failed"
    assert no_token.value.data["error"] == "invalid_token"
    assert wrong_token.value.type == "registration_failed"
    assert wrong_token.value.data["error"] == "invalid_token"
    assert "401" in wrong_token.value.message
    assert no_such_scope.value.data["error"] == "invalid_client_metadata"
    with app.app_context():
        registered = remote.register(
            "https://app.example.com/cb", initial_access_token=registration_app.INITIAL_TOKEN
        )
    assert registered["client_secret"] and len(saved) == 1


def test_an_invalid_redirect_uri_is_the_providers_400(serve: Serve) -> None:
    provider = our_provider(serve)
    app, remote, saved = client_for(provider)
    with app.app_context(), pytest.raises(OAuthException) as info:
        remote.register("http://app.example.com/cb")  # plain http off loopback
    assert info.value.type == "registration_failed"
    assert info.value.data["error"] == "invalid_redirect_uri"
    assert "400" in info.value.message and saved == [] and provider.calls == []


def test_no_registration_endpoint_when_registration_is_off(serve: Serve) -> None:
    provider = our_provider(serve, OAUTH2_PROVIDER_REGISTRATION_ENABLED=False)
    app, remote, _ = client_for(provider)
    with app.app_context(), pytest.raises(OAuthException) as info:
        remote.register(CALLBACK)
    assert info.value.type == "invalid_configuration"


def test_a_resource_the_provider_does_not_allow(serve: Serve) -> None:
    provider = our_provider(serve)
    app, remote, _ = client_for(provider, resource="https://other.example.com/")
    with app.app_context():
        remote.register(CALLBACK, public=True)
    tc = app.test_client()
    back = go_to_provider(tc, allow=True)  # refused at once, no consent page
    assert "error=invalid_target" in back
    assert tc.get(back).get_json() == {"denied": True}
    assert provider.store.tokens == {}


def test_no_secret_reaches_any_log(serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = our_provider(serve, registration_app.loopback_or_token)
    app, remote, _ = client_for(provider, resource=MCP)
    with app.app_context():
        registration = remote.register(
            CALLBACK, initial_access_token=registration_app.INITIAL_TOKEN
        )
    _, token = log_in(app)
    with app.test_request_context():
        remote.refresh_token(token)
    assert "registered as client" in caplog.text
    for secret in (
        registration["client_secret"],
        registration["registration_access_token"],
        registration_app.INITIAL_TOKEN,
    ):
        assert secret not in caplog.text
