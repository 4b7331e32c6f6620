"""One provider worker for the cross-process tests: ``python race_server.py KIND PORT ...``.

Several of these bind the same port with ``SO_REUSEPORT`` (as a pre-forking server's
workers do) and share PostgreSQL or Redis, so the kernel spreads concurrent requests
over separate processes. Prints ``ready`` once it serves.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for folder in (
    "packages/provider-oauth2/tests",
    "packages/provider-oauth1/tests",
    "packages/contrib-sqla/tests",
):
    sys.path.insert(0, str(ROOT / folder))

from flask import Flask  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from flask_oauthlib_core.testing import POSTGRES_URL, REDIS_URL, allow_insecure_transport  # noqa: E402

allow_insecure_transport()


def build(kind: str, option: str) -> Flask:
    if kind == "sqla":
        from sqla_app import create_app, postgres_engine

        return create_app(postgres_engine(option), with_seed=False)[0]
    if kind == "sqla-legacy":
        from legacy_app import legacy_app

        return legacy_app(POSTGRES_URL, schema=option, with_seed=False)[0]
    if kind == "cache":
        from oauth2_app import create_app

        from flask_oauthlib_contrib_cache import bind_cache_grant

        app, oauth, store = create_app(
            OAUTH2_CACHE_TYPE="redis",
            OAUTH2_CACHE_REDIS_URL=REDIS_URL,
            OAUTH2_CACHE_KEY_PREFIX=option,
        )
        bind_cache_grant(app, oauth, lambda: store.alice)
        return app
    if kind == "oauth1":
        from oauth1_app import create_app as create_oauth1

        from flask_oauthlib_contrib_cache import bind_cache_nonce

        app, oauth, _ = create_oauth1(
            OAUTH1_CACHE_TYPE="redis",
            OAUTH1_CACHE_REDIS_URL=REDIS_URL,
            OAUTH1_CACHE_KEY_PREFIX=option,
        )
        bind_cache_nonce(app, oauth)
        return app
    raise SystemExit(f"unknown kind {kind!r}")


def main() -> None:
    kind, port, option = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    app = build(kind, option)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    server = make_server("127.0.0.1", port, app, threaded=True, fd=sock.fileno())
    print("ready", os.getpid(), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
