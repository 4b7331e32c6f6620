"""A worker process for the cross-process DPoP replay test: its own provider app on the
shared Redis replay store, the same bound token, the same proof sent by 10 threads."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from dpop_testing import dpop_app
from oauth2_app import Token

from flask_oauthlib_contrib_cache import bind_cache_replay
from flask_oauthlib_core.testing import allow_insecure_transport

THREADS = 10


def use_proof(
    redis_url: str, prefix: str, token: str, jkt: str, proof: str, start: float
) -> list[int]:
    """Statuses of ``THREADS`` concurrent calls of ``/api/me`` with ``proof``, released
    at ``start`` (seconds since the epoch)."""
    allow_insecure_transport()
    app, oauth, store = dpop_app(
        OAUTH2_CACHE_TYPE="redis", OAUTH2_CACHE_REDIS_URL=redis_url, OAUTH2_CACHE_KEY_PREFIX=prefix
    )
    bind_cache_replay(app, oauth)
    client = store.clients["confidential"]
    tok = Token(
        store,
        token,
        None,
        client.client_id,
        ["email"],
        datetime.now(timezone.utc) + timedelta(hours=1),
        store.alice,
        client,
    )
    tok.dpop_jkt = jkt  # type: ignore[attr-defined]
    store.tokens[token] = tok
    headers = {"Authorization": "DPoP " + token, "DPoP": proof}
    statuses: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        test_client = app.test_client()
        time.sleep(max(0.0, start - time.time()))
        status = test_client.get("/api/me", headers=headers).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses
