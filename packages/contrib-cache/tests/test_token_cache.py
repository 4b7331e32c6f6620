"""``bind_cache_token_cache``: ``require_oauth`` answered from Redis, memcached or
cachelib without the tokengetter, unknown tokens remembered briefly, expiry respected,
and revocations (endpoint, rotation, reuse, code replay) seen at once by every process
sharing the cache."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
from cache_backends import backend_config
from flask import Flask
from flask.testing import FlaskClient
from oauth2_app import SECRETS, Store, authorize_url, create_app, redeem, token_request
from token_cache_worker import ALICE, BOB, SECRET_KEY, USERS, FileTokens, file_app, serve_worker

from flask_oauthlib_contrib_cache import (
    CachedToken,
    CacheTokenCache,
    UserStore,
    bind_cache_token_cache,
    token_cache_key,
)
from flask_oauthlib_core.testing import REDIS_URL, authorization_code, require_service
from flask_oauthlib_provider_oauth2 import OAuth2Provider, RevokedTokens

KINDS = ["redis", "memcache", "simple", "filesystem"]
SHARED = ["redis", "memcache"]


class Counted:
    """The test app with a tokengetter that counts its lookups by access token."""

    def __init__(self, kind: str, tmp_path: Path, bind: bool = True, **config: Any) -> None:
        settings = {**backend_config(kind, tmp_path), "SECRET_KEY": SECRET_KEY, **config}
        self.app, self.oauth, self.store = create_app(**settings)
        self.lookups: list[str] = []
        load = self.store.functions["tokengetter"]

        @self.oauth.tokengetter
        def counted(access_token: str | None = None, refresh_token: str | None = None) -> Any:
            if access_token:
                self.lookups.append(access_token)
            return load(access_token=access_token, refresh_token=refresh_token)

        self.cache = (
            bind_cache_token_cache(self.app, self.oauth, user_loader=USERS.get) if bind else None
        )
        self.client = self.app.test_client()

    def me(self, token: str, scheme: str = "Bearer") -> Any:
        return self.client.get("/api/me", headers={"Authorization": f"{scheme} {token}"})

    def calls(self, token: str) -> int:
        return self.lookups.count(token)


def new_token() -> str:
    return "tok-" + uuid.uuid4().hex


@pytest.mark.parametrize("kind", KINDS)
def test_a_cached_token_is_served_without_the_tokengetter(kind: str, tmp_path: Path) -> None:
    app = Counted(kind, tmp_path)
    token = new_token()
    app.store.add_token(token)
    first = app.me(token)
    assert first.status_code == 200 and app.calls(token) == 1
    for _ in range(3):
        answer = app.me(token)
        assert answer.status_code == 200
        assert answer.json == {"username": "alice", "client": "confidential"}
    assert app.calls(token) == 1
    with app.app.test_request_context():
        assert app.oauth.server.request_validator.token_cache is app.cache


def test_what_a_hit_gives_the_view(tmp_path: Path) -> None:
    app = Counted("simple", tmp_path)
    token = new_token()
    stored = app.store.add_token(token, scopes=["email", "profile"], refresh_token="r-1")
    seen: list[Any] = []

    @app.app.route("/api/token")
    @app.oauth.require_oauth("email")
    def view() -> str:
        from flask import request

        seen.append(request.oauth)
        return "ok"

    headers = {"Authorization": "Bearer " + token}
    assert app.client.get("/api/token", headers=headers).status_code == 200
    assert app.client.get("/api/token", headers=headers).status_code == 200
    hit = seen[-1].access_token
    assert isinstance(hit, CachedToken) and app.calls(token) == 1
    assert (hit.access_token, hit.client_id, hit.scopes) == (token, "confidential", stored.scopes)
    assert hit.user == ALICE and seen[-1].user == ALICE
    assert seen[-1].client is app.store.clients["confidential"]
    assert hit.expires is not None and abs(hit.expires - stored.expires) < timedelta(seconds=1)
    assert hit.dpop_jkt is None and hit.resources == [] and not hit.revoked
    # anything else comes from the stored token, loaded then
    assert hit.refresh_token == "r-1" and app.calls(token) == 2


def test_off_by_default(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path, bind=False)
    token = new_token()
    app.store.add_token(token)
    for _ in range(3):
        assert app.me(token).status_code == 200
    assert app.calls(token) == 3
    with app.app.test_request_context():
        validator = app.oauth.server.request_validator
        assert validator.token_cache is None and validator.revocation_hook is None


def test_keys_and_entries_hold_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = Counted("redis", tmp_path)
    token, unknown = new_token(), new_token()
    app.store.add_token(token)
    assert app.me(token).status_code == 200 and app.me(unknown).status_code == 401
    prefix = app.app.config["OAUTH2_CACHE_KEY_PREFIX"]
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(prefix + "*"))
    assert len(keys) == 2
    for key in keys:
        value = client.get(key) or b""
        assert token.encode() not in key + value and unknown.encode() not in key + value
    assert {key.decode() for key in keys} == {
        prefix + token_cache_key(token),
        prefix + token_cache_key(unknown),
    }
    assert token not in caplog.text and unknown not in caplog.text


@pytest.mark.parametrize("kind", SHARED)
def test_an_unknown_token_is_remembered_briefly(kind: str, tmp_path: Path) -> None:
    app = Counted(kind, tmp_path, OAUTH2_CACHE_TOKEN_CACHE_NEGATIVE_TIMEOUT=1)
    token = new_token()
    assert app.me(token).status_code == 401
    assert app.me(token).json["error_description"] == "The access token is invalid."
    assert app.calls(token) == 1
    app.store.add_token(token)  # (a token is never looked up before it exists)
    assert app.me(token).status_code == 401 and app.calls(token) == 1
    time.sleep(2.1)
    assert app.me(token).status_code == 200 and app.calls(token) == 2


def test_timeouts_of_zero_keep_nothing(tmp_path: Path) -> None:
    app = Counted(
        "redis",
        tmp_path,
        OAUTH2_CACHE_TOKEN_CACHE_TIMEOUT=0,
        OAUTH2_CACHE_TOKEN_CACHE_NEGATIVE_TIMEOUT=0,
    )
    token, unknown = new_token(), new_token()
    app.store.add_token(token)
    for _ in range(2):
        assert app.me(token).status_code == 200 and app.me(unknown).status_code == 401
    assert app.calls(token) == 2 and app.calls(unknown) == 2
    with pytest.raises(ValueError, match="0 or more"):
        bind_cache_token_cache(app.app, app.oauth, timeout=-1)


@pytest.mark.parametrize("kind", SHARED)
def test_an_entry_never_outlives_its_token(kind: str, tmp_path: Path) -> None:
    app = Counted(kind, tmp_path)
    token = new_token()
    app.store.add_token(token, expires=datetime.now(timezone.utc) + timedelta(seconds=2.5))
    assert app.me(token).status_code == 200 and app.me(token).status_code == 200
    assert app.calls(token) == 1
    time.sleep(2.6)
    expired = app.me(token)
    assert expired.status_code == 401
    assert expired.json["error_description"] == "The access token expired."


def test_an_expired_entry_is_not_trusted_even_if_the_cache_keeps_it(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    assert isinstance(app.cache, CacheTokenCache)
    token = new_token()
    app.store.add_token(token)
    assert app.me(token).status_code == 200
    key = token_cache_key(token)
    entry = json.loads(app.cache.backend.get(key) or "")
    del entry["sig"]
    entry["expires"] = time.time() - 1  # a cache that kept it 60 s longer than asked
    entry["sig"] = app.cache._sign(key, entry)
    app.cache.backend.set(key, json.dumps(entry), timeout=60)
    del app.store.tokens[token]
    assert app.me(token).status_code == 401 and app.calls(token) == 2


GARBLED = [
    b"not json",
    b"\xff\xfe not utf-8",
    b"[1, 2]",
    b'{"kind": "token"}',
    b'{"kind": "something else"}',
]


@pytest.mark.parametrize("raw", GARBLED)
def test_a_garbled_entry_is_a_miss_not_an_error(raw: bytes, tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    token = new_token()
    app.store.add_token(token)
    prefix = app.app.config["OAUTH2_CACHE_KEY_PREFIX"]
    redis.Redis.from_url(REDIS_URL).set(prefix + token_cache_key(token), raw, ex=60)
    assert app.me(token).status_code == 200 and app.me(token).status_code == 200
    assert app.calls(token) == 2  # each time from the tokengetter


def test_a_forged_entry_opens_nothing(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    assert isinstance(app.cache, CacheTokenCache)
    token, forged = new_token(), new_token()
    app.store.add_token(token)
    assert app.me(token).status_code == 200
    entry = app.cache.backend.get(token_cache_key(token)) or ""
    # a valid entry copied under another token's key, or re-signed with another key
    app.cache.backend.set(token_cache_key(forged), entry, timeout=60)
    assert app.me(forged).status_code == 401 and app.calls(forged) == 1
    other_app = Flask("another")
    other_app.secret_key = "another key"
    other = CacheTokenCache(app.cache.backend, UserStore(other_app, USERS.get))
    body = json.loads(entry)
    del body["sig"]
    body["sig"] = other._sign(token_cache_key(forged), body)
    app.cache.backend.set(token_cache_key(forged), json.dumps(body), timeout=60)
    assert app.me(forged).status_code == 401 and app.calls(forged) == 2


def test_a_cache_that_does_not_answer_falls_back_to_the_tokengetter(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = Counted(
        "simple",
        tmp_path,
        OAUTH2_CACHE_TYPE="redis",
        OAUTH2_CACHE_REDIS_URL="redis://127.0.0.1:1/0",
    )
    token = new_token()
    app.store.add_token(token)
    assert app.me(token).status_code == 200 and app.me(token).status_code == 200
    assert app.calls(token) == 2
    assert "token cache is unavailable" in caplog.text and token not in caplog.text


def test_a_user_that_cannot_come_back_is_not_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {**backend_config("redis", tmp_path), "SECRET_KEY": SECRET_KEY}
    app, oauth, store = create_app(**settings)
    bind_cache_token_cache(app, oauth)  # no user_loader, no Flask-Login, no SQLAlchemy
    token = new_token()
    store.add_token(token)
    client = app.test_client()
    for _ in range(2):
        answer = client.get("/api/me", headers={"Authorization": "Bearer " + token})
        assert answer.status_code == 200 and answer.json["username"] == "alice"
    assert "user_loader" in caplog.text


def test_a_dpop_bound_token_stays_bound_on_a_hit(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    token = new_token()
    app.store.add_token(token).dpop_jkt = "x" * 43  # type: ignore[attr-defined]
    for _ in range(2):
        refused = app.me(token)
        assert refused.status_code == 401
        assert "DPoP" in refused.json["error_description"]
    assert app.calls(token) == 1


# -- revocations in one process: the provider tells the cache ---------------------------------


def issue(client: FlaskClient, store: Store) -> dict[str, Any]:
    """A token of the confidential client for alice, by the code flow; and its code."""
    code = authorization_code(authorize_url(), browser=client)
    answer = redeem(client, code)
    assert answer.status_code == 200, answer.json
    return {**answer.json, "code": code}


@pytest.mark.parametrize("kind", SHARED)
def test_the_revocation_endpoint_forgets_the_token(kind: str, tmp_path: Path) -> None:
    app = Counted(kind, tmp_path)
    issued = issue(app.client, app.store)
    access = issued["access_token"]
    assert app.me(access).status_code == 200 and app.me(access).status_code == 200
    assert app.calls(access) == 1
    revoked = app.client.post(
        "/oauth/revoke",
        data={"token": access},
        auth=("confidential", SECRETS["confidential"]),
    )
    assert revoked.status_code == 200
    refused = app.me(access)
    assert refused.status_code == 401
    assert refused.json["error_description"] == "The access token was revoked."


def test_rotation_forgets_the_old_access_token(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    issued = issue(app.client, app.store)
    old = issued["access_token"]
    assert app.me(old).status_code == 200 and app.me(old).status_code == 200
    refreshed = token_request(
        app.client, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert refreshed.status_code == 200
    new = refreshed.json["access_token"]
    assert app.me(old).status_code == 401  # the test storage revokes the rotated pair
    assert app.me(new).status_code == 200 and app.me(new).status_code == 200
    assert app.calls(new) == 1
    # the old refresh token again: reuse, the family goes, the new cached token with it
    reused = token_request(
        app.client, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert reused.json["error"] == "invalid_grant"
    assert app.me(new).status_code == 401


def test_a_replayed_code_forgets_what_it_issued(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    issued = issue(app.client, app.store)
    access = issued["access_token"]
    assert app.me(access).status_code == 200 and app.me(access).status_code == 200
    assert app.calls(access) == 1
    assert redeem(app.client, issued["code"]).json["error"] == "invalid_grant"
    assert app.me(access).status_code == 401


def test_the_app_tells_of_its_own_revocations(tmp_path: Path) -> None:
    app = Counted("redis", tmp_path)
    heard: list[RevokedTokens] = []
    app.oauth.revocation_listener(heard.append)
    token = new_token()
    stored = app.store.add_token(token)
    assert app.me(token).status_code == 200 and app.me(token).status_code == 200
    stored.revoke()
    assert app.me(token).status_code == 200  # nothing told the cache
    app.oauth.tokens_revoked(RevokedTokens.of(stored, "admin"))
    assert app.me(token).status_code == 401
    assert [(r.reason, r.family, r.client_id) for r in heard] == [("admin", False, "confidential")]
    assert token not in repr(heard)


def test_a_failing_listener_does_not_undo_a_revocation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = Counted("redis", tmp_path)

    @app.oauth.revocation_listener
    def broken(revoked: RevokedTokens) -> None:
        raise RuntimeError("listener bug")

    issued = issue(app.client, app.store)
    access = issued["access_token"]
    assert app.me(access).status_code == 200
    revoked = app.client.post(
        "/oauth/revoke", data={"token": access}, auth=("confidential", SECRETS["confidential"])
    )
    assert revoked.status_code == 200 and app.me(access).status_code == 401
    assert "revocation listener failed" in caplog.text


def test_token_cache_needs_its_methods() -> None:
    with pytest.raises(TypeError, match="lookup"):
        OAuth2Provider().token_cache(object())  # type: ignore[arg-type]


# -- two processes on one Redis ----------------------------------------------------------------


class Worker:
    """A second process serving its own provider app on the shared cache and database."""

    def __init__(self, path: Path, prefix: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=serve_worker, args=(str(path), REDIS_URL, prefix, child)
        )
        self.process.start()
        assert self.conn.poll(60) and self.conn.recv() == "ready"

    def me(self, token: str) -> tuple[int, int]:
        """The status of ``/api/me`` there, and its tokengetter's lookups so far."""
        self.conn.send(token)
        assert self.conn.poll(30)
        status, lookups = self.conn.recv()
        return status, lookups

    def stop(self) -> None:
        self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Flask, FileTokens, Worker]]:
    """This process's app and the worker's, on one token file and one Redis prefix."""
    require_service("redis")
    prefix = "t" + uuid.uuid4().hex[:8] + ":"
    path = tmp_path / "tokens.json"
    app, _oauth, _calls = file_app(str(path), REDIS_URL, prefix)
    worker = Worker(path, prefix)
    try:
        yield app, FileTokens(path), worker
    finally:
        worker.stop()


