"""What the second outside review found in dynamic registration and client
authentication, each over real HTTP: a lone surrogate or an invisible character in a
client's name, refresh tokens for clients that may not refresh, a public client that
presents a secret."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from registration_app import LOOPBACK, login, registration_app

Serve = Callable[..., str]


@pytest.mark.parametrize(
    "body",
    [
        b'{"redirect_uris": ["http://127.0.0.1/cb"], "client_name": "\\ud800"}',
        b'{"redirect_uris": ["http://127.0.0.1/cb"], "contacts": ["\\udfff@x.example"]}',
    ],
)
def test_a_lone_surrogate_is_invalid_metadata_not_500(serve: Serve, body: bytes) -> None:
    provider = registration_app(serve)
    answer = provider.register(data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert not provider.calls


@pytest.mark.parametrize("name", ["Demo\u200bclient", "Demo \u202eclient", "\u2066Demo"])
def test_invisible_characters_in_a_name_are_refused(serve: Serve, name: str) -> None:
    """A zero-width space or a direction override makes one name look like another on
    the consent page."""
    provider = registration_app(serve)
    answer = provider.register({"redirect_uris": [LOOPBACK], "client_name": name})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"
    assert not provider.calls


def test_no_refresh_token_for_a_client_that_may_not_refresh(serve: Serve) -> None:
    """A registered client's grant types default to authorization_code alone: it got a
    refresh token the token endpoint then refused."""
    provider = registration_app(serve)
    only_code = provider.register(
        {"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none"}
    ).json()
    assert only_code["grant_types"] == ["authorization_code"]
    token = login(provider.url, only_code, "http://127.0.0.1:8765/callback")
    assert "refresh_token" not in token
    refreshing = provider.register(
        {
            "redirect_uris": [LOOPBACK],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        }
    ).json()
    assert "refresh_token" in login(provider.url, refreshing, "http://127.0.0.1:8765/callback")


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_public_client_that_presents_a_secret_is_refused(serve: Serve, method: str) -> None:
    """A client registered with ``none`` has no secret: one presenting a secret is not
    the client it names (it got tokens with any secret before)."""
    provider = registration_app(serve)
    public = provider.register(
        {"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none"}
    ).json()
    with pytest.raises(Exception, match="invalid_client"):
        login(
            provider.url,
            {**public, "client_secret": "anything", "token_endpoint_auth_method": method},
            "http://127.0.0.1:8765/callback",
        )
