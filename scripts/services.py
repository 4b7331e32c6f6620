#!/usr/bin/env python3
"""Run a command with the services the tests talk to, then stop them again.

    python3 scripts/services.py [-- COMMAND ...]

For PostgreSQL, Redis and memcached, in that order of preference:

1. the instance named by TEST_POSTGRES_URL, TEST_REDIS_URL or TEST_MEMCACHED_SERVER when
   that variable is set and something answers there;
2. a throwaway instance on a free port of 127.0.0.1 with its files in a temporary
   directory (a developer's own databases are never touched), when the binaries are
   installed (Debian packages postgresql, redis-server, memcached);
3. the default address (127.0.0.1:5432, :6379, :11211) when something answers there.

It exports the three variables (flask_oauthlib_core.testing reads them) and runs COMMAND; without
one it prints them as ``export`` lines and waits for Ctrl-C. At the end, also on failure,
Ctrl-C or SIGTERM, it stops the throwaway instances and deletes their files. A service it
finds nowhere is left out: its tests skip, or fail with CI=true. Standard library only,
for the system python3.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

DEFAULTS = {
    "TEST_POSTGRES_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "TEST_REDIS_URL": "redis://127.0.0.1:6379/0",
    "TEST_MEMCACHED_SERVER": "127.0.0.1:11211",
}
HOST = "127.0.0.1"


def say(message: str) -> None:
    print(f"services: {message}", file=sys.stderr, flush=True)


def address(value: str) -> tuple[str, int]:
    """host and port of a URL (``scheme://user@host:port/db``) or of ``host:port``."""
    parts = urlsplit(value if "://" in value else "//" + value)
    return parts.hostname or HOST, parts.port or 0


def exchange(host: str, port: int, send: bytes) -> bytes:
    """Send ``send`` and return the first bytes of the answer (b"" when none)."""
    try:
        with socket.create_connection((host, port), 1) as sock:
            sock.settimeout(1)
            sock.sendall(send)
            return sock.recv(64)
    except OSError:
        return b""


# what each service answers to a harmless request: PostgreSQL's SSLRequest gets S or N
PROBES: dict[str, Callable[[str, int], bool]] = {
    "TEST_POSTGRES_URL": lambda h, p: (
        exchange(h, p, b"\0\0\0\x08\x04\xd2\x16\x2f")[:1] in (b"S", b"N")
    ),
    "TEST_REDIS_URL": lambda h, p: exchange(h, p, b"PING\r\n").startswith(b"+PONG"),
    "TEST_MEMCACHED_SERVER": lambda h, p: exchange(h, p, b"version\r\n").startswith(b"VERSION"),
}


def answers(var: str, value: str) -> bool:
    return PROBES[var](*address(value))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Throwaway:
    """The temporary directory and the processes of the throwaway instances.

    As root, every service runs as ``nobody`` (PostgreSQL refuses to run as root) and
    the directory belongs to that user."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.dir = tempfile.mkdtemp(prefix="test-services-")
        stack.callback(shutil.rmtree, self.dir, ignore_errors=True)
        self.stack = stack
        self.env = dict(os.environ, HOME=self.dir)
        self.uid: int | None = None
        self.gid: int | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            os.chown(self.dir, self.uid, self.gid)

    def log(self, name: str) -> str:
        return os.path.join(self.dir, name + ".log")

    def fail(self, what: str, log: str) -> RuntimeError:
        """An error that carries the end of the log (the directory is deleted at the end)."""
        with open(self.log(log), errors="replace") as text:
            return RuntimeError(f"{what}; the end of its log:\n{text.read()[-2000:]}")

    def wait_until(
        self, ready: Callable[[], bool], process: subprocess.Popen[bytes], log: str
    ) -> None:
        """Poll ``ready`` for up to 30 s; fail early when ``process`` died."""
        deadline = time.monotonic() + 30
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise self.fail("it did not start", log)
            time.sleep(0.1)

    def run(self, argv: list[str], log: str) -> bool:
        """Run a short command as the service user; True when it succeeded."""
        with open(self.log(log), "ab") as out:
            done = subprocess.run(argv, stdout=out, stderr=out, check=False, **self._user())
        return done.returncode == 0

    def spawn(self, argv: list[str], log: str, stop: int) -> subprocess.Popen[bytes]:
        """Start a service in its own session (Ctrl-C does not reach it); it is sent
        ``stop`` at the end."""
        with open(self.log(log), "ab") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=out, start_new_session=True, **self._user()
            )
        self.stack.callback(self._stop, process, stop)
        return process

    def _user(self) -> dict[str, Any]:
        """Where and as whom service processes run (None: as we do)."""
        groups: list[int] | None = None if self.uid is None else []
        return dict(cwd=self.dir, env=self.env, user=self.uid, group=self.gid, extra_groups=groups)

    @staticmethod
    def _stop(process: subprocess.Popen[bytes], stop: int) -> None:
        if process.poll() is None:
            process.send_signal(stop)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def postgres_bindir() -> str | None:
    """Where initdb, postgres, pg_isready and createdb are: next to the ``initdb`` on PATH,
    or in Debian's /usr/lib/postgresql/<newest version>/bin (not on PATH)."""
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def start_postgres(tmp: Throwaway) -> str | None:
    bindir = postgres_bindir()
    if bindir is None:
        return None
    initdb, postgres, isready, createdb = (
        os.path.join(bindir, name) for name in ("initdb", "postgres", "pg_isready", "createdb")
    )
    port, data, log = free_port(), os.path.join(tmp.dir, "pg"), "postgres"
    if not tmp.run([initdb, "-A", "trust", "-U", "postgres", "--no-sync", "-D", data], log):
        raise tmp.fail("initdb failed", log)
    # throwaway data: no fsync; TCP on 127.0.0.1 only, the socket in the temporary directory
    server = tmp.spawn(
        [postgres, "-D", data, "-p", str(port), "-h", HOST, "-k", tmp.dir]
        + ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
        log,
        signal.SIGINT,  # fast shutdown
    )
    probe = [isready, "-q", "-h", HOST, "-p", str(port)]
    tmp.wait_until(lambda: tmp.run(probe, log), server, log)
    if not tmp.run([createdb, "-h", HOST, "-p", str(port), "-U", "postgres", "test"], log):
        raise tmp.fail("createdb failed", log)
    return f"postgresql+psycopg://postgres@{HOST}:{port}/test"


def start_redis(tmp: Throwaway) -> str | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = free_port()
    server = tmp.spawn(
        [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        + ["--daemonize", "no", "--dir", tmp.dir],
        "redis",
        signal.SIGTERM,
    )
    url = f"redis://{HOST}:{port}/0"
    tmp.wait_until(lambda: answers("TEST_REDIS_URL", url), server, "redis")
    return url


def start_memcached(tmp: Throwaway) -> str | None:
    binary = shutil.which("memcached")
    if binary is None:
        return None
    port = free_port()
    server = tmp.spawn(
        [binary, "-p", str(port), "-l", HOST, "-U", "0", "-m", "64"], "memcached", signal.SIGTERM
    )
    url = f"{HOST}:{port}"
    tmp.wait_until(lambda: answers("TEST_MEMCACHED_SERVER", url), server, "memcached")
    return url


# variable -> (service, Debian package, how to start a throwaway one)
SERVICES: dict[str, tuple[str, str, Callable[[Throwaway], str | None]]] = {
    "TEST_POSTGRES_URL": ("PostgreSQL", "postgresql", start_postgres),
    "TEST_REDIS_URL": ("Redis", "redis-server", start_redis),
    "TEST_MEMCACHED_SERVER": ("memcached", "memcached", start_memcached),
}


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """Find or start every service; yield the variables to export; stop them at the end."""
    with contextlib.ExitStack() as stack:
        tmp = Throwaway(stack)
        found: dict[str, str] = {}
        for var, (name, package, start) in SERVICES.items():
            given = os.environ.get(var)
            if given and answers(var, given):
                say(f"{name}: using {var}={given}")
                found[var] = given
                continue
            if given:
                say(f"{name}: nothing answers at {var}={given}; starting a throwaway one")
            try:
                url = start(tmp)
            except RuntimeError as exc:
                raise RuntimeError(f"{name}: {exc}") from None
            if url is None:
                say(f"{name}: not installed (Debian package: {package})")
                if not answers(var, DEFAULTS[var]):
                    say(f"{name}: not running either; its tests skip (and fail with CI=true)")
                    continue
                url = DEFAULTS[var]
            say(f"{name}: {var}={url}")
            found[var] = url
        try:
            yield found
        finally:
            # a second Ctrl-C must not leave half-stopped services behind
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            say("stopping the throwaway services")


STOPPED_BY: list[int] = []


def interrupted(signum: int, frame: FrameType | None) -> None:
    STOPPED_BY.append(signum)
    raise KeyboardInterrupt  # unwinds through the clean-up, as Ctrl-C does


def run(command: list[str], env: dict[str, str]) -> int:
    child = subprocess.Popen(command, env=env)
    try:
        code = child.wait()
        return 128 - code if code < 0 else code  # killed by a signal: as a shell reports it
    except KeyboardInterrupt:
        # Ctrl-C reached the command as well (same process group); SIGTERM/SIGHUP did not
        if STOPPED_BY:
            child.send_signal(STOPPED_BY[-1])
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    try:
        with services() as found:
            if command:
                # TEST_SERVICES_UP tells scripts/test.sh it runs inside this wrapper already
                return run(command, dict(os.environ, **found, TEST_SERVICES_UP="1"))
            for var, value in found.items():
                print(f"export {var}={shlex.quote(value)}", flush=True)
            say("running; Ctrl-C stops them")
            while True:
                signal.pause()
    except KeyboardInterrupt:
        return 128 + (STOPPED_BY[-1] if STOPPED_BY else signal.SIGINT)
    except (RuntimeError, OSError) as exc:
        say(f"{exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
