"""One DPoP proof sent 20 times at once by two processes sharing Redis through
``bind_cache_replay``: exactly one request is accepted."""

from __future__ import annotations

import multiprocessing
import time
import uuid

from dpop_replay_worker import THREADS, use_proof
from dpop_testing import ec_key, jkt, proof

from flask_oauthlib_core.testing import REDIS_URL, require_service


def test_one_proof_is_accepted_once_across_two_processes() -> None:
    require_service("redis")
    key = ec_key()
    token = "shared-" + uuid.uuid4().hex
    sent = proof(key, access_token=token)
    prefix = "t" + uuid.uuid4().hex[:8] + ":"
    start = time.time() + 3.0  # both processes are up and waiting by then
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        args = (REDIS_URL, prefix, token, jkt(key), sent, start)
        results = [pool.apply_async(use_proof, args) for _ in range(2)]
        statuses = [status for result in results for status in result.get(60)]
    assert len(statuses) == 2 * THREADS
    assert statuses.count(200) == 1
    assert statuses.count(401) == 2 * THREADS - 1
