"""The cross-process token cache tests: a token database in a JSON file that every process
reads (as they would share a real database), provider apps whose tokengetter reads it
with ``bind_cache_token_cache`` on a shared Redis, and a worker process serving one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from flask import Flask
from oauth2_app import User, create_app

from flask_oauthlib_contrib_cache import bind_cache_token_cache
from flask_oauthlib_core.testing import allow_insecure_transport
from flask_oauthlib_provider_oauth2 import OAuth2Provider

ALICE, BOB = User(1, "alice"), User(2, "bob")
USERS = {1: ALICE, 2: BOB}
SECRET_KEY = "token-cache-tests"


class FileTokens:
    """Token records in a JSON file, written whole (to a temporary file moved in place)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        records: dict[str, dict[str, Any]] = json.loads(self.path.read_text())
        return records

    def write(self, records: dict[str, dict[str, Any]]) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(records))
        os.replace(temporary, self.path)

    def add(
        self,
        access_token: str,
        user: User = ALICE,
        family: str = "f",
        refresh_token: str | None = None,
        expires_in: float = 3600,
    ) -> None:
        records = self.read()
        expires = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
        records[access_token] = {
            "refresh_token": refresh_token,
            "user_id": user.id,
            "family": family,
            "expires": expires.timestamp(),
            "revoked": False,
        }
        self.write(records)

    def revoke_where(self, match: Callable[[str, dict[str, Any]], bool]) -> None:
        records = self.read()
        for access_token, record in records.items():
            if match(access_token, record):
                record["revoked"] = True
        self.write(records)

    def get(
        self, access_token: str | None = None, refresh_token: str | None = None
    ) -> FileToken | None:
        for access, record in self.read().items():
            if (access_token and access == access_token) or (
                refresh_token and record["refresh_token"] == refresh_token
            ):
                return FileToken(self, access, record)
        return None


@dataclass
class FileToken:
    """A token read from :class:`FileTokens`: ``revoke()`` and ``revoke_family()`` write
    the file."""

    tokens: FileTokens
    access_token: str
    record: dict[str, Any]
    client_id: str = "confidential"

    @property
    def scopes(self) -> list[str]:
        return ["email"]

    @property
    def user(self) -> User:
        return USERS[self.record["user_id"]]

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.record["expires"], timezone.utc)

    @property
    def revoked(self) -> bool:
        return bool(self.record["revoked"])

    @property
    def refresh_token(self) -> str | None:
        return self.record["refresh_token"]  # type: ignore[no-any-return]

    def revoke(self) -> None:
        self.tokens.revoke_where(lambda access, record: access == self.access_token)

    def revoke_family(self) -> None:
        family = self.record["family"]
        self.tokens.revoke_where(lambda access, record: record["family"] == family)


def file_app(path: str, redis_url: str, prefix: str) -> tuple[Flask, OAuth2Provider, list[str]]:
    """The provider app on the token file, its token cache on Redis under ``prefix``, and
    the list the tokengetter adds ``"access"`` to on each lookup by access token."""
    app, oauth, _store = create_app(
        SECRET_KEY=SECRET_KEY,
        OAUTH2_CACHE_TYPE="redis",
        OAUTH2_CACHE_REDIS_URL=redis_url,
        OAUTH2_CACHE_KEY_PREFIX=prefix,
    )
    tokens = FileTokens(path)
    calls: list[str] = []

    @oauth.tokengetter
    def load_token(
        access_token: str | None = None, refresh_token: str | None = None
    ) -> FileToken | None:
        if access_token:
            calls.append("access")
        return tokens.get(access_token, refresh_token)

    bind_cache_token_cache(app, oauth, user_loader=USERS.get)
    return app, oauth, calls


def serve_worker(path: str, redis_url: str, prefix: str, conn: Connection) -> None:
    """A worker process: answers each access token received on ``conn`` with the status
    of ``GET /api/me`` and the tokengetter's lookups so far, until it receives ``None``."""
    allow_insecure_transport()
    app, _oauth, calls = file_app(path, redis_url, prefix)
    client = app.test_client()
    conn.send("ready")
    while (token := conn.recv()) is not None:
        status = client.get("/api/me", headers={"Authorization": "Bearer " + token}).status_code
        conn.send((status, len(calls)))
    conn.close()
