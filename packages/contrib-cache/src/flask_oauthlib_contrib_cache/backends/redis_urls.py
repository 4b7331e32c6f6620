"""The Redis URLs of a cluster and of a Sentinel group, parsed strictly, and the redis-py
clients they name.

- ``redis+cluster://[[user]:password@]host:port[,host:port...]/``: a Redis Cluster
  (:class:`redis.cluster.RedisCluster`, every listed node a startup node; database 0,
  the only one a cluster has);
- ``redis+sentinel://[[user]:password@]host:port[,host:port...]/<service>/<db>``: the
  master a group of Sentinels names ``service``
  (:meth:`redis.sentinel.Sentinel.master_for`), database ``db`` (``0`` when left out);

``rediss+cluster://`` and ``rediss+sentinel://`` speak TLS (to the Sentinels as well).
A port left out is 6379 on a cluster and 26379 on a Sentinel; an IPv6 host is written in
brackets. The credentials are those of the Redis nodes (the Sentinels are asked
without). Anything else (a query, a fragment, a port that is not one, a second path
segment on a cluster) is a :exc:`ValueError` saying what is wrong.

.. versionadded:: 1.1
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

__all__ = ["SCHEMES", "RedisTopology", "connect", "parse_topology"]

#: scheme -> (topology, TLS)
SCHEMES: dict[str, tuple[str, bool]] = {
    "redis+cluster": ("cluster", False),
    "rediss+cluster": ("cluster", True),
    "redis+sentinel": ("sentinel", False),
    "rediss+sentinel": ("sentinel", True),
}
DEFAULT_PORTS = {"cluster": 6379, "sentinel": 26379}

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)", re.S)
_NODE = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9._-]+))(?::(?P<port>\d+))?")


@dataclass(frozen=True)
class RedisTopology:
    """What a cluster or Sentinel URL says."""

    kind: str  # "cluster" or "sentinel"
    nodes: tuple[tuple[str, int], ...]
    tls: bool = False
    username: str | None = None
    password: str | None = None
    service: str | None = None  # sentinel: the master's name
    db: int = 0


def _nodes(text: str, kind: str) -> tuple[tuple[str, int], ...]:
    if not text:
        raise ValueError("no host:port")
    nodes = []
    for item in text.split(","):
        match = _NODE.fullmatch(item)
        if match is None:
            raise ValueError(f"{item!r} is not host:port")
        port = int(match["port"]) if match["port"] else DEFAULT_PORTS[kind]
        if not 0 < port < 65536:
            raise ValueError(f"{item!r}: port {port} is out of range")
        nodes.append((match["ipv6"] or match["host"], port))
    return tuple(nodes)


def _db(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"database {text!r} is not a database number (0 or more)")
    return int(text)


def parse_topology(url: str) -> RedisTopology | None:
    """The cluster or Sentinel group ``url`` names; ``None`` for the URLs redis-py reads
    itself (``redis://``, ``rediss://``, ``unix://``).

    :raises ValueError: for a cluster or Sentinel URL that is malformed, or a scheme
        with ``+`` that is none of :data:`SCHEMES`.
    """
    match = _URL.fullmatch(url.strip())
    if match is None:
        return None
    scheme = match["scheme"].lower()
    if scheme not in SCHEMES:
        if "+" in scheme:
            raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
        return None
    kind, tls = SCHEMES[scheme]
    rest = match["rest"]
    if "?" in rest or "#" in rest:
        raise ValueError(f"a {scheme}:// URL takes no query or fragment")
    netloc, slash, path = rest.partition("/")
    username = password = None
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
        if password is None and username is not None:  # redis://secret@host, as redis-py
            username, password = None, username
    nodes = _nodes(netloc, kind)
    segments = path.split("/") if slash else []
    if segments and segments[-1] == "":
        segments.pop()  # one trailing slash
    if kind == "cluster":
        if segments not in ([], ["0"]):
            raise ValueError(f"a cluster has database 0 only: {scheme}://host:port[,host:port...]/")
        return RedisTopology(kind, nodes, tls, username, password)
    if not 1 <= len(segments) <= 2 or not segments[0]:
        raise ValueError(f"name the master: {scheme}://host:port[,host:port...]/<service>/<db>")
    db = _db(segments[1]) if len(segments) == 2 else 0
    service = unquote(segments[0])
    if not service.isprintable() or any(c.isspace() for c in service):
        raise ValueError(f"master name {service!r}: Sentinel names hold no spaces")
    return RedisTopology(kind, nodes, tls, username, password, service, db)


def connect(topology: RedisTopology, **options: Any) -> Any:
    """The redis-py client of ``topology``: a :class:`~redis.cluster.RedisCluster`
    (which connects at once, to learn the slots) or the master of a Sentinel group (a
    :class:`~redis.Redis` that asks the Sentinels where the master is whenever it
    connects). ``options`` go to every connection (timeouts)."""
    auth: dict[str, Any] = {"username": topology.username, "password": topology.password}
    tls: dict[str, Any] = {"ssl": True} if topology.tls else {}
    if topology.kind == "cluster":
        from redis.cluster import ClusterNode, RedisCluster

        startup = [ClusterNode(host, port) for host, port in topology.nodes]
        return RedisCluster(startup_nodes=startup, **auth, **tls, **options)
    from redis.sentinel import Sentinel

    sentinel = Sentinel(
        list(topology.nodes), sentinel_kwargs={**options, **tls}, **auth, **tls, **options
    )
    return sentinel.master_for(topology.service or "", db=topology.db)
