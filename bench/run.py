"""Benchmarks: ours vs Authlib vs a bare Flask route, measured side by side in one run.

    python bench/run.py [--quick]
    python bench/run.py --server [--quick]

Writes bench/RESULTS.md. Implementations are interleaved run by run and every figure is
the median of the repetitions, so machine noise hits all of them alike. ``--server``
runs the real-server benchmark instead (gunicorn on PostgreSQL, loaded by wrk: see
bench/server.py), which writes its own block of RESULTS.md; each run keeps the other's.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import io
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from werkzeug.test import EnvironBuilder

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import apps  # noqa: E402
import jose_apps  # noqa: E402
import server_report  # noqa: E402

BASIC = "Basic " + base64.b64encode(f"{apps.CLIENT_ID}:{apps.CLIENT_SECRET}".encode()).decode()
DPOP_SCENARIO = "(h) protected route, DPoP-bound token with a fresh ES256 proof"
DPOP_BEARER_SCENARIO = "(h) same route and app, a plain Bearer token (comparison)"
JWT_SCENARIO = "(i) protected route, RS256 JWT access token (RFC 9068), verified locally"
OAUTH1_SCENARIO = "(e) OAuth 1 HMAC-SHA1 signed request"
#: the extra implementation of (e): oauthlib's own signature check alone behind a route
OAUTH1_FLOOR = "oauthlib floor"
#: what an implementation cannot do, written in its cells instead of figures
UNSUPPORTED = {(DPOP_SCENARIO, "Authlib"): "no DPoP support"}

#: a line of the table: driver, scenario, µs/request of each implementation
Row = tuple[str, str, dict[str, float]]


def environ_for(
    path: str, method: str = "GET", headers: dict[str, str] | None = None, data: str | None = None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "path": path,
        "method": method,
        "headers": headers or {},
        "base_url": "http://127.0.0.1",
    }
    if data is not None:
        kwargs.update(data=data, content_type="application/x-www-form-urlencoded")
    return EnvironBuilder(**kwargs).get_environ()


def wsgi_driver(
    app: Any, environ: dict[str, Any] | Callable[[], dict[str, Any]], expect: int
) -> Callable[[], None]:
    """Call the WSGI app directly with a pre-built environ: the same floor for everyone."""
    body = environ["wsgi.input"].read() if isinstance(environ, dict) else b""
    status_prefix = f"{expect} ".encode()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.encode().startswith(status_prefix):
            raise AssertionError(f"expected {expect}, got {status}")

    def call() -> None:
        env = dict(environ() if callable(environ) else environ)
        env["wsgi.input"] = io.BytesIO(body) if isinstance(environ, dict) else env["wsgi.input"]
        result = app(env, start_response)
        b"".join(result)
        if hasattr(result, "close"):
            result.close()

    return call


def client_driver(
    app: Any, path: str, method: str, headers: dict[str, str], data: str | None, expect: int
) -> Callable[[], None]:
    client = app.test_client()

    def call() -> None:
        resp = client.open(
            path,
            method=method,
            headers=headers,
            data=data,
            content_type="application/x-www-form-urlencoded" if data else None,
        )
        if resp.status_code != expect:
            raise AssertionError(f"expected {expect}, got {resp.status_code}")

    return call


def measure(call: Callable[[], None], iterations: int) -> float:
    """Microseconds per call."""
    call()
    start = time.perf_counter()
    for _ in range(iterations):
        call()
    return (time.perf_counter() - start) / iterations * 1e6


def run_set(
    calls: dict[str, Callable[[], None]], iterations: int, repetitions: int
) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repetitions):
        for name, call in calls.items():  # interleaved: every implementation each round
            samples[name].append(measure(call, iterations))
    return {name: statistics.median(values) for name, values in samples.items()}


def oauth1_environs(count: int) -> list[dict[str, Any]]:
    from oauthlib.oauth1 import Client

    key, secret, token, token_secret = apps.OAUTH1_CREDENTIALS
    out = []
    for _ in range(count):
        client = Client(key, secret, token, token_secret)
        _, headers, _ = client.sign("http://127.0.0.1/api/me")
        out.append(environ_for("/api/me", headers=headers))
    return out


def oauth1_rows(bare: Any, iterations: int, repetitions: int) -> list[Row]:
    """(e): ours and the oauthlib floor (``apps.oauthlib_oauth1_app``: oauthlib's own
    signature check alone behind a route), each with its own pool of freshly signed
    requests (a nonce is accepted once), next to the bare route."""
    count = iterations * (repetitions + 1) + 10
    calls = {"bare Flask route": wsgi_driver(bare, environ_for("/api/me"), 200)}
    for label, factory in (
        ("ours", apps.ours_oauth1_app),
        (OAUTH1_FLOOR, apps.oauthlib_oauth1_app),
    ):
        app = factory()
        valid, other = oauth1_environs(2)
        check_status(label, app, valid, 200)
        check_status(f"{label}, replayed nonce", app, valid, 401)
        signed = other["HTTP_AUTHORIZATION"]
        forged = signed.replace('oauth_signature="', 'oauth_signature="A')
        check_status(
            f"{label}, forged signature", app, {**other, "HTTP_AUTHORIZATION": forged}, 401
        )
        calls[label] = wsgi_driver(app, iter(oauth1_environs(count)).__next__, 200)
    return [("direct WSGI", OAUTH1_SCENARIO, run_set(calls, iterations, repetitions))]


def code_body(code: str) -> str:
    """The token request redeeming an authorization code (the client authenticates Basic)."""
    redirect_uri = quote(apps.OIDC_REDIRECT_URI, safe="")
    return f"grant_type=authorization_code&code={code}&redirect_uri={redirect_uri}"


def code_environs(add_code: Callable[[str], None], count: int) -> Callable[[], dict[str, Any]]:
    """Store ``count`` fresh codes in an app; return an environ maker that redeems the next
    one on each call. The environ is built once: a call only swaps in the next body (all
    bodies have one length), so per request it costs what a fixed environ costs."""
    bodies = []
    for _ in range(count):
        code = secrets.token_urlsafe(30)
        add_code(code)
        bodies.append(code_body(code).encode())
    template = environ_for("/oauth/token", "POST", {"Authorization": BASIC}, bodies[0].decode())
    if any(len(body) != int(template["CONTENT_LENGTH"]) for body in bodies):
        raise AssertionError("the code bodies must all have one length")
    pending = iter(bodies)

    def environ() -> dict[str, Any]:
        template["wsgi.input"] = io.BytesIO(next(pending))
        return template

    return environ


def header_environs(
    path: str, headers: dict[str, str], name: str, values: list[str]
) -> Callable[[], dict[str, Any]]:
    """An environ maker sending the next of ``values`` as the header ``name`` on each
    call. The environ is built once (as in code_environs): a call only swaps the header."""
    template = environ_for(path, headers={**headers, name: values[0]})
    key = "HTTP_" + name.upper().replace("-", "_")
    pending = iter(values)

    def environ() -> dict[str, Any]:
        template[key] = next(pending)
        return template

    return environ


def check_status(name: str, app: Any, environ: dict[str, Any], expect: int) -> None:
    """One request before timing, which must be answered ``expect``."""
    statuses: list[str] = []
    result = app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
    body = b"".join(result)
    if not statuses[0].startswith(f"{expect} "):
        raise AssertionError(f"{name}: expected {expect}, got {statuses[0]} {body[:200]!r}")


def dpop_rows(bare: Any, count: int, iterations: int, repetitions: int) -> list[Row]:
    """(h): our route with a DPoP-bound token and a fresh proof per request (``count``
    of them, made beforehand), and the same route and app with a plain Bearer token,
    next to Authlib's bearer route (Authlib has no DPoP at protected resources)."""
    key = jose_apps.dpop_key()
    ours = jose_apps.ours_dpop_app(key)
    dpop = {"Authorization": f"DPoP {jose_apps.DPOP_TOKEN}"}
    bearer = {"Authorization": f"Bearer {apps.VALID_TOKEN}"}
    spare = jose_apps.dpop_proofs(key, jose_apps.DPOP_TOKEN, 1)[0]
    check_status("ours DPoP", ours, environ_for("/api/me", headers={**dpop, "DPoP": spare}), 200)
    replayed = environ_for("/api/me", headers={**dpop, "DPoP": spare})
    check_status("ours DPoP, replayed proof", ours, replayed, 401)
    as_bearer = {"Authorization": f"Bearer {jose_apps.DPOP_TOKEN}"}
    check_status("ours DPoP token as Bearer", ours, environ_for("/api/me", headers=as_bearer), 401)
    check_status("ours Bearer", ours, environ_for("/api/me", headers=bearer), 200)
    proofs = jose_apps.dpop_proofs(key, jose_apps.DPOP_TOKEN, count)
    calls = {
        "bare Flask route": wsgi_driver(bare, replayed, 200),  # the same headers
        "ours": wsgi_driver(ours, header_environs("/api/me", dpop, "DPoP", proofs), 200),
        "ours Bearer": wsgi_driver(ours, environ_for("/api/me", headers=bearer), 200),
        "Authlib Bearer": wsgi_driver(
            apps.authlib_app(), environ_for("/api/me", headers=bearer), 200
        ),
    }
    result = run_set(calls, iterations, repetitions)
    bare_us = result["bare Flask route"]
    return [
        ("direct WSGI", DPOP_SCENARIO, {"bare Flask route": bare_us, "ours": result["ours"]}),
        (
            "direct WSGI",
            DPOP_BEARER_SCENARIO,
            {
                "bare Flask route": bare_us,
                "ours": result["ours Bearer"],
                "Authlib": result["Authlib Bearer"],
            },
        ),
    ]


