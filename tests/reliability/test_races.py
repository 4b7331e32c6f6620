"""Exactly once across processes: two provider workers on one port (SO_REUSEPORT),
sharing PostgreSQL (SQLAlchemy binding) or Redis (cache binding), hit by 50 concurrent
requests for the same code, refresh token or nonce."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from oauth2_app import REDIRECT, authorize_url

from flask_oauthlib_core.testing import (
    POSTGRES_URL,
    authorization_code,
    concurrently,
    free_port,
    require_service,
)

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("race_server.py")
RACERS = 50
RESULTS: dict[str, dict[int, int]] = {}


@contextmanager
def workers(kind: str, option: str, count: int = 2) -> Iterator[str]:
    """``count`` worker processes serving one port; yields its base URL."""
    port = free_port()
    processes = [
        subprocess.Popen(
            [sys.executable, str(SERVER), kind, str(port), option],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        for _ in range(count)
    ]
    try:
        pids = {p.stdout.readline().split()[1] for p in processes}  # type: ignore[union-attr]
        assert len(pids) == count
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()  # type: ignore[union-attr]


def race(name: str, attempt: Callable[[], int], racers: int = RACERS) -> dict[int, int]:
    """Fire ``racers`` attempts at once; count the status codes."""
    statuses = concurrently(attempt, racers)
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    RESULTS[name] = counts
    print(f"\n{name}: {counts}")
    return counts


def get_code(url: str) -> str:
    return authorization_code(authorize_url(url))


def token_request(url: str, **data: str) -> requests.Response:
    """As the confidential client, waiting long: 50 racers queue at two workers."""
    return requests.post(
        url + "/oauth/token", data=data, auth=("confidential", "s3cret"), timeout=30
    )


def redeem(url: str, code: str) -> requests.Response:
    return token_request(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)


@pytest.fixture
def race_schema() -> Iterator[str]:
    """A PostgreSQL schema with the ready models' tables, seeded."""
    from sqla_app import Base, postgres_engine, postgres_schema, seed
    from sqlalchemy.orm import scoped_session, sessionmaker

    with postgres_schema("race_") as schema:
        engine = postgres_engine(schema)
        Base.metadata.create_all(engine)
        seed(scoped_session(sessionmaker(engine)))
        engine.dispose()
        yield schema


def test_code_and_refresh_races_on_postgresql(race_schema: str) -> None:
    with workers("sqla", race_schema) as url:
        code = get_code(url)
        codes = race(
            "sqla: 50 redemptions of one code",
            lambda: redeem(url, code).status_code,
        )
        assert codes.get(200) == 1, codes
        assert set(codes) <= {200, 400}, codes

        first = redeem(url, get_code(url)).json()
        refreshes: list[dict[str, str]] = []

        def refresh() -> int:
            resp = token_request(
                url, grant_type="refresh_token", refresh_token=first["refresh_token"]
            )
            if resp.status_code == 200:
                refreshes.append(resp.json())
            return resp.status_code

        counts = race("sqla: 50 uses of one refresh token", refresh)
        assert counts.get(200) == 1 and len(refreshes) == 1, counts
        assert set(counts) <= {200, 400}, counts
        # the old refresh token was used again: its whole family is revoked
        token_request(url, grant_type="refresh_token", refresh_token=first["refresh_token"])
        me = requests.get(
            url + "/api/me",
            headers={"Authorization": "Bearer " + refreshes[0]["access_token"]},
            timeout=10,
        )
        assert me.status_code == 401


@pytest.fixture
def legacy_schema() -> Iterator[str]:
    """A PostgreSQL schema with the 0.9.6 documentation's tables, seeded."""
    from legacy_app import legacy_app
    from sqla_app import postgres_schema

    with postgres_schema("legacy_") as schema:
        app, db, _ = legacy_app(POSTGRES_URL, schema=schema)
        with app.app_context():
            db.engine.dispose()
        yield schema


def test_old_style_models_race_on_postgresql(legacy_schema: str) -> None:
    """0.9.6 models (``Model.query``, ``delete()``) across two processes: one code, 20
    redemptions, one token; one refresh token, 20 uses, one new token; no 500."""
    auth = ("dev", "dev-secret")

    def code() -> str:
        return authorization_code(f"{url}/oauth/authorize?response_type=code&client_id=dev")

    def post(**data: str) -> requests.Response:
        return requests.post(url + "/oauth/token", data=data, auth=auth, timeout=30)

    with workers("sqla-legacy", legacy_schema) as url:
        one = code()
        errors: list[str] = []

        def redeem_one() -> int:
            resp = post(grant_type="authorization_code", code=one, redirect_uri=REDIRECT)
            if resp.status_code != 200:
                is_json = resp.headers.get("Content-Type", "").startswith("application/json")
                errors.append(resp.json().get("error", "") if is_json else resp.text[:40])
            return resp.status_code

        counts = race("sqla 0.9.6 models: 20 redemptions of one code", redeem_one, racers=20)
        assert counts == {200: 1, 400: 19}, counts
        assert set(errors) == {"invalid_grant"}, errors

        first = post(grant_type="authorization_code", code=code(), redirect_uri=REDIRECT).json()
        fresh: list[str] = []

        def refresh() -> int:
            resp = post(grant_type="refresh_token", refresh_token=first["refresh_token"])
            if resp.status_code == 200:
                fresh.append(resp.json()["access_token"])
            return resp.status_code

        counts = race("sqla 0.9.6 models: 20 uses of one refresh token", refresh, racers=20)
        assert counts == {200: 1, 400: 19} and len(fresh) == 1, counts


def test_code_race_on_redis() -> None:
    require_service("redis")
    with workers("cache", "race" + secrets.token_hex(4) + ":") as url:
        code = get_code(url)
        counts = race(
            "cache: 50 redemptions of one code",
            lambda: redeem(url, code).status_code,
        )
    assert counts.get(200) == 1 and set(counts) <= {200, 400}, counts


def test_nonce_race_on_redis() -> None:
    require_service("redis")
    from oauth1_app import CALLBACK, CLIENT_KEY, CLIENT_SECRET
    from oauthlib.oauth1 import Client

    with workers("oauth1", "race" + secrets.token_hex(4) + ":") as url:
        client = Client(
            CLIENT_KEY,
            CLIENT_SECRET,
            callback_uri=CALLBACK,
            nonce=secrets.token_hex(15),
            timestamp=str(int(time.time())),
        )
        uri, headers, _ = client.sign(url + "/oauth/request_token", http_method="POST")
        counts = race(
            "oauth1: 50 requests with one nonce",
            lambda: requests.post(uri, headers=headers, timeout=30).status_code,
        )
    assert counts.get(200) == 1 and set(counts) <= {200, 401}, counts
