"""Fixtures every test tree of the repository shares (pytest loads this file for all)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

# Tests talk plain HTTP to servers on 127.0.0.1; production deployments never set these.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Serve Flask apps on 127.0.0.1 with werkzeug in threads; return each base URL."""
    servers = []

    def start(app: Flask, port: int = 0) -> str:
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
