"""The cache backends the tests run on, as ``OAUTH2_CACHE_*`` config."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import requests
from oauth2_app import REDIRECT, redeem
from requests_oauthlib import OAuth2Session

from flask_oauthlib_core.testing import (
    MEMCACHED_SERVERS,
    REDIS_URL,
    code_from,
    consent,
    require_service,
)

#: the cache servers: the service to require, and the config key that says where it is
SERVERS = {
    "redis": ("redis", "OAUTH2_CACHE_REDIS_URL", REDIS_URL),
    "memcache": ("memcached", "OAUTH2_CACHE_MEMCACHED_SERVERS", MEMCACHED_SERVERS),
}


def backend_config(kind: str, tmp_path: Path) -> dict[str, Any]:
    """``OAUTH2_CACHE_*`` keys for ``kind``; Redis and memcached get a fresh key prefix and
    skip the test (fail it in CI) when they are not running."""
    if kind in SERVERS:
        service, key, where = SERVERS[kind]
        require_service(service)
        prefix = "t" + uuid.uuid4().hex[:8] + ":"
        return {"OAUTH2_CACHE_TYPE": kind, key: where, "OAUTH2_CACHE_KEY_PREFIX": prefix}
    if kind == "filesystem":
        return {"OAUTH2_CACHE_TYPE": "filesystem", "OAUTH2_CACHE_DIR": str(tmp_path / "grants")}
    return {"OAUTH2_CACHE_TYPE": kind}


def check_code_flow(url: str) -> None:
    """A PKCE login at the provider served at ``url``, its token used at ``/api/me``, and
    the code refused when redeemed again (single use)."""
    sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"], pkce="S256")
    auth_url, _ = sess.authorization_url(url + "/oauth/authorize")
    answer = consent(auth_url)
    token = sess.fetch_token(
        url + "/oauth/token",
        authorization_response=answer.headers["Location"],
        client_secret="s3cret",
    )
    me = requests.get(
        url + "/api/me", headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10
    )
    assert me.json()["username"] == "alice"
    assert redeem(url, code_from(answer)).json()["error"] == "invalid_grant"  # single use
