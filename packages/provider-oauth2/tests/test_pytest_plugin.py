"""The ``oauth2_token`` and ``oauth2_client`` fixtures: tokens and clients made in the
app's own storage (here the in-memory storage of ``oauth2_app``), accepted by
``require_oauth`` as the token endpoint's are."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from dpop_testing import dpop_app
from flask import Flask
from oauth2_app import Store

from flask_oauthlib_provider_oauth2.pytest_plugin import ClientMaker, TokenMinter
from flask_oauthlib_provider_oauth2.testing import DPoPKey, mint_token

pytest_plugins = ["pytester"]


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def app(store: Store) -> Flask:
    """The provider app, with a clientsetter (clients are made in its store)."""
    app, oauth, store = dpop_app(store)

    @oauth.clientsetter
    def save_client(client_id: str, client: dict[str, Any] | None, req: Any, *args: Any) -> Any:
        if client is None:
            return store.clients.pop(client_id, None)
        stored = SimpleNamespace(user=None, **client)
        stored.default_redirect_uri = client["redirect_uris"][0]
        stored.check_client_secret = lambda secret: secret == client["client_secret"]
        store.clients[client_id] = stored  # type: ignore[assignment]
        return stored

    return app


def test_a_bearer_token_for_a_user(app: Flask, store: Store, oauth2_token: TokenMinter) -> None:
    token = oauth2_token(client="confidential", user=store.alice, scopes=["email"])
    assert token.token_type == "Bearer" and token.refresh_token
    assert token.headers == {"Authorization": f"Bearer {token.access_token}"}
    answer = app.test_client().get("/api/me", headers=token.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json == {"username": "alice", "client": "confidential"}
    stored = store.tokens[token.access_token]
    assert stored.user is store.alice and stored.scopes == ["email"]


def test_scopes_and_expiry_are_checked(app: Flask, store: Store, oauth2_token: TokenMinter) -> None:
    browser = app.test_client()
    narrow = oauth2_token(client="confidential", user=store.alice, scopes=["email"])
    assert browser.get("/api/profile", headers=narrow.headers).status_code == 403
    expired = oauth2_token(
        client="confidential", user=store.alice, scopes=["email"], expires_in=-60
    )
    assert browser.get("/api/me", headers=expired.headers).status_code == 401


def test_a_dpop_bound_token(app: Flask, store: Store, oauth2_token: TokenMinter) -> None:
    token = oauth2_token(client="confidential", user=store.alice, scopes=["email"], dpop=True)
    assert token.token_type == "DPoP" and isinstance(token.dpop_key, DPoPKey)
    assert store.tokens[token.access_token].dpop_jkt == token.dpop_key.jkt
    with pytest.raises(TypeError, match="headers_for"):
        _ = token.headers
    browser = app.test_client()
    answer = browser.get("/api/me", headers=token.headers_for("GET", "/api/me"))
    assert answer.status_code == 200, answer.text
    as_bearer = {"Authorization": f"Bearer {token.access_token}"}
    assert browser.get("/api/me", headers=as_bearer).status_code == 401
    other = token.headers_for("GET", "/api/profile")  # a proof for another URL
    assert browser.get("/api/me", headers=other).status_code == 401


def test_a_client_made_through_the_clientsetter(
    app: Flask, oauth2_client: ClientMaker, oauth2_token: TokenMinter, store: Store
) -> None:
    client = oauth2_client(scopes=["email"], grant_types=["client_credentials"])
    assert client.client_secret and client.stored is store.clients[client.client_id]
    answer = app.test_client().post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=client.headers
    )
    assert answer.status_code == 200, answer.text
    public = oauth2_client(confidential=False)
    assert public.client_secret is None and store.clients[public.client_id].is_confidential is False
    token = oauth2_token(client=client, user=store.alice, scopes=["email"])
    assert token.client_id == client.client_id
    made = oauth2_token(user=store.alice, scopes=["email"])  # a client is made for it
    assert made.client_id.startswith("test-client-")


def test_the_current_app_or_app_argument_wins(store: Store) -> None:
    other, _, other_store = dpop_app(Store())
    with other.app_context():
        token = mint_token(client="confidential", user=other_store.alice, scopes=["email"])
    assert token.access_token in other_store.tokens and token.access_token not in store.tokens


def test_without_an_app(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_no_app(oauth2_token):
            with pytest.raises(RuntimeError, match="define an `app` fixture"):
                oauth2_token()
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_without_a_clientsetter_the_error_says_what_to_do(store: Store) -> None:
    app = dpop_app(store)[0]
    with pytest.raises(RuntimeError, match="clientsetter"):
        mint_token(app, user=store.alice, scopes=["email"])
    with pytest.raises(LookupError, match="nobody"):
        mint_token(app, client="nobody", user=store.alice)
