"""The Redis cache on a real Redis Cluster (``redis+cluster://``) and a real Sentinel group
(``redis+sentinel://``): codes, OAuth 1 nonces, the replay store and pushed requests stay
single use, also across a failover; and the URLs are parsed strictly.

The failover tests wait until the replica has every write before they kill the master,
as a healthy replica does within a millisecond: then a code issued before the failover
is redeemed once after it, and a nonce, proof or code used before stays used. Redis
replicates asynchronously, so a write the master acknowledged in its last moment (its
replication lag) can be lost: a code issued then is refused (``invalid_grant``, the
user starts again), and a redemption or nonce recorded then could be accepted once more
by the new master. The cluster URL lists three of the six nodes, the killed one among
them maybe: the client finds the cluster through any that answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cache_backends import check_code_flow
from flask import Flask
from oauth1_app import CALLBACK, CLIENT_KEY, CLIENT_SECRET
from oauth1_app import create_app as create_oauth1_app
from oauth2_app import authorize_url, redeem
from oauth2_app import create_app as create_oauth2_app
from oauthlib.oauth1 import Client
from redis_topologies import Cluster, SentinelGroup

from flask_oauthlib_contrib_cache import (
    Cache,
    RedisBackend,
    bind_cache_grant,
    bind_cache_nonce,
    bind_cache_pushed_requests,
    bind_cache_replay,
)
from flask_oauthlib_contrib_cache.backends.redis_urls import RedisTopology, parse_topology
from flask_oauthlib_core import StorageUnavailable
from flask_oauthlib_core.testing import authorization_code, concurrently
from flask_oauthlib_provider_oauth2 import replay_key
from flask_oauthlib_provider_oauth2.pushed_requests import pushed_request_key

# -- the URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7001/",
            RedisTopology("cluster", (("10.0.0.1", 7000), ("10.0.0.2", 7001))),
        ),
        ("redis+cluster://node", RedisTopology("cluster", (("node", 6379),))),
        (
            "rediss+cluster://:p%40ss@[::1]:7000/0",
            RedisTopology("cluster", (("::1", 7000),), True, None, "p@ss"),
        ),
        (
            "redis+sentinel://s1:26379,s2,s3:26380/mymaster/3",
            RedisTopology(
                "sentinel",
                (("s1", 26379), ("s2", 26379), ("s3", 26380)),
                service="mymaster",
                db=3,
            ),
        ),
        (
            "rediss+sentinel://app:secret@s1:26379/main/",
            RedisTopology("sentinel", (("s1", 26379),), True, "app", "secret", "main", 0),
        ),
        ("redis://localhost:6379/0", None),
        ("rediss://localhost:6380/1", None),
        ("unix:///run/redis.sock", None),
    ],
)
def test_urls_are_parsed(url: str, expected: RedisTopology | None) -> None:
    assert parse_topology(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("redis+clustr://h:7000/", "unknown scheme"),
        ("redis+cluster:///", "no host:port"),
        ("redis+cluster://h:7000,/", "is not host:port"),
        ("redis+cluster://h:port/", "is not host:port"),
        ("redis+cluster://h:70000/", "out of range"),
        ("redis+cluster://h:7000/1", "database 0 only"),
        ("redis+cluster://h:7000/?timeout=1", "no query"),
        ("redis+sentinel://h:26379", "name the master"),
        ("redis+sentinel://h:26379/", "name the master"),
        ("redis+sentinel://h:26379/main/x", "not a database number"),
        ("redis+sentinel://h:26379/main/-1", "not a database number"),
        ("redis+sentinel://h:26379/my%20master/0", "no spaces"),
        ("redis+sentinel://h:26379/main/0/extra", "name the master"),
    ],
)
def test_a_bad_url_is_a_value_error_naming_the_key(url: str, complaint: str) -> None:
    app = Flask("bad-url")
    app.config.update(OAUTH2_CACHE_TYPE="redis", OAUTH2_CACHE_REDIS_URL=url)
    with pytest.raises(ValueError, match=f"^OAUTH2_CACHE_REDIS_URL: .*{complaint}"):
        Cache(app, "OAUTH2")
    unprefixed = Flask("bad-unprefixed")
    unprefixed.config.update(CACHE_TYPE="redis", CACHE_REDIS_URL=url)
    with pytest.raises(ValueError, match="^CACHE_REDIS_URL: "):
        Cache(unprefixed, "OAUTH2")


def test_a_cluster_nobody_answers_is_unavailable_when_used() -> None:
    backend = RedisBackend(url="redis+cluster://127.0.0.1:1/")  # no connection yet
    with pytest.raises(StorageUnavailable):
        backend.get("x")


# -- the flows, on both -------------------------------------------------------------------

TOPOLOGIES = ["redis_cluster", "redis_sentinel"]


def config(url: str, prefix: str | None = None, kind: str = "OAUTH2") -> dict[str, Any]:
    return {
        f"{kind}_CACHE_TYPE": "redis",
        f"{kind}_CACHE_REDIS_URL": url,
        f"{kind}_CACHE_KEY_PREFIX": prefix or "t" + uuid.uuid4().hex[:8] + ":",
    }


def provider(serve: Callable[[Flask], str], settings: dict[str, Any]) -> tuple[str, Any]:
    app, oauth, store = create_oauth2_app(**settings)
    bind_cache_grant(
        app, oauth, lambda: store.alice, user_loader=lambda uid: store.alice if uid == 1 else None
    )
    return serve(app), store


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_authorization_code_flow(
    topology: str, request: pytest.FixtureRequest, serve: Callable[[Flask], str]
) -> None:
    url, _ = provider(serve, config(request.getfixturevalue(topology).url))
    check_code_flow(url)


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_concurrent_redemptions_have_one_winner(
    topology: str, request: pytest.FixtureRequest, serve: Callable[[Flask], str]
) -> None:
    url, store = provider(serve, config(request.getfixturevalue(topology).url))
    code = authorization_code(authorize_url(url))
    statuses = concurrently(lambda: redeem(url, code).status_code, 20)
    assert statuses.count(200) == 1, statuses
    assert len(store.tokens) == 1


def signed_request(url: str, nonce: str) -> tuple[str, dict[str, str]]:
    once = {"nonce": nonce, "timestamp": str(int(time.time()))}
    uri, headers, _ = Client(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK, **once).sign(
        url + "/oauth/request_token", http_method="POST"
    )
    return uri, headers


def oauth1_provider(serve: Callable[[Flask], str], settings: dict[str, Any]) -> str:
    app, oauth, _ = create_oauth1_app(**settings)
    bind_cache_nonce(app, oauth)
    return serve(app)


def post(request: tuple[str, dict[str, str]]) -> int:
    return requests.post(request[0], headers=request[1], timeout=10).status_code


def test_nonces_and_one_time_values_are_used_once_on_the_cluster(
    redis_cluster: Cluster, serve: Callable[[Flask], str]
) -> None:
    url = oauth1_provider(serve, config(redis_cluster.url, kind="OAUTH1"))
    request = signed_request(url, uuid.uuid4().hex)
    assert post(request) == 200
    assert post(request) == 401  # the same nonce again
    assert post(signed_request(url, uuid.uuid4().hex)) == 200

    app, oauth, _ = create_oauth2_app(**config(redis_cluster.url))
    store = bind_cache_replay(app, oauth)
    key = replay_key("dpop", "jkt", uuid.uuid4().hex)
    assert store.first_use(key, 60) and not store.first_use(key, 60)
    other = replay_key("dpop", "jkt", uuid.uuid4().hex)
    assert concurrently(lambda: store.first_use(other, 60), 20).count(True) == 1


def test_pushed_requests_and_the_cache_api_on_the_cluster(redis_cluster: Cluster) -> None:
    app, oauth, _ = create_oauth2_app(**config(redis_cluster.url))
    pushed = bind_cache_pushed_requests(app, oauth)
    record = {"client_id": "c", "params": {"scope": "email"}, "expires_at": 2**40}
    keys = [pushed_request_key(f"urn:ietf:params:oauth:request_uri:{n}") for n in range(20)]
    for key in keys:
        pushed.save(key, record, 60)
    assert pushed.peek(keys[0]) == record
    assert concurrently(lambda: pushed.take(keys[1]), 20).count(record) == 1

    cache = Cache(app, "OAUTH2")
    assert cache.inc("n", 5) == 5 and cache.dec("n", 7) == -2  # the Lua script
    cache.set("s", "text")
    with pytest.raises(TypeError, match="not an integer"):
        cache.inc("s")
    assert cache.add("a", [1]) and not cache.add("a", [2]) and cache.take("a") == [1]
    assert cache.clear()  # keys of every master, deleted slot by slot
    assert pushed.peek(keys[2]) is None and cache.get("n") is None


# -- failovers (last: each leaves its topology without that replica) ------------------------


def prepare(serve: Callable[[Flask], str], url: str, prefix: str) -> dict[str, Any]:
    """Before the failover: a code issued, one redeemed, a nonce and a proof used."""
    oauth2, tokens = provider(serve, config(url, prefix))
    oauth1 = oauth1_provider(serve, config(url, prefix, kind="OAUTH1"))
    app, oauth, _ = create_oauth2_app(**config(url, prefix))
    state = {
        "oauth2": oauth2,
        "tokens": tokens,
        "oauth1": oauth1,
        "replay": bind_cache_replay(app, oauth),
        "proof": replay_key("dpop", "jkt", uuid.uuid4().hex),
        "issued": authorization_code(authorize_url(oauth2)),
        "redeemed": authorization_code(authorize_url(oauth2)),
        "raced": authorization_code(authorize_url(oauth2)),
        "statuses": [],
        "nonce": signed_request(oauth1, uuid.uuid4().hex),
    }
    assert redeem(oauth2, state["redeemed"]).status_code == 200
    assert post(state["nonce"]) == 200
    assert state["replay"].first_use(state["proof"], 60)
    return state


def meanwhile(state: dict[str, Any]) -> Callable[[], None]:
    """While there is no master: a redemption is refused cleanly (503), or waits in the
    client's retries for the new master and succeeds."""

    def redeem_raced() -> None:
        started = time.monotonic()
        answer = redeem(state["oauth2"], state["raced"])
        state["statuses"].append(answer.status_code)
        state["meanwhile"] = (answer.status_code, round(time.monotonic() - started, 2))
        assert answer.status_code == 200 or answer.json()["error"] == "temporarily_unavailable"

    return redeem_raced


