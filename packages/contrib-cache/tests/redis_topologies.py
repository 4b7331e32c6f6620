"""A real Redis Cluster and a real Sentinel group on free ports of 127.0.0.1, for the
tests of ``redis+cluster://`` and ``redis+sentinel://``.

``redis_cluster``: three masters and three replicas (``redis-server --cluster-enabled
yes``, joined by ``redis-cli --cluster create --cluster-replicas 1``), ready once every
node says ``cluster_state:ok``. ``redis_sentinel``: a master, its replica and three
Sentinels (quorum 2), ready once the Sentinels see each other and the replica is in sync.
Both are session fixtures whose files live in a temporary directory; every process is
stopped at the end, also when the setup or a test failed. Without ``redis-server`` (and
``redis-cli``) their tests skip, and fail with ``CI=true``, as ``require_service`` does.

Failures are quick on purpose (node timeout and down-after 1 s), so that a test can kill
a master (:meth:`Cluster.fail_over`, :meth:`SentinelGroup.fail_over`) and see a replica
promoted within seconds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

HOST = "127.0.0.1"
SERVICE = "mymaster"
#: seconds a topology gets to start, and a failover to promote a replica
DEADLINE = 30


def require_binaries(*names: str) -> list[str]:
    """The paths of ``names``; skip (fail in CI) when one is not installed."""
    found = [shutil.which(name) for name in names]
    missing = [name for name, path in zip(names, found, strict=True) if path is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian package redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; in CI the Redis topologies must run")
        pytest.skip(message + " (CI runs these tests)")
    return [path for path in found if path is not None]


def free_ports(count: int, bus: bool = False) -> list[int]:
    """``count`` free ports; with ``bus`` each port + 10000 (a cluster node's bus) too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port in ports or (bus and (port + 10000 > 65535 or not _free(port + 10000))):
            continue
        ports.append(port)
    return ports


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until(ready: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``ready`` (errors, and answers without the field looked for, count as not
    yet) until it is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError, KeyError):
            if ready():
                return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def node(port: int) -> redis.Redis:
    return redis.Redis(HOST, port, socket_timeout=2, socket_connect_timeout=2)


def replicated(master: int, replica: int) -> bool:
    """Whether ``replica`` has every write ``master`` made so far."""
    with node(master) as m, node(replica) as r:
        offset = int(m.info("replication")["master_repl_offset"])
        return int(r.info("replication").get("slave_repl_offset", -1)) >= offset


def cluster_info(client: redis.Redis) -> dict[str, Any]:
    """``CLUSTER INFO``, as redis-py parses it."""
    info: dict[str, Any] = client.execute_command("CLUSTER INFO")
    return {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in info.items()}


class Processes:
    """Server processes in a temporary directory, all stopped by :meth:`close`."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="redis-topology-"))
        stack.callback(shutil.rmtree, self.dir, ignore_errors=True)
        stack.callback(self.close)
        self.running: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, port: int, argv: list[str]) -> None:
        log = (self.dir / f"{port}.log").open("ab")
        with log:
            # in pytest's process group: whatever kills the group kills them too
            self.running[port] = subprocess.Popen(argv, cwd=self.dir, stdout=log, stderr=log)

    def kill(self, port: int) -> None:
        """Kill the process on ``port`` at once (a crash, no goodbye)."""
        process = self.running.pop(port)
        process.kill()
        process.wait(10)

    def log(self, port: int) -> str:
        path = self.dir / f"{port}.log"
        return path.read_text(errors="replace")[-1500:] if path.exists() else ""

    def wait_for(self, ports: list[int]) -> None:
        for port in ports:
            process = self.running[port]

            def up(port: int = port, process: subprocess.Popen[bytes] = process) -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"redis on {port} exited:\n{self.log(port)}")
                with node(port) as client:
                    return bool(client.ping())

            wait_until(up, f"redis on {port}")

    def close(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


def server_argv(binary: str, port: int, *more: str) -> list[str]:
    base = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    return [*base, "--daemonize", "no", *more]


class Cluster:
    """Three masters with a replica each; :attr:`url` is its ``redis+cluster://`` URL."""

    def __init__(self, processes: Processes, ports: list[int]) -> None:
        self.processes = processes
        self.ports = ports
        self.url = "redis+cluster://" + ",".join(f"{HOST}:{p}" for p in ports[:3]) + "/"

    def master_of(self, key: str) -> int:
        """The port of the master holding ``key``'s slot."""
        for port in self.processes.running:
            with contextlib.suppress(redis.RedisError), node(port) as client:
                slot = int(client.execute_command("CLUSTER KEYSLOT", key))
                for start, end, master, *_ in client.execute_command("CLUSTER SLOTS"):
                    if start <= slot <= end:
                        return int(master[1])
        raise AssertionError(f"no master holds {key!r}")

    def replica_of(self, master: int) -> int:
        with node(master) as client:
            info = client.info("replication")
        return int(info["slave0"]["port"])

    def fail_over(self, key: str, meanwhile: Callable[[], object] = int) -> tuple[int, int]:
        """Kill the master holding ``key`` once its replica has every write, call
        ``meanwhile`` (the slot has no master then), and wait until the replica took
        over; return both ports."""
        master = self.master_of(key)
        replica = self.replica_of(master)
        wait_until(lambda: replicated(master, replica), "replication")
        self.processes.kill(master)
        meanwhile()

        def promoted() -> bool:
            with node(replica) as client:
                ok = cluster_info(client)["cluster_state"] == "ok"
                return ok and client.info("replication")["role"] == "master"

        wait_until(promoted, f"the replica on {replica} taking over from {master}")
        return master, replica


class SentinelGroup:
    """A master, its replica and three Sentinels watching them (``SERVICE``)."""

    def __init__(self, processes: Processes, master: int, replica: int, sentinels: list[int]):
        self.processes = processes
        self.master, self.replica, self.sentinels = master, replica, sentinels
        nodes = ",".join(f"{HOST}:{p}" for p in sentinels)
        self.url = f"redis+sentinel://{nodes}/{SERVICE}/0"

    def master_port(self) -> int:
        with node(self.sentinels[0]) as client:
            _host, port = client.sentinel_get_master_addr_by_name(SERVICE)
        return int(port)

    def fail_over(self, meanwhile: Callable[[], object] = int) -> tuple[int, int]:
        """Kill the master once the replica has every write, call ``meanwhile`` (there
        is no master then), and wait until the Sentinels promoted the replica; return
        both ports."""
        wait_until(lambda: replicated(self.master, self.replica), "replication")
        self.processes.kill(self.master)
        meanwhile()

        def promoted() -> bool:
            with node(self.replica) as client:
                role = client.info("replication")["role"]
            return role == "master" and all(
                self._master_seen_by(port) == self.replica for port in self.sentinels
            )

        wait_until(promoted, f"the Sentinels promoting {self.replica}")
        old, self.master, self.replica = self.master, self.replica, self.master
        return old, self.master

    def _master_seen_by(self, sentinel: int) -> int:
        with node(sentinel) as client:
            return int(client.sentinel_get_master_addr_by_name(SERVICE)[1])


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[Cluster]:
    """A running Redis Cluster of three masters and three replicas."""
    server, cli = require_binaries("redis-server", "redis-cli")
    with contextlib.ExitStack() as stack:
        processes = Processes(stack)
        ports = free_ports(6, bus=True)
        for port in ports:
            processes.start(
                port,
                server_argv(server, port)
                + ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
                + ["--cluster-node-timeout", "1000", "--dir", str(processes.dir)],
            )
        processes.wait_for(ports)
        create = subprocess.run(
            [cli, "--cluster", "create", *(f"{HOST}:{p}" for p in ports)]
            + ["--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        assert create.returncode == 0, create.stdout + create.stderr

        def ready() -> bool:
            for port in ports:
                with node(port) as client:
                    info = cluster_info(client)
                    if info["cluster_state"] != "ok" or int(info["cluster_known_nodes"]) != 6:
                        return False
            masters = [p for p in ports if node_role(p) == "master"]
            return len(masters) == 3 and all(
                replicated(m, Cluster(processes, ports).replica_of(m)) for m in masters
            )

        wait_until(ready, "cluster_state:ok on six nodes")
        yield Cluster(processes, ports)


def node_role(port: int) -> str:
    with node(port) as client:
        info: dict[str, Any] = client.info("replication")
    return str(info["role"])


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[SentinelGroup]:
    """A running Sentinel group: master, replica, three Sentinels, quorum 2."""
    (server,) = require_binaries("redis-server")
    with contextlib.ExitStack() as stack:
        processes = Processes(stack)
        master, replica, *sentinels = free_ports(5)
        processes.start(master, server_argv(server, master, "--dir", str(processes.dir)))
        processes.start(
            replica,
            server_argv(server, replica, "--dir", str(processes.dir))
            + ["--replicaof", HOST, str(master)],
        )
        processes.wait_for([master, replica])
        for port in sentinels:
            conf = processes.dir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind {HOST}\ndaemonize no\ndir {processes.dir}\n"
                f"sentinel monitor {SERVICE} {HOST} {master} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 5000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            processes.start(port, [server, str(conf), "--sentinel"])
        processes.wait_for(sentinels)

        def ready() -> bool:
            if not replicated(master, replica):
                return False
            for port in sentinels:
                with node(port) as client:
                    state = client.sentinel_master(SERVICE)
                    if int(state["num-other-sentinels"]) != 2 or int(state["num-slaves"]) != 1:
                        return False
            return True

        wait_until(ready, "three Sentinels that see each other and the replica")
        yield SentinelGroup(processes, master, replica, sentinels)
