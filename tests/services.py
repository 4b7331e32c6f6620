"""The services tests talk to: where they are, reachable or not, and what to do when one is
missing.

``scripts/services.py`` (which ``scripts/test.sh`` runs) starts throwaway instances on free
ports and exports where they are; without it the defaults below are used:

    TEST_POSTGRES_URL      postgresql+psycopg://postgres@127.0.0.1:5432/test
    TEST_REDIS_URL         redis://127.0.0.1:6379/0
    TEST_MEMCACHED_SERVER  127.0.0.1:11211
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

__all__ = [
    "MEMCACHED_HOST",
    "MEMCACHED_PORT",
    "MEMCACHED_SERVERS",
    "POSTGRES_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_URL",
    "free_port",
    "require_service",
]

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
MEMCACHED_SERVER = os.environ.get("TEST_MEMCACHED_SERVER") or "127.0.0.1:11211"
MEMCACHED_SERVERS = [MEMCACHED_SERVER]


def _address(value: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(value if "://" in value else "//" + value)
    return parts.hostname or "127.0.0.1", parts.port or default_port


POSTGRES_HOST, POSTGRES_PORT = _address(POSTGRES_URL, 5432)
REDIS_HOST, REDIS_PORT = _address(REDIS_URL, 6379)
MEMCACHED_HOST, MEMCACHED_PORT = _address(MEMCACHED_SERVER, 11211)

_SERVICES = {
    "postgresql": ("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT),
    "redis": ("Redis", REDIS_HOST, REDIS_PORT),
    "memcached": ("memcached", MEMCACHED_HOST, MEMCACHED_PORT),
    "memcache": ("memcached", MEMCACHED_HOST, MEMCACHED_PORT),  # the cache type's name
}


def free_port() -> int:
    """A TCP port nobody listens on right now (for apps that must know their URL first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_service(service: str) -> None:
    """Skip the test when ``service`` (postgresql, redis, memcached) does not answer where
    the TEST_* variables say, outside CI; fail it in CI (``CI=true``), where
    ``scripts/test.sh`` starts every service."""
    name, host, port = _SERVICES[service.lower()]
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        message = f"{name} is not running on {host}:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; scripts/test.sh starts it (scripts/services.py)")
        pytest.skip(message + " (CI runs these tests)")
