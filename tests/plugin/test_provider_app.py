"""The sample provider app's tests, written as our users would write theirs: the
``oauth2_token`` and ``oauth2_client`` fixtures (registered by the OAuth 2 provider
distribution's pytest plugin) make tokens and clients in its SQLAlchemy storage, so the
tests of its ``require_oauth`` views need no login. On opaque and on JWT access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from plugin.sample_provider_app import Token, User, create_app, db


@pytest.fixture(scope="module")
def signing_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(params=["opaque", "jwt"])
def app(request: pytest.FixtureRequest, signing_key: str) -> Iterator[Flask]:
    config: dict[str, Any] = {}
    if request.param == "jwt":
        config = {
            "OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT": "jwt",
            "OAUTH2_PROVIDER_OIDC_KEYS": [signing_key],
            "OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_ALG": "ES256",
        }
    app = create_app(**config)
    with app.app_context():  # the test's database session, as Flask-SQLAlchemy apps test
        yield app


@pytest.fixture
def alice(app: Flask) -> User:
    user = User(username="alice")
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_a_minted_token_opens_the_api(client: FlaskClient, alice: User, oauth2_token: Any) -> None:
    token = oauth2_token(user=alice, scopes=["profile"])
    me = client.get("/api/me", headers=token.headers)
    assert me.status_code == 200, me.text
    assert me.json == {"client_id": token.client_id, "username": "alice", "scopes": ["profile"]}
    (stored,) = db.session.scalars(db.select(Token)).all()
    assert stored.user_id == alice.id and stored.scopes == ["profile"]


def test_refusals(client: FlaskClient, alice: User, oauth2_token: Any) -> None:
    assert client.get("/api/me").status_code == 401
    notes_only = oauth2_token(user=alice, scopes=["notes:write"])
    assert client.get("/api/me", headers=notes_only.headers).status_code == 403
    expired = oauth2_token(user=alice, scopes=["profile"], expires_in=-60)
    assert client.get("/api/me", headers=expired.headers).status_code == 401


def test_a_dpop_bound_token(client: FlaskClient, alice: User, oauth2_token: Any) -> None:
    token = oauth2_token(user=alice, scopes=["notes:write"], dpop=True)
    headers = token.headers_for("POST", "/api/notes")
    saved = client.post("/api/notes", json={"text": "hi"}, headers=headers)
    assert saved.status_code == 201, saved.text
    replayed = client.post("/api/notes", json={"text": "again"}, headers=headers)
    assert replayed.status_code == 401  # a proof is good once
    as_bearer = {"Authorization": f"Bearer {token.access_token}"}
    assert client.post("/api/notes", json={"text": "x"}, headers=as_bearer).status_code == 401
    (stored,) = db.session.scalars(db.select(Token)).all()
    assert stored.dpop_jkt == token.dpop_key.jkt


def test_a_client_made_for_the_test(
    client: FlaskClient, oauth2_client: Any, oauth2_token: Any, alice: User
) -> None:
    machine = oauth2_client(scopes=["profile"], grant_types=["client_credentials"])
    issued = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "profile"},
        headers=machine.headers,
    )
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": "Bearer " + issued.json["access_token"]}
    me = client.get("/api/me", headers=bearer)
    assert me.json == {"client_id": machine.client_id, "username": None, "scopes": ["profile"]}
    wrong = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(machine.client_id, "not-the-secret"),
    )
    assert wrong.status_code == 401
    token = oauth2_token(client=machine, user=alice, scopes=["profile"])
    assert client.get("/api/me", headers=token.headers).json["username"] == "alice"
