"""The services tests talk to: reachable or not, and what to do when one is missing."""

from __future__ import annotations

import os
import socket

import pytest

__all__ = ["free_port", "require_service"]


def free_port() -> int:
    """A TCP port nobody listens on right now (for apps that must know their URL first)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_service(port: int, name: str) -> None:
    """Skip the test when ``name`` does not answer on 127.0.0.1:``port`` outside CI; fail
    it in CI (``CI=true``), where ``.ci/run`` starts every service."""
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
    except OSError:
        message = f"{name} is not running on 127.0.0.1:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run starts it")
        pytest.skip(message + " (CI runs these tests)")