def revoke(app: Flask, token: str, hint: str | None = None) -> int:
    data = {"token": token, **({"token_type_hint": hint} if hint else {})}
    auth = ("confidential", SECRETS["confidential"])
    return app.test_client().post("/oauth/revoke", data=data, auth=auth).status_code


def test_a_revoked_token_is_refused_at_once_by_another_process(
    shared: tuple[Flask, FileTokens, Worker],
) -> None:
    app, tokens, worker = shared
    revoked, untold = new_token(), new_token()
    tokens.add(revoked, family="a")
    tokens.add(untold, family="b")
    assert worker.me(revoked) == (200, 1)
    assert worker.me(untold) == (200, 2)
    assert worker.me(revoked) == (200, 2) and worker.me(untold) == (200, 2)  # cached
    assert revoke(app, revoked) == 200
    assert worker.me(revoked) == (401, 3)  # not after the TTL: now
    # the control: revoked behind the provider's back, the worker's cache still says yes
    tokens.revoke_where(lambda access, record: access == untold)
    assert worker.me(untold) == (200, 3)


def test_a_revoked_family_is_refused_at_once_by_another_process(
    shared: tuple[Flask, FileTokens, Worker],
) -> None:
    app, tokens, worker = shared
    first, second, bobs = new_token(), new_token(), new_token()
    tokens.add(first, family="f", refresh_token="r-" + first)
    tokens.add(second, family="f", refresh_token="r-" + second)
    tokens.add(bobs, user=BOB, family="g")
    for token in (first, second, bobs):
        assert worker.me(token)[0] == 200
    assert worker.me(first) == (200, 3) and worker.me(bobs) == (200, 3)
    # revoking the second refresh token revokes its family: the first access token too,
    # which the provider cannot name; the cache forgets alice's tokens of this client
    assert revoke(app, "r-" + second, "refresh_token") == 200
    assert worker.me(first) == (401, 4)
    assert worker.me(second) == (401, 5)
    assert worker.me(bobs) == (200, 5)  # bob's stay cached


