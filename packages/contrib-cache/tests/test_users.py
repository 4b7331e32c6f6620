"""The snapshot a cached grant keeps of a plain user: never a secret-looking attribute,
always the ``id``, and only what ``__oauth_snapshot__`` lists when the user has one."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cache_backends import backend_config
from flask import Flask, jsonify, request
from oauth2_app import authorize_url, create_app, redeem

from flask_oauthlib_contrib_cache import UserSnapshot, UserStore, bind_cache_grant
from flask_oauthlib_contrib_cache.grants import grant_key
from flask_oauthlib_core.testing import authorization_code

SECRETS = {
    "password_hash": "pbkdf2:sha256:600000$salt$deadbeef",
    "totp_secret": "JBSWY3DPEHPK3PXP",
    "Password": "hunter2-plain",
    "passwd": "passwd-value",
    "apiKey": "api-key-value",
    "refresh_token": "refresh-token-value",
    "pw_salt": "salt-value",
    "recovery_otp": "otp-value",
    "PIN": "4321-pin",
    "oauth_credentials": "credential-value",
    "ssn": "078-05-1120",
    "client_secret_hash": "hash-value",
}


class User:
    """A user as apps write them, with secrets next to public attributes."""

    def __init__(self, id: int, username: str) -> None:
        self.id = id
        self.username = username
        self.email = f"{username}@example.com"
        self.roles = ["admin", "staff"]
        self.profile = {"display": username.title(), "reset_token": "nested-token-value"}
        self._private = "underscore-value"
        for name, value in SECRETS.items():
            setattr(self, name, value)


def snapshot_of(user: Any, app: Flask | None = None) -> dict[str, Any]:
    app = app or Flask("users")
    app.secret_key = "test"
    ref = UserStore(app).dump(user)
    assert ref is not None and ref["kind"] == "snapshot"
    attributes: dict[str, Any] = ref["attributes"]
    return attributes


def test_snapshot_leaves_out_secret_looking_attributes() -> None:
    attributes = snapshot_of(User(1, "alice"))
    assert attributes == {
        "id": 1,
        "username": "alice",
        "email": "alice@example.com",
        "roles": ["admin", "staff"],
        "profile": {"display": "Alice"},
    }
    text = json.dumps(attributes)
    for value in [*SECRETS.values(), "nested-token-value", "underscore-value"]:
        assert value not in text


class Listed(User):
    __oauth_snapshot__ = ("username", "display_name", "password_hash", "missing")

    @property
    def display_name(self) -> str:
        return self.username.upper()


def test_oauth_snapshot_lists_what_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        attributes = snapshot_of(Listed(2, "bob"))
    # id always; the listed names it has; a secret-looking name even when listed: never
    assert attributes == {"id": 2, "username": "bob", "display_name": "BOB"}
    dropped = [r.getMessage() for r in caplog.records if "password_hash" in r.getMessage()]
    assert len(dropped) == 1 and SECRETS["password_hash"] not in dropped[0]


def test_snapshot_comes_back_without_secrets() -> None:
    app = Flask("users")
    app.secret_key = "test"
    store = UserStore(app)
    user = store.load(store.dump(User(3, "carol")))
    assert isinstance(user, UserSnapshot) and user == User(3, "carol")
    assert (user.id, user.username, user.email) == (3, "carol", "carol@example.com")
    for name in SECRETS:
        assert not hasattr(user, name)


@pytest.mark.parametrize("sig", ["", "0" * 64, "é" * 64, None])
def test_a_forged_signature_loads_no_user(sig: Any) -> None:
    app = Flask("users")
    app.secret_key = "test"
    store = UserStore(app)
    ref = store.dump(User(3, "carol"))
    assert ref is not None and store.load(ref) is not None
    assert store.load({**ref, "sig": sig}) is None  # non-ASCII text too: no TypeError


@pytest.mark.parametrize("kind", ["simple", "redis"])
def test_cached_grant_writes_no_secret_of_the_user(kind: str, tmp_path: Path) -> None:
    """The report's reproduction: a plain user with a password hash, a TOTP secret and an
    email, no loader, no SQLAlchemy; the raw cache entry holds neither secret."""
    app, oauth, store = create_app(**backend_config(kind, tmp_path))
    app.secret_key = "test"
    alice = User(1, "alice")
    cache = bind_cache_grant(app, oauth, lambda: alice)

    @app.route("/api/whoami")
    @oauth.require_oauth("email")
    def whoami() -> Any:
        user = request.oauth.user
        return jsonify(
            username=user.username,
            email=user.email,
            secrets=sorted(name for name in SECRETS if hasattr(user, name)),
        )

    client = app.test_client()
    code = authorization_code(authorize_url(), browser=client)
    raw = cache.cache.get(grant_key("confidential", code))
    assert raw is not None and "alice@example.com" in raw
    for value in SECRETS.values():
        assert value not in raw
    token = redeem(client, code)
    assert token.status_code == 200, token.text
    me = client.get(
        "/api/whoami", headers={"Authorization": "Bearer " + token.json["access_token"]}
    )
    assert me.json == {"username": "alice", "email": "alice@example.com", "secrets": []}
