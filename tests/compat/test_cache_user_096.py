"""``bind_cache_grant(app, provider, current_user)`` without ``user_loader``, as 0.9.6
apps call it: the grant, the request and the token keep the whole user, on every
backend, with nothing unpickled."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cache_backends import backend_config
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy
from oauth2_app import authorize_url, create_app, redeem

from flask_oauthlib_contrib_cache import bind_cache_grant
from flask_oauthlib_contrib_cache.grants import grant_key
from flask_oauthlib_core.testing import authorization_code

BACKENDS = ["simple", "filesystem", "redis", "memcache"]


def login_flow(app: Flask) -> dict[str, Any]:
    """Authorize, redeem the code, and call ``/api/whoami`` with the token."""
    client = app.test_client()
    token = redeem(client, authorization_code(authorize_url(), browser=client))
    assert token.status_code == 200, token.text
    me = client.get(
        "/api/whoami", headers={"Authorization": "Bearer " + token.json["access_token"]}
    )
    assert me.status_code == 200, me.text
    result: dict[str, Any] = me.json
    return result


def with_whoami(app: Flask, oauth: Any) -> None:
    @app.route("/api/whoami")
    @oauth.require_oauth("email")
    def whoami() -> Any:
        user = request.oauth.user
        return jsonify(
            type=type(user).__name__, username=user.username, email=getattr(user, "email", None)
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_sqlalchemy_user_comes_back_whole(backend: str, tmp_path: Path) -> None:
    app, oauth, _ = create_app(**backend_config(backend, tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)

    class Member(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String(40))
        email = db.Column(db.String(80))

    with app.app_context():
        db.create_all()
        db.session.add(Member(id=7, username="bob", email="bob@example.com"))
        db.session.commit()

    bind_cache_grant(app, oauth, lambda: db.session.get(Member, 7))
    with_whoami(app, oauth)
    with app.app_context():
        assert login_flow(app) == {"type": "Member", "username": "bob", "email": "bob@example.com"}


class LoginUser(UserMixin):
    def __init__(self, id: str, username: str) -> None:
        self.id = id
        self.username = username
        self.email = f"{username}@example.com"


@pytest.mark.parametrize("backend", BACKENDS)
def test_flask_login_loader_brings_the_user_back(backend: str, tmp_path: Path) -> None:
    app, oauth, _ = create_app(**backend_config(backend, tmp_path))
    app.secret_key = "test"
    users = {"c3": LoginUser("c3", "carol")}
    manager = LoginManager(app)
    manager.user_loader(users.get)
    bind_cache_grant(app, oauth, lambda: users["c3"])
    with_whoami(app, oauth)
    assert login_flow(app) == {
        "type": "LoginUser",
        "username": "carol",
        "email": "carol@example.com",
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_user_is_kept_as_a_signed_snapshot(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, oauth, store = create_app(**backend_config(backend, tmp_path))
    app.secret_key = "test"
    store.alice.email = "alice@example.com"  # type: ignore[attr-defined]
    bind_cache_grant(app, oauth, lambda: store.alice)
    with_whoami(app, oauth)
    with caplog.at_level(logging.WARNING):
        first = login_flow(app)
        login_flow(app)
    assert first == {"type": "UserSnapshot", "username": "alice", "email": "alice@example.com"}
    warnings = [r for r in caplog.records if "snapshot" in r.getMessage()]
    assert len(warnings) == 1


def test_tampered_user_reference_is_refused(tmp_path: Path) -> None:
    app, oauth, store = create_app(**backend_config("filesystem", tmp_path))
    app.secret_key = "test"
    cache = bind_cache_grant(app, oauth, lambda: store.alice)
    client = app.test_client()
    code = authorization_code(authorize_url(), browser=client)
    key = grant_key("confidential", code)
    data = json.loads(cache.cache.get(key))
    data["user"]["attributes"]["username"] = "admin"
    cache.cache.set(key, json.dumps(data))
    token = redeem(client, code)
    assert token.status_code == 400 and token.json["error"] == "invalid_grant"