def jwt_rows(bare: Any, private_pem: str, iterations: int, repetitions: int) -> list[Row]:
    """(i): one RS256 JWT access token, sent as Bearer to our route (verified locally:
    the tokengetter must never be asked) and to Authlib's RFC 9068 validator."""
    authlib, kid = jose_apps.authlib_jwt_app(private_pem)
    ours, lookups = jose_apps.ours_jwt_app(private_pem)
    token = jose_apps.jwt_access_token(private_pem, kid)
    valid = environ_for("/api/me", headers={"Authorization": f"Bearer {token}"})
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")  # its signature
    invalid = environ_for("/api/me", headers={"Authorization": f"Bearer {forged}"})
    expired = jose_apps.jwt_access_token(private_pem, kid, lifetime=-3600)
    stale = environ_for("/api/me", headers={"Authorization": f"Bearer {expired}"})
    for name, app in (("ours JWT", ours), ("Authlib JWT", authlib)):
        check_status(name, app, valid, 200)
        check_status(f"{name}, forged signature", app, invalid, 401)
        check_status(f"{name}, expired", app, stale, 401)
    if lookups:
        raise AssertionError(f"ours JWT: the tokengetter was asked for {len(lookups)} token(s)")
    calls = {
        "bare Flask route": wsgi_driver(bare, valid, 200),
        "ours": wsgi_driver(ours, valid, 200),
        "Authlib": wsgi_driver(authlib, valid, 200),
    }
    result = run_set(calls, iterations, repetitions)
    if lookups:
        raise AssertionError("ours JWT: the tokengetter was asked while timing")
    return [("direct WSGI", JWT_SCENARIO, result)]


