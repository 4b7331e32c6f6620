"""The demo provider's API tested as an app's own tests would: tokens minted in its
SQLite storage with the ``oauth2_token`` fixture (the OAuth 2 provider distribution's
pytest plugin), no login dance; its seeded client and user, a DPoP-bound token, and a
client made with ``oauth2_client`` through its registration storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from flask_oauthlib_contrib_sqla import binding_for

RESOURCE = "http://localhost/api/me"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    from demo_provider import create_provider

    app = create_provider(
        f"sqlite:///{tmp_path / 'demo.sqlite'}", "http://127.0.0.1:1/cb", "http://localhost"
    )
    with app.app_context():
        yield app


@pytest.fixture
def alice(app: Flask) -> Any:
    from demo_provider import User

    session = binding_for(app.extensions["oauthlib.provider.oauth2"]).session
    return session.scalars(select(User).filter_by(username="alice")).one()


def test_the_demo_api_with_a_minted_token(app: Flask, alice: Any, oauth2_token: Any) -> None:
    token = oauth2_token(client="demo-client", user=alice, scopes=["profile"], resources=[RESOURCE])
    me = app.test_client().get("/api/me", headers=token.headers)
    assert me.status_code == 200, me.text
    assert me.json == {"username": "alice", "name": "Alice Liddell"}


def test_the_demo_api_refuses_what_it_should(app: Flask, alice: Any, oauth2_token: Any) -> None:
    browser = app.test_client()
    email_only = oauth2_token(client="demo-client", user=alice, scopes=["email"])
    assert browser.get("/api/me", headers=email_only.headers).status_code == 403
    expired = oauth2_token(client="demo-client", user=alice, scopes=["profile"], expires_in=-1)
    assert browser.get("/api/me", headers=expired.headers).status_code == 401
    elsewhere = oauth2_token(
        client="demo-client", user=alice, scopes=["profile"], resources=["https://other.example/"]
    )
    assert browser.get("/api/me", headers=elsewhere.headers).status_code == 401


def test_the_demo_api_with_a_dpop_bound_token(app: Flask, alice: Any, oauth2_token: Any) -> None:
    token = oauth2_token(client="demo-client", user=alice, scopes=["profile"], dpop=True)
    browser = app.test_client()
    me = browser.get("/api/me", headers=token.headers_for("GET", "/api/me"))
    assert me.status_code == 200 and me.json["username"] == "alice", me.text
    bearer = {"Authorization": f"Bearer {token.access_token}"}
    refused = browser.get("/api/me", headers=bearer)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("DPoP")


def test_a_registered_client_without_a_user(
    app: Flask, oauth2_client: Any, oauth2_token: Any
) -> None:
    """The demo's registration storage makes the client; a token about no user is
    refused by /api/me with a sentence."""
    cli = oauth2_client(confidential=False, redirect_uris=["http://127.0.0.1:8765/callback"])
    token = oauth2_token(client=cli, scopes=["profile"])
    me = app.test_client().get("/api/me", headers=token.headers)
    assert me.status_code == 401 and me.json["error_description"] == (
        "The access token is not about a user."
    )
