"""The real-server benchmark: gunicorn serving each implementation on PostgreSQL, loaded
by wrk. Run by hand, never as a test::

    python bench/run.py --server [--quick] [--configs sync-1,gthread4-2] [--out DIR]

For each gunicorn config (sync and gthread workers, 1 and 2 of them) three servers run
side by side with the same settings (:mod:`server_apps`: the bare route and the
hand-written floor, ours, Authlib), and each scenario is run on each implementation in
turn: one checked request, a warm-up, then the timed run. Single-use credentials (codes,
refresh tokens) are stored beforehand, one per request, and handed out by
``bench/wrk/oauth.lua``, which also counts every response of an unexpected status: such a
cell is reported as an error, never as a figure. Writes its block of bench/RESULTS.md and
bench/server-latency.png (:mod:`server_report`).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import server_apps
import server_report
from server_report import Cell, ServerConfig
from sqlalchemy import Engine, create_engine, text

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk" / "oauth.lua"
BASIC = (
    "Basic "
    + base64.b64encode(f"{server_apps.CLIENT_ID}:{server_apps.CLIENT_SECRET}".encode()).decode()
)
#: the single-use credentials a warm-up starts with, per second of it (generous: a pool
#: that runs out only makes the warm-up's last requests fail, which is then allowed)
WARM_POOL_RATE = 3000

CONFIGS = [
    ServerConfig("sync-1", "sync", 1, 1),
    ServerConfig("sync-2", "sync", 2, 1),
    ServerConfig("gthread4-1", "gthread", 1, 4),
    ServerConfig("gthread4-2", "gthread", 2, 4),
]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    method: str
    path: str
    impls: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    #: "code" or "refresh": a fresh credential per request, the body made by ``pool_body``
    pool: str | None = None
    #: keys the JSON answer of the checked request must hold
    keys: tuple[str, ...] = ("access_token",)


def code_body(code: str) -> str:
    redirect = quote(server_apps.REDIRECT_URI, safe="")
    return f"grant_type=authorization_code&code={code}&redirect_uri={redirect}"


def refresh_body(refresh_token: str) -> str:
    return f"grant_type=refresh_token&refresh_token={refresh_token}"


SCENARIOS = [
    Scenario(
        "bare",
        "(0) bare route: no OAuth, no database",
        "GET",
        "/api/me",
        ("bare",),
        keys=("username",),
    ),
    Scenario(
        "resource",
        "(1) protected resource, Bearer token looked up in the database",
        "GET",
        "/api/me",
        ("ours", "ours+cache", "Authlib"),
        headers={"Authorization": f"Bearer {server_apps.RESOURCE_TOKEN}"},
        keys=("username",),
    ),
    Scenario(
        "client_credentials",
        "(2) token endpoint, client_credentials (client_secret_basic)",
        "POST",
        "/oauth/token",
        ("floor", "ours", "Authlib"),
        headers={"Authorization": BASIC},
        body=f"grant_type=client_credentials&scope={server_apps.SCOPE}",
    ),
    Scenario(
        "code",
        "(3) authorization-code exchange, a fresh code each request",
        "POST",
        "/oauth/token",
        ("ours", "Authlib"),
        headers={"Authorization": BASIC},
        pool="code",
        keys=("access_token", "refresh_token"),
    ),
    Scenario(
        "refresh",
        "(4) refresh with rotation, a fresh refresh token each request",
        "POST",
        "/oauth/token",
        ("ours", "Authlib"),
        headers={"Authorization": BASIC},
        pool="refresh",
        keys=("access_token", "refresh_token"),
    ),
]

#: which server answers for an implementation
SERVER_OF = {
    "bare": "reference",
    "floor": "reference",
    "ours": "ours",
    "ours+cache": "ours+cache",
    "Authlib": "Authlib",
}
#: the app factory each server runs
FACTORIES = {
    "reference": "server_apps:reference_app()",
    "ours": "server_apps:ours_app()",
    "ours+cache": "server_cached:ours_cached_app()",
    "Authlib": "server_apps:authlib_app()",
}


class CellError(Exception):
    """A cell whose responses were not what they must be: reported, never timed."""


@dataclass
class Settings:
    duration: int
    warmup: int
    connections: int
    wrk_threads: int
    database_url: str
    redis_url: str
    quick: bool


# -- gunicorn ---------------------------------------------------------------------------


class Gunicorn:
    """One gunicorn serving ``server_apps.<factory>()`` on a free port of 127.0.0.1, in a
    process group of its own (the master and its workers), stopped by :meth:`stop`."""

    def __init__(self, name: str, config: ServerConfig, env: dict[str, str], logdir: Path):
        self.name, self.config = name, config
        self.log = logdir / f"gunicorn-{config.key}-{name}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--pythonpath",
            str(HERE),
            "--bind",
            "127.0.0.1:0",
            "--workers",
            str(config.workers),
            "--worker-class",
            config.worker_class,
            "--threads",
            str(config.threads),
            "--log-level",
            "info",
            "--error-logfile",
            str(self.log),
            "--graceful-timeout",
            "5",
            FACTORIES[name],
        ]
        self.proc = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.port = 0

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the master listens, every worker booted and ``/health`` answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log_text()[-3000:]}")
            log = self.log_text()
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
            if found and log.count("Booting worker") >= self.config.workers:
                self.port = int(found.group(1))
                try:
                    with urllib.request.urlopen(self.url("/health"), timeout=2) as answer:  # noqa: S310
                        if answer.status == 200:
                            return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.name} did not answer:\n{self.log_text()[-3000:]}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the master stops its workers gracefully
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever of this group is left, master or worker
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


@contextmanager
def servers(
    config: ServerConfig, settings: Settings, schema: str, logdir: Path
) -> Iterator[dict[str, Gunicorn]]:
    env = dict(
        os.environ,
        BENCH_DATABASE_URL=settings.database_url,
        BENCH_SCHEMA=schema,
        BENCH_POOL_SIZE=str(config.threads),
        BENCH_REDIS_URL=settings.redis_url,
    )
    with ExitStack() as stack:
        running: dict[str, Gunicorn] = {}
        for name in FACTORIES:
            running[name] = Gunicorn(name, config, env, logdir)
            stack.callback(running[name].stop)
        for server in running.values():
            server.wait_ready()
        yield running


# -- one cell: check, warm up, run -------------------------------------------------------


def check_once(scenario: Scenario, url: str, body: str | None) -> None:
    """One request before the load: it must answer 200 with the expected JSON keys."""
    headers = dict(scenario.headers)
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
        url, data=body.encode() if body else None, headers=headers, method=scenario.method
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:  # noqa: S310
            status, payload = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    if status != 200:
        raise CellError(f"checked request answered {status}: {payload[:300]!r}")
    answer_json = json.loads(payload)
    missing = [key for key in scenario.keys if key not in answer_json]
    if missing:
        raise CellError(f"checked request's answer lacks {missing}: {answer_json}")


def write_pool(bodies: list[str], path: Path, threads: int) -> None:
    """The bodies split over wrk's threads: ``path.<n>`` for thread n, one a line."""
    for n in range(threads):
        Path(f"{path}.{n}").write_text("".join(body + "\n" for body in bodies[n::threads]))