def check_after(state: dict[str, Any]) -> None:
    """After it: the code issued before redeems once, nothing used is accepted again."""
    oauth2 = state["oauth2"]
    state["statuses"].append(redeem(oauth2, state["raced"]).status_code)
    assert state["statuses"] in ([200, 400], [503, 200]), state["statuses"]
    print("during the failover:", state["meanwhile"])
    statuses = concurrently(lambda: redeem(oauth2, state["issued"]).status_code, 10)
    assert sorted(statuses) == [200] + [400] * 9, statuses
    assert redeem(oauth2, state["redeemed"]).json()["error"] == "invalid_grant"
    assert post(state["nonce"]) == 401
    assert post(signed_request(state["oauth1"], uuid.uuid4().hex)) == 200
    assert not state["replay"].first_use(state["proof"], 60)
    assert len(state["tokens"].tokens) == 3


def test_a_cluster_failover_keeps_codes_and_nonces(
    redis_cluster: Cluster, serve: Callable[[Flask], str]
) -> None:
    prefix = "{ft" + uuid.uuid4().hex[:8] + "}:"  # every key of the test in one slot
    state = prepare(serve, redis_cluster.url, prefix)
    redis_cluster.fail_over(prefix, meanwhile(state))
    check_after(state)


def test_a_sentinel_failover_keeps_codes_and_nonces(
    redis_sentinel: SentinelGroup, serve: Callable[[Flask], str]
) -> None:
    state = prepare(serve, redis_sentinel.url, "t" + uuid.uuid4().hex[:8] + ":")
    redis_sentinel.fail_over(meanwhile(state))
    assert redis_sentinel.master_port() == redis_sentinel.master
    check_after(state)