# -- the ready SQLAlchemy models: hashed tokens, users by primary key --------------------------


def test_with_the_ready_models_a_hit_reads_no_token_row(tmp_path: Path) -> None:
    pytest.importorskip("flask_oauthlib_contrib_sqla")
    sqla_app = pytest.importorskip("sqla_app")
    from sqlalchemy import event

    with sqla_app.database("sqlite") as engine:
        app, oauth, session = sqla_app.create_app(engine)
        app.config.update(backend_config("redis", tmp_path), SECRET_KEY=SECRET_KEY)
        bind_cache_token_cache(app, oauth, user_loader=lambda id: session.get(sqla_app.User, id))
        token_reads: list[str] = []

        @event.listens_for(engine, "before_cursor_execute")
        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().startswith("SELECT") and "FROM oauth2_token" in statement:
                token_reads.append(statement)

        client = app.test_client()
        url = "/oauth/authorize?" + "&".join(
            ["response_type=code", "client_id=confidential", "scope=email"]
            + ["redirect_uri=" + sqla_app.REDIRECT]
        )
        code = authorization_code(url, browser=client)
        auth = ("confidential", "s3cret")
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": sqla_app.REDIRECT}
        issued = client.post("/oauth/token", data=data, auth=auth).json
        headers = {"Authorization": "Bearer " + issued["access_token"]}

        def me() -> Any:
            return client.get("/api/me", headers=headers)

        assert me().json == {"username": "alice"}
        before = len(token_reads)
        assert before > 0  # the first lookup asked the database
        assert me().json == {"username": "alice"} and me().status_code == 200
        assert len(token_reads) == before  # served from the cache
        # revoking the refresh token revokes the pair (hashed: the provider tells the
        # cache the row's access_token_hash) and its family
        revoke = {"token": issued["refresh_token"], "token_type_hint": "refresh_token"}
        assert client.post("/oauth/revoke", data=revoke, auth=auth).status_code == 200
        refused = me()
        assert refused.status_code == 401
        assert refused.json["error_description"] == "The access token was revoked."
        session.remove()