def run_wrk(
    scenario: Scenario, url: str, settings: Settings, seconds: int, pool: Path | None
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{settings.wrk_threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
    ]
    for name, value in scenario.headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", "200", scenario.method]
    if pool is not None:
        command += ["pool", str(pool)]
    else:
        command += ["fixed"] + ([scenario.body] if scenario.body else [])
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    found = re.search(r"^WRK_JSON (.*)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise CellError(f"wrk failed ({done.returncode}): {done.stdout[-1500:]}{done.stderr}")
    stats: dict[str, Any] = json.loads(found.group(1))
    stats["wrk_output"] = done.stdout
    return stats


def socket_errors(stats: dict[str, Any]) -> int:
    return sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))


def run_cell(
    scenario: Scenario,
    impl: str,
    server: Gunicorn,
    engine: Engine,
    settings: Settings,
    workdir: Path,
    rate_hints: dict[tuple[str, str], float],
) -> dict[str, Any]:
    """The timed run of one implementation in one scenario; raises :class:`CellError`."""
    url = server.url(scenario.path)
    mint: Callable[[int], list[str]] | None = None
    if scenario.pool is not None:
        kind = {"code": server_apps.mint_codes, "refresh": server_apps.mint_refresh_tokens}
        make_body = code_body if scenario.pool == "code" else refresh_body
        minter = kind[scenario.pool]

        def mint(count: int) -> list[str]:
            return [make_body(value) for value in minter(engine, impl, count)]

    check_once(scenario, url, mint(1)[0] if mint else scenario.body)
    pool = workdir / f"pool-{scenario.key}-{impl}" if mint else None

    # the most this cell served so far (under another config), to size its pools
    hint = rate_hints.get((scenario.key, impl), 0.0)
    if mint and pool:
        write_pool(
            mint(int(max(hint, WARM_POOL_RATE) * settings.warmup)), pool, settings.wrk_threads
        )
    warm = run_wrk(scenario, url, settings, settings.warmup, pool)
    if warm["unexpected"] > warm["exhausted"] or socket_errors(warm):
        raise CellError(f"warm-up: {summary(warm)}")
    rate = max(warm["requests"] / (warm["duration_us"] / 1e6), hint)

    if mint and pool:
        write_pool(mint(int(rate * settings.duration * 2) + 1000), pool, settings.wrk_threads)
    stats = run_wrk(scenario, url, settings, settings.duration, pool)
    if stats["exhausted"]:
        raise CellError(f"the pool of single-use credentials ran out: {summary(stats)}")
    if stats["unexpected"] or stats["non_2xx_3xx"] or socket_errors(stats) or not stats["requests"]:
        raise CellError(f"responses not all 200: {summary(stats)}")
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    rate_hints[(scenario.key, impl)] = max(stats["rps"], hint)
    return stats


