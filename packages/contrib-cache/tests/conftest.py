"""Providers with cached grants and nonces, served on 127.0.0.1 over plain HTTP.

``serve`` and plain HTTP come from ``flask_oauthlib_core.testing``, as in the repository's
root conftest. From the sdist these tests also need the providers' test apps
(``oauth1_app``, ``oauth2_app`` from their sdists' ``tests``) on ``PYTHONPATH``; Redis and
memcached are found with ``TEST_REDIS_URL`` and ``TEST_MEMCACHED_SERVER``; a Redis
Cluster and a Sentinel group are started for the tests that use them (``redis_cluster``,
``redis_sentinel`` from ``redis_topologies``), when ``redis-server`` is installed.
"""

from __future__ import annotations

from redis_topologies import redis_cluster, redis_sentinel  # noqa: F401 (fixtures)

from flask_oauthlib_core.testing import allow_insecure_transport, serve_fixture

allow_insecure_transport()

serve = serve_fixture()