def check_id_token(name: str, app: Any, environ: dict[str, Any], public_key: Any) -> None:
    """Redeem one code before timing: the answer must hold an access token, a refresh
    token and an ID token that verifies against the public key (RS256, iss, aud) with the
    code's nonce and auth_time and the access token's at_hash. A misconfigured app fails
    here rather than being timed."""
    import jwt

    statuses: list[str] = []
    result = app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
    answer = json.loads(b"".join(result))
    if not statuses[0].startswith("200 ") or not answer.get("refresh_token"):
        raise AssertionError(f"{name}: {statuses[0]} {answer}")
    claims = jwt.decode(
        answer["id_token"],
        public_key,
        algorithms=["RS256"],
        audience=apps.CLIENT_ID,
        issuer=apps.OIDC_ISSUER,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
    )
    digest = hashlib.sha256(answer["access_token"].encode()).digest()[:16]
    at_hash = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    expected = {"nonce": apps.OIDC_NONCE, "auth_time": apps.OIDC_AUTH_TIME, "at_hash": at_hash}
    if {claim: claims.get(claim) for claim in expected} != expected or claims["sub"] != "1":
        raise AssertionError(f"{name}: ID token claims {claims}")


def import_time() -> tuple[float, float, list[str]]:
    """Median ms to import the client in a fresh interpreter, and of what it needs anyway
    (Flask, requests, oauthlib's OAuth 2 client), and the heavy modules it drags in."""
    heavy = (
        "sqlalchemy",
        "redis",
        "pymemcache",
        "cachelib",
        "requests_oauthlib",
        "flask_oauthlib_provider_oauth1",
        "flask_oauthlib_provider_oauth2",
    )
    probe = (
        "import sys, time; t = time.perf_counter(); import {mod}; "
        "print((time.perf_counter() - t) * 1000); "
        f"print(','.join(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    ours, floor, leaked = [], [], ""
    for _ in range(7):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(mod="flask_oauthlib_client")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        ours.append(float(out[0]))
        leaked = out[1] if len(out) > 1 else ""
        base = subprocess.run(
            [sys.executable, "-c", probe.format(mod="flask, requests, oauthlib.oauth2")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        floor.append(float(base[0]))
    return statistics.median(ours), statistics.median(floor), [m for m in leaked.split(",") if m]


def versions() -> str:
    names = [
        "flask",
        "werkzeug",
        "oauthlib",
        "requests-oauthlib",
        "authlib",
        "sqlalchemy",
        "flask-oauthlib",
        "flask-oauthlib-provider-oauth2",
        "flask-oauthlib-provider-oauth1",
    ]
    return ", ".join(f"{n} {importlib.metadata.version(n)}" for n in names)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--server`` and its options (bench/server.py), without importing it: SQLAlchemy
    and the server apps load only for a server run."""
    group = parser.add_argument_group("--server: gunicorn on PostgreSQL, loaded by wrk")
    group.add_argument("--server", action="store_true", help="run the real-server benchmark")
    group.add_argument("--duration", type=int, help="seconds per timed run (10; --quick 3)")
    group.add_argument("--warmup", type=int, help="seconds of warm-up per cell (2; --quick 1)")
    group.add_argument("--connections", type=int, default=8, help="wrk -c (default 8)")
    group.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default 2)")
    group.add_argument(
        "--configs",
        default="sync-1,sync-2,gthread4-1,gthread4-2",
        help="gunicorn configs, comma-separated (default: all, %(default)s)",
    )
    group.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and the PNG go")
    group.add_argument(
        "--redis",
        default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis of the token-cache variant of ours ($TEST_REDIS_URL, else %(default)s)",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    default_postgres = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", default_postgres))
    add_server_arguments(parser)
    args = parser.parse_args()
    if args.server:
        import server

        raise SystemExit(server.main(args))
    iterations, repetitions = (200, 5) if args.quick else (2000, 7)
    bare, ours, authlib = apps.bare_app(), apps.ours_app(), apps.authlib_app()
    bearer = {"Authorization": f"Bearer {apps.VALID_TOKEN}"}
    wrong = {"Authorization": "Bearer not-a-valid-token"}
    token_body = "grant_type=client_credentials&scope=email"
    rows: list[Row] = []

    for driver in ("direct WSGI", "Flask test client"):

        def make(
            app: Any,
            path: str,
            method: str,
            headers: dict[str, str],
            data: str | None,
            expect: int,
            driver: str = driver,
        ) -> Callable[[], None]:
            if driver == "direct WSGI":
                return wsgi_driver(app, environ_for(path, method, headers, data), expect)
            return client_driver(app, path, method, headers, data, expect)

        scenarios = {
            "(a) GET bare route": {"bare Flask route": make(bare, "/api/me", "GET", {}, None, 200)},
            "(b) protected route, valid token": {
                "bare Flask route": make(bare, "/api/me", "GET", bearer, None, 200),
                "ours": make(ours, "/api/me", "GET", bearer, None, 200),
                "Authlib": make(authlib, "/api/me", "GET", bearer, None, 200),
            },
            "(c) protected route, invalid token (401)": {
                "bare Flask route": make(bare, "/api/me", "GET", wrong, None, 200),
                "ours": make(ours, "/api/me", "GET", wrong, None, 401),
                "Authlib": make(authlib, "/api/me", "GET", wrong, None, 401),
            },
            "(d) token endpoint, client_credentials, Basic": {
                "bare Flask route": make(
                    bare, "/oauth/token", "POST", {"Authorization": BASIC}, token_body, 200
                ),
                "ours": make(
                    ours, "/oauth/token", "POST", {"Authorization": BASIC}, token_body, 200
                ),
                "Authlib": make(
                    authlib, "/oauth/token", "POST", {"Authorization": BASIC}, token_body, 200
                ),
            },
        }
        for name, calls in scenarios.items():
            rows.append((driver, name, run_set(calls, iterations, repetitions)))

    # (e) OAuth 1 HMAC-SHA1 signed request: every call a fresh nonce, signed beforehand
    rows += oauth1_rows(bare, iterations, repetitions)

    # (g) token endpoint redeeming a code whose scope holds openid: an RS256 ID token each
    # time, every call a fresh code, stored beforehand in each app's dict
    private_pem, public_key = apps.oidc_key()
    codes = iterations * (repetitions + 1) + 10
    oidc_calls = {
        "bare Flask route": wsgi_driver(
            bare,
            environ_for("/oauth/token", "POST", {"Authorization": BASIC}, code_body("x" * 40)),
            200,
        )
    }
    for label, factory in (("ours", apps.ours_oidc_app), ("Authlib", apps.authlib_oidc_app)):
        app, add_code = factory(private_pem)
        environ = code_environs(add_code, codes)
        check_id_token(label, app, environ(), public_key)
        oidc_calls[label] = wsgi_driver(app, environ, 200)
    rows.append(
        (
            "direct WSGI",
            "(g) token endpoint, authorization_code with openid (RS256 ID token)",
            run_set(oidc_calls, iterations, repetitions),
        )
    )

    # (h) DPoP: every call a fresh proof (each jti is accepted once), made beforehand
    rows += dpop_rows(bare, codes, iterations, repetitions)
    # (i) an RS256 JWT access token, verified without storage, with (g)'s key
    rows += jwt_rows(bare, private_pem, iterations, repetitions)

    # (f) our token endpoint on the SQLAlchemy binding
    sqla_rows: dict[str, float] = {}
    basic = "Basic " + base64.b64encode(b"confidential:s3cret").decode()
    for label, url in (
        ("SQLite (file)", f"sqlite:///{HERE / 'bench.sqlite'}"),
        ("PostgreSQL", args.postgres),
    ):
        try:
            app, cleanup = apps.ours_sqla_app(url)
        except Exception as exc:  # noqa: BLE001 - report and go on without that database
            sqla_rows[label] = float("nan")
            print(f"(f) {label} skipped: {type(exc).__name__}", file=sys.stderr)
            continue
        call = wsgi_driver(
            app, environ_for("/oauth/token", "POST", {"Authorization": basic}, token_body), 200
        )
        sqla_rows[label] = statistics.median(
            measure(call, max(iterations // 10, 50)) for _ in range(repetitions)
        )
        cleanup()
    (HERE / "bench.sqlite").unlink(missing_ok=True)

    write_results(rows, sqla_rows, import_time(), iterations, repetitions)
    print((HERE / "RESULTS.md").read_text())


def cells(result: dict[str, float], impl: str, missing: str = "—") -> str:
    """µs, µs above the bare route, and the ratio to it, for one implementation
    (``missing`` and dashes without its figure)."""
    bare = result["bare Flask route"]
    if impl not in result:
        return f"{missing} | — | —"
    value = result[impl]
    return f"{value:.1f} | {value - bare:+.1f} | {value / bare:.2f}x"


def oauth1_floor_note(rows: list[Row]) -> list[str]:
    """The sentence under the table on (e): its figures next to the oauthlib floor."""
    for _, name, result in rows:
        if name == OAUTH1_SCENARIO and OAUTH1_FLOOR in result:
            bare, floor, ours = (result[k] for k in ("bare Flask route", OAUTH1_FLOOR, "ours"))
            return [
                "",
                f"(e): every request freshly signed beforehand (HMAC-SHA1, its own nonce), in"
                f" the `Authorization` header. The floor is oauthlib's own check alone behind"
                f" a route: its `ResourceEndpoint` with a minimal in-memory `RequestValidator`"
                f" (the same credentials, realms and nonce set). Bare route {bare:.1f} µs,"
                f" oauthlib floor {floor:.1f} µs, ours {ours:.1f} µs:"
                f" ours/floor = {ours / floor:.2f}x (the floor is {floor / bare:.2f}x the bare"
                f" route). Authlib's OAuth 1 server is not compared.",
            ]
    return []


def write_results(
    rows: list[Row],
    sqla: dict[str, float],
    imports: tuple[float, float, list[str]],
    iterations: int,
    repetitions: int,
) -> None:
    import_ms, floor_ms, leaked = imports
    heavy = ", ".join(leaked) or (
        "no provider, SQLAlchemy, Redis, pymemcache, cachelib or requests-oauthlib module"
    )
    machine = f"{platform.python_implementation()} {platform.python_version()}"
    lines = [
        "# Benchmark results",
        "",
        f"One run of `python bench/run.py` on {machine}, {platform.machine()},"
        f" {os.cpu_count()} cores. {versions()}.",
        f"Each figure: median of {repetitions} repetitions of {iterations} requests,"
        " implementations interleaved. µs/request; *added* = above the bare route of the same"
        " scenario; ratio = to the bare route.",
        "",
        "| driver | scenario | bare µs | ours µs | ours added | ours ratio"
        " | Authlib µs | Authlib added | Authlib ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for driver, name, result in rows:
        bare = result["bare Flask route"]
        ours = cells(result, "ours", UNSUPPORTED.get((name, "ours"), "—"))
        authlib = cells(result, "Authlib", UNSUPPORTED.get((name, "Authlib"), "—"))
        lines.append(f"| {driver} | {name} | {bare:.1f} | {ours} | {authlib} |")
    lines += oauth1_floor_note(rows)
    lines += [
        "",
        "(g): every request redeems a fresh code stored beforehand (scope `openid email`, a"
        " nonce); both answer with an access token, a refresh token and an ID token (nonce,"
        " at_hash, auth_time) signed RS256 with one 2048-bit key, checked with PyJWT before"
        " timing. Authlib: `AuthorizationCodeGrant` with the `OpenIDCode` extension.",
        "",
        "(h): a token bound to a P-256 key in the dict storage, sent as `Authorization: DPoP`"
        " with a fresh ES256 proof each request (`htm`, `htu`, `iat`, `ath`, its own `jti`;"
        " all made beforehand, so `OAUTH2_PROVIDER_DPOP_MAX_AGE` is 300 s), which ours checks"
        " and records in its in-memory replay store."
        " The second (h) row sends a plain Bearer token to the same app (like (b)); its"
        " Authlib figure is Authlib's bearer route of (b). Authlib has no DPoP support at"
        " protected resources, so it has no figure for the first row. Before timing: a valid"
        " request answers 200, a replayed proof and the bound token sent as Bearer 401.",
        "",
        "(i): one JWT access token (`typ: at+jwt`, RS256, 2048-bit key, scope `email`) sent"
        ' as Bearer. Ours: `OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT = "jwt"` with the key in'
        " `OAUTH2_PROVIDER_OIDC_KEYS`, verified locally (the tokengetter is never asked),"
        " user from `jwt_usergetter`. Authlib: a `ResourceProtector` with"
        " `authlib.oauth2.rfc9068.JWTBearerTokenValidator`, key set imported once. Before"
        " timing: the token answers 200, a forged signature and an expired token 401.",
    ]
    lines += ["", "(f) our token endpoint (client_credentials) on `bind_sqlalchemy`:", ""]
    lines += [f"- {label}: {value:.0f} µs/request" for label, value in sqla.items()]
    lines += [
        "",
        f"Client-only import: `import flask_oauthlib_client` takes {import_ms:.0f} ms (median of"
        f" 7 fresh interpreters); `import flask, requests, oauthlib.oauth2`, which it cannot"
        f" avoid, takes {floor_ms:.0f} ms here, so the client's own share is"
        f" {import_ms - floor_ms:.0f} ms. It imports {heavy}.",
        "",
    ]
    document = "\n".join(lines)
    (HERE / "RESULTS.md").write_text(server_report.keep_server_block(HERE / "RESULTS.md", document))


if __name__ == "__main__":
    main()