def summary(stats: dict[str, Any]) -> str:
    keys = ["requests", "unexpected", "exhausted", "non_2xx_3xx"]
    keys += ["connect_errors", "read_errors", "write_errors", "timeouts"]
    return ", ".join(f"{key} {stats[key]}" for key in keys)


# -- the run ----------------------------------------------------------------------------


def interrupted(signum: int, frame: Any) -> None:
    """A TERM ends the run like ^C: the servers are stopped and the schema dropped."""
    raise KeyboardInterrupt


def main(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    chosen = args.configs.split(",")
    unknown = set(chosen) - {c.key for c in CONFIGS}
    if unknown:
        raise SystemExit(f"unknown --configs {sorted(unknown)}")
    settings = Settings(
        duration=args.duration or (3 if args.quick else 10),
        warmup=args.warmup or (1 if args.quick else 2),
        connections=args.connections,
        wrk_threads=args.wrk_threads,
        database_url=args.postgres,
        redis_url=args.redis,
        quick=args.quick,
    )
    signal.signal(signal.SIGTERM, interrupted)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    schema = "bench_server_" + secrets.token_hex(4)
    admin = create_engine(settings.database_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        postgres = conn.execute(text("SHOW server_version")).scalar_one()
    engine = server_apps.make_engine(settings.database_url, schema, 2)
    workdir = Path(tempfile.mkdtemp(prefix="bench-server-"))
    cells: list[Cell] = []
    try:
        server_apps.create_tables(engine)
        server_apps.seed(engine)
        rate_hints: dict[tuple[str, str], float] = {}
        for config in (c for c in CONFIGS if c.key in chosen):
            server_apps.reset(engine)
            with servers(config, settings, schema, workdir) as running:
                for scenario in SCENARIOS:
                    for impl in scenario.impls:
                        label = f"{config.key} {scenario.key} {impl}"
                        print(f"{label} ...", end=" ", flush=True)
                        server = running[SERVER_OF[impl]]
                        try:
                            stats = run_cell(
                                scenario, impl, server, engine, settings, workdir, rate_hints
                            )
                        except CellError as exc:
                            print(f"ERROR {exc}", flush=True)
                            cells.append(Cell(config.key, scenario.key, impl, error=str(exc)))
                            continue
                        p = stats["percentiles_us"]
                        print(
                            f"{stats['rps']:.0f} req/s, p50 {p['50'] / 1000:.2f} ms,"
                            f" p99 {p['99'] / 1000:.2f} ms",
                            flush=True,
                        )
                        cells.append(Cell(config.key, scenario.key, impl, stats=stats))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    meta = {
        "postgres": postgres,
        "redis": redis_version(settings.redis_url),
        "wrk": wrk_version(),
        "elapsed_s": elapsed,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "duration": settings.duration,
        "warmup": settings.warmup,
        "connections": settings.connections,
        "wrk_threads": settings.wrk_threads,
        "quick": settings.quick,
    }
    configs = [c for c in CONFIGS if c.key in chosen]
    text_block = server_report.write(cells, configs, SCENARIOS, meta, args.out)
    print(text_block)
    print(f"--server took {elapsed:.0f} s")
    errors = [cell for cell in cells if cell.error]
    for cell in errors:
        print(f"ERROR {cell.config} {cell.scenario} {cell.impl}: {cell.error}", file=sys.stderr)
    return 1 if errors else 0


def redis_version(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return f"Redis {client.info('server')['redis_version']}"
    finally:
        client.close()


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return found.group(1) if found else "?"
