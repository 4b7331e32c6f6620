"""Regression tests for the OAuth 1 provider holes an outside review found in 1.1.

- SECURITY-DEFAULTS items 14 and 29: oauthlib checks the nonce before the client key and
  the signature; a nonce used to be stored right then, so unsigned requests with made-up
  client keys filled the nonce store (a full ``simple``/``filesystem`` store answered
  503 to everyone, Redis grew without bound). Now a nonce is stored only for a request
  that passed every check, and replays are still refused, concurrent ones included.
- item 15: one request token and verifier exchanged by concurrent requests gave several
  access tokens. Storage whose request tokens have ``redeem()`` now gives exactly one.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import oauth1_app
import pytest
from flask import Flask
from flask.testing import FlaskClient
from oauthlib.oauth1 import ResourceEndpoint

from flask_oauthlib_contrib_cache import bind_cache_nonce
from flask_oauthlib_contrib_cache.backends import FileSystemBackend, RedisBackend, SimpleBackend
from flask_oauthlib_contrib_cache.nonces import nonce_key
from flask_oauthlib_core.testing import REDIS_URL, concurrently, redirect_params, require_service
from flask_oauthlib_provider_oauth1 import OAuth1RequestValidator

GARBAGE = 600  # more than the 500 entries a simple or filesystem store keeps by default
API = "http://localhost/api/email"


# -- helpers ----------------------------------------------------------------------------------


def garbage_header(client_key: str, extra: str = "") -> dict[str, str]:
    """An attacker's Authorization header: a fresh nonce, no valid signature."""
    return {
        "Authorization": (
            f'OAuth oauth_consumer_key="{client_key}", oauth_nonce="{secrets.token_hex(16)}",'
            f' oauth_timestamp="{int(time.time())}", oauth_signature_method="HMAC-SHA1",'
            f' oauth_version="1.0", oauth_signature="x"{extra}'
        )
    }


def send_garbage(client: FlaskClient, count: int = GARBAGE) -> None:
    """Unsigned requests to the three endpoints that check nonces, with a made-up client
    key (as in the report) and with a real client key but a wrong signature."""
    token = ', oauth_token="' + "b" * 25 + '"'
    kinds = [
        ("GET", "/api/email", token),
        ("POST", "/oauth/request_token", ', oauth_callback="' + oauth1_app.CALLBACK + '"'),
        ("POST", "/oauth/access_token", token + ', oauth_verifier="' + "v" * 30 + '"'),
    ]
    for n in range(count):
        method, path, extra = kinds[n % len(kinds)]
        key = "a" * 25 if n % 2 else oauth1_app.CLIENT_KEY
        answer = client.open(path, method=method, headers=garbage_header(key, extra))
        assert answer.status_code in (400, 401), (n, answer.status_code, answer.get_data())


def stored(backend: Any) -> int:
    """How many entries a cache backend holds."""
    if isinstance(backend, SimpleBackend):
        return len(backend._entries)
    if isinstance(backend, FileSystemBackend):
        return sum(1 for p in backend.directory.iterdir() if not p.name.startswith("."))
    assert isinstance(backend, RedisBackend)
    return len(backend.client.keys(backend.prefix + "*"))


@pytest.fixture(params=["simple", "filesystem", "redis"])
def cache_config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    kind = request.param
    if kind == "simple":
        yield {"OAUTH1_CACHE_TYPE": "simple"}
    elif kind == "filesystem":
        yield {"OAUTH1_CACHE_TYPE": "filesystem", "OAUTH1_CACHE_DIR": str(tmp_path / "nonces")}
    else:
        require_service("redis")
        prefix = "review" + uuid.uuid4().hex[:8] + ":"
        yield {
            "OAUTH1_CACHE_TYPE": "redis",
            "OAUTH1_CACHE_REDIS_URL": REDIS_URL,
            "OAUTH1_CACHE_KEY_PREFIX": prefix,
        }
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()


# -- HIGH: unsigned requests fill the nonce store ------------------------------------------------


def test_unsigned_requests_store_no_nonce_in_the_cache(cache_config: dict[str, Any]) -> None:
    app, oauth, store = oauth1_app.create_app(**cache_config)
    backend = bind_cache_nonce(app, oauth).cache
    store.add_access_token()
    client = app.test_client()
    send_garbage(client)
    assert stored(backend) == 0, "a request that failed its checks stored a nonce"
    answer = client.post("/oauth/request_token", headers=oauth1_app.request_token_headers())
    assert answer.status_code == 200
    headers = oauth1_app.resource_headers()
    assert client.get("/api/email", headers=headers).status_code == 200
    assert client.get("/api/email", headers=headers).status_code == 401  # a replay
    assert stored(backend) == 2


def test_unsigned_requests_store_no_nonce_with_0_9_6_storage() -> None:
    """The 0.9.6 docs' noncesetter returns ``None``: that still counts as stored."""
    app, _, store = oauth1_app.create_app()
    store.add_access_token()
    client = app.test_client()
    send_garbage(client, 60)
    assert not store.nonces
    headers = oauth1_app.resource_headers()
    assert client.get("/api/email", headers=headers).status_code == 200
    assert len(store.nonces) == 1
    assert client.get("/api/email", headers=headers).status_code == 401