# -- several apps of one provider -----------------------------------------------------------


def test_apps_of_one_provider_never_take_each_others_entries(tmp_path: Path) -> None:
    """Two apps of one provider (an app factory, one database each) share a Redis and a
    SECRET_KEY: a token of the first app, cached there, is unknown to the second, whose
    user 1 is somebody else."""
    require_service("redis")
    from types import SimpleNamespace

    from flask import current_app, jsonify, request

    provider = OAuth2Provider()
    tokens: dict[str, dict[str, Any]] = {}
    client = SimpleNamespace(client_id="shared-client", is_confidential=True)

    def create(database: str, user: Any) -> Flask:
        app = Flask(f"tenant-{uuid.uuid4().hex}")
        app.config.update(
            backend_config("redis", tmp_path),
            SECRET_KEY=SECRET_KEY,
            SQLALCHEMY_DATABASE_URI=database,
        )
        provider.init_app(app)
        tokens[app.name] = {}
        bind_cache_token_cache(app, provider, user_loader={user.id: user}.get)

        @app.route("/api/me")
        @provider.require_oauth("email")
        def me() -> Any:
            return jsonify(username=request.oauth.user.username)  # type: ignore[attr-defined]

        return app

    provider.clientgetter(lambda client_id: client if client_id == "shared-client" else None)

    @provider.tokengetter
    def load(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        return tokens[current_app.name].get(access_token or "")

    first = create(f"sqlite:///{tmp_path}/first.db", ALICE)
    second = create(f"sqlite:///{tmp_path}/second.db", type(ALICE)(1, "mallory"))
    token = new_token()
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    tokens[first.name][token] = SimpleNamespace(
        access_token=token, client_id="shared-client", client=client, scopes=["email"],
        user=ALICE, expires=expires,
    )  # fmt: skip
    headers = {"Authorization": "Bearer " + token}
    assert first.test_client().get("/api/me", headers=headers).json == {"username": "alice"}
    assert first.test_client().get("/api/me", headers=headers).status_code == 200  # a hit
    answer = second.test_client().get("/api/me", headers=headers)
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"


@pytest.mark.parametrize("kind", SHARED)
def test_a_cached_token_of_a_deleted_client_is_refused(kind: str, tmp_path: Path) -> None:
    """A hit loads the client with the clientgetter: once the client is deleted (RFC 7592
    ``DELETE`` deletes its tokens in storage without naming them) its cached tokens are
    refused at once, not served with ``request.oauth.client`` None until they expire."""
    app = Counted(kind, tmp_path)
    token = new_token()
    app.store.add_token(token)
    assert app.me(token).status_code == 200 and app.me(token).status_code == 200
    assert app.calls(token) == 1  # the second was a hit
    del app.store.clients["confidential"]
    app.store.tokens.pop(token)
    refused = app.me(token)
    assert refused.status_code == 401 and refused.json["error"] == "invalid_token"
