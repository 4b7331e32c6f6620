"""``bind_cache_pushed_requests``: pushed authorization requests kept in Redis,
memcached, files or memory, taken once however many workers race, and a full PAR login
through the registered store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cache_backends import backend_config
from flask import Flask
from oauth2_app import REDIRECT, create_app

from flask_oauthlib_contrib_cache import CachePushedRequestStore, bind_cache_pushed_requests
from flask_oauthlib_core.testing import concurrently, redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.pushed_requests import PushedRequestStore, pushed_request_key

KINDS = ["simple", "filesystem", "redis", "memcache"]
RECORD = {"client_id": "c", "params": {"scope": "email"}, "expires_at": 2**40, "signed": False}


def bound(kind: str, tmp_path: Path) -> tuple[Flask, OAuth2Provider, CachePushedRequestStore]:
    app, oauth, _store = create_app(**backend_config(kind, tmp_path))
    return app, oauth, bind_cache_pushed_requests(app, oauth)


def key() -> str:
    return pushed_request_key("urn:ietf:params:oauth:request_uri:" + uuid.uuid4().hex)


@pytest.mark.parametrize("kind", KINDS)
def test_save_peek_take(kind: str, tmp_path: Path) -> None:
    _app, _oauth, store = bound(kind, tmp_path)
    assert isinstance(store, PushedRequestStore)
    k = key()
    assert store.peek(k) is None
    store.save(k, RECORD, 60)
    assert store.peek(k) == RECORD
    assert store.peek(k) == RECORD
    assert store.take(k) == RECORD
    assert store.take(k) is None
    assert store.peek(k) is None


@pytest.mark.parametrize("kind", KINDS)
def test_twenty_concurrent_takes_have_one_winner(kind: str, tmp_path: Path) -> None:
    _app, _oauth, store = bound(kind, tmp_path)
    k = key()
    store.save(k, RECORD, 60)
    results = concurrently(lambda: store.take(k), 20)
    assert [r for r in results if r is not None] == [RECORD]


@pytest.mark.parametrize("kind", ["redis", "memcache"])
def test_records_expire(kind: str, tmp_path: Path) -> None:
    _app, _oauth, store = bound(kind, tmp_path)
    k = key()
    store.save(k, RECORD, 1)
    time.sleep(2.1)
    assert store.peek(k) is None and store.take(k) is None


@pytest.mark.parametrize("kind", ["redis", "memcache"])
def test_a_par_login_through_the_cache(kind: str, tmp_path: Path) -> None:
    app, oauth, store = bound(kind, tmp_path)

    @app.route("/oauth/par", methods=["POST"])
    @oauth.par_handler
    def par() -> None:
        return None

    client = app.test_client()
    pushed = client.post(
        "/oauth/par",
        data={"response_type": "code", "redirect_uri": REDIRECT, "scope": "email"},
        auth=("confidential", "s3cret"),
    )
    assert pushed.status_code == 201, pushed.text
    request_uri = pushed.json["request_uri"]
    assert store.peek(pushed_request_key(request_uri)) is not None
    path = "/oauth/authorize?" + urlencode(
        {"client_id": "confidential", "request_uri": request_uri}
    )
    assert client.get(path).status_code == 200
    answer = client.post(path, data={"confirm": "yes"})
    assert "code" in redirect_params(answer.headers["Location"])
    again = client.post(path, data={"confirm": "yes"})
    assert redirect_params(again.headers["Location"])["error"] == "invalid_request_uri"
    with app.test_request_context():
        assert oauth.server.request_validator.pushed_request_store is store


def test_the_null_cache_is_refused() -> None:
    app, oauth, _store = create_app(OAUTH2_CACHE_TYPE="null")
    with pytest.raises(ValueError, match="null"):
        bind_cache_pushed_requests(app, oauth)