def test_signed_request_token_request_is_not_replayable(cache_config: dict[str, Any]) -> None:
    app, oauth, _ = oauth1_app.create_app(**cache_config)
    bind_cache_nonce(app, oauth)
    client = app.test_client()
    headers = oauth1_app.request_token_headers()
    assert client.post("/oauth/request_token", headers=headers).status_code == 200
    assert client.post("/oauth/request_token", headers=headers).status_code == 401


def test_concurrent_replay_is_refused_by_the_atomic_add() -> None:
    """Two copies of one signed request both find the nonce unseen; only the first to
    store it after validation is served."""
    app, oauth, store = oauth1_app.create_app(OAUTH1_CACHE_TYPE="simple")
    backend = bind_cache_nonce(app, oauth).cache
    store.add_access_token()
    both_checked = threading.Barrier(2, timeout=10)

    @oauth.noncegetter
    def seen(**key: Any) -> bool:
        unseen = backend.get(nonce_key(**key)) is None
        both_checked.wait()
        return not unseen

    headers = oauth1_app.resource_headers()
    statuses: list[int] = []

    def send() -> None:
        statuses.append(app.test_client().get("/api/email", headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401]


def test_a_lost_nonce_race_refuses_the_request() -> None:
    app, oauth, store = oauth1_app.create_app()
    store.add_access_token()
    oauth.noncesetter(lambda **key: False)
    client = app.test_client()
    assert client.get("/api/email", headers=oauth1_app.resource_headers()).status_code == 401
    headers = oauth1_app.request_token_headers()
    assert client.post("/oauth/request_token", headers=headers).status_code == 401


def test_validator_that_stores_nonces_itself_still_works() -> None:
    """A 0.9.6-style subclass whose ``validate_timestamp_and_nonce`` stores the nonce
    (without calling ``super()``) is not asked to store it a second time."""

    class OldStyle(OAuth1RequestValidator):
        def validate_timestamp_and_nonce(
            self,
            client_key: str,
            timestamp: str,
            nonce: str,
            request: Any,
            request_token: str | None = None,
            access_token: str | None = None,
        ) -> bool:
            key = {
                "client_key": client_key,
                "timestamp": timestamp,
                "nonce": nonce,
                "request_token": request_token,
                "access_token": access_token,
            }
            if self._noncegetter(**key):
                return False
            return self._noncesetter(**key) is not False

    app, oauth, store = oauth1_app.create_app()
    store.add_access_token()
    stored: list[tuple[Any, ...]] = []

    def add_nonce(**key: Any) -> bool:
        """An atomic add, as a cache's: ``False`` when the nonce is there already."""
        stored.append(tuple(key.values()))
        if tuple(key.values()) in store.nonces:
            return False
        store.nonces.add(tuple(key.values()))
        return True

    oauth._validator = oauth1_app.validator_for(store, OldStyle, app.config, noncesetter=add_nonce)
    client = app.test_client()
    headers = oauth1_app.resource_headers()
    assert client.get("/api/email", headers=headers).status_code == 200
    assert len(stored) == 1  # stored by the subclass, not a second time by the endpoint
    assert client.get("/api/email", headers=headers).status_code == 401


def test_validator_outside_the_provider_still_stores_nonces() -> None:
    """With oauthlib's own endpoints nothing stores a nonce later: the validator does."""
    app, oauth, store = oauth1_app.create_app()
    store.add_access_token()
    endpoint = ResourceEndpoint(oauth1_app.validator_for(store, config=app.config))
    headers = oauth1_app.resource_headers()
    assert endpoint.validate_protected_resource_request(API, headers=headers, realms=["email"])[0]
    assert len(store.nonces) == 1
    again = endpoint.validate_protected_resource_request(API, headers=headers, realms=["email"])
    assert again[0] is False


# -- LOW: one request token, several access tokens ------------------------------------------------


def authorized_request_token(client: FlaskClient) -> tuple[str, str, str]:
    answer = client.post("/oauth/request_token", headers=oauth1_app.request_token_headers())
    fetched = parse_qs(answer.get_data(as_text=True))
    token, secret = fetched["oauth_token"][0], fetched["oauth_token_secret"][0]
    consent = client.post(f"/oauth/authorize?oauth_token={token}", data={"confirm": "yes"})
    verifier = redirect_params(consent)["oauth_verifier"]
    return token, secret, verifier


def exchange(app: Flask, token: str, secret: str, verifier: str) -> int:
    headers = oauth1_app.signed_headers(
        "/oauth/access_token",
        "POST",
        resource_owner_key=token,
        resource_owner_secret=secret,
        verifier=verifier,
    )
    return app.test_client().post("/oauth/access_token", headers=headers).status_code


def test_concurrent_exchanges_of_one_request_token_give_one_access_token() -> None:
    """Four requests with the same request token and verifier all pass validation
    before any of them issues a token (a barrier holds them); one access token results."""
    racers, tries = 4, 10
    app, oauth, store = oauth1_app.create_app()
    client = app.test_client()
    barrier: list[threading.Barrier] = []

    @oauth.verifiergetter
    def load_verifier(verifier: str, token: str) -> Any:
        grant = store.grants.get(token)
        barrier[0].wait()
        return grant if grant and grant.verifier == verifier else None

    for _ in range(tries):
        token, secret, verifier = authorized_request_token(client)
        barrier[:] = [threading.Barrier(racers, timeout=10)]
        statuses = concurrently(partial(exchange, app, token, secret, verifier), racers)
        assert sorted(statuses) == [200] + [401] * (racers - 1), statuses
    assert len(store.tokens) == tries
