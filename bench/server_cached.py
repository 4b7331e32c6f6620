"""Ours with the optional token cache, for the real-server benchmark's protected-resource
scenario: the app of :func:`server_apps.ours_app` with ``bind_cache_token_cache`` on Redis
(``BENCH_REDIS_URL``), its entries under a namespace of the run (``BENCH_SCHEMA``).

Once the token's entry is there (the first request fills it), a protected request reads
two Redis keys (the entry and its revocation mark) instead of the token's row, then
loads the user and the client from PostgreSQL.
"""

from __future__ import annotations

import os

from flask import Flask
from server_apps import User, ours_app
from sqlalchemy.orm import Session

from flask_oauthlib_contrib_cache import bind_cache_token_cache


def ours_cached_app() -> Flask:
    app = ours_app()
    app.config.update(
        SECRET_KEY="bench-" + os.environ["BENCH_SCHEMA"],  # signs the entries: every worker's
        OAUTH2_CACHE_TYPE="redis",
        OAUTH2_CACHE_REDIS_URL=os.environ["BENCH_REDIS_URL"],
        OAUTH2_CACHE_TOKEN_CACHE_NAMESPACE=os.environ["BENCH_SCHEMA"],
    )
    session: Session = app.extensions["bench.session"]
    oauth = app.extensions["oauthlib.provider.oauth2"]
    bind_cache_token_cache(app, oauth, user_loader=lambda user_id: session.get(User, user_id))
    return app
