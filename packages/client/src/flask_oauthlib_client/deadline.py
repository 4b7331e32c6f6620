"""A total deadline for one HTTP call, which ``requests`` alone does not give.

``requests`` bounds each socket operation by its timeout, so a server that sends a byte
(or a header line) now and then holds a call as long as it likes. :func:`bounded` arms
a :class:`Deadline` for a call: a timer that, at the deadline, shuts down the socket of
every connection the call uses, which ends whatever read or write is blocked on it.
Connections take part when they come from a :class:`WatchedAdapter`, which
:class:`~flask_oauthlib_client.transport.ClientSession` mounts.

.. versionadded:: 1.1
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection

__all__ = ["Deadline", "WatchedAdapter", "bounded", "too_late"]

_current: ContextVar[Deadline | None] = ContextVar("flask_oauthlib_client_deadline", default=None)


def _cut_socket(sock: Any) -> None:
    """Shut ``sock`` down for reading and writing, which ends any read blocked on it.

    ``socket.socket.shutdown`` is called directly: ``SSLSocket.shutdown`` would also
    drop the TLS state under the feet of the thread reading it.
    """
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError, ValueError):  # already closed, or not a socket
        pass


class _Watched:
    """Mixin of a urllib3 connection the deadline of the call using it may cut.

    :meth:`request` ties the connection to the current call's :class:`Deadline`, so
    the deadline's timer can shut its socket down however far the exchange is: while
    connecting, sending, waiting for the status line, reading headers or the body.
    """

    _deadline: Deadline | None = None
    #: the socket, kept when ``http.client`` hands it to a response and forgets it
    _watched_sock: Any = None
    sock: Any

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Tie the connection to the current deadline, then send the request."""
        deadline = _current.get()
        self._deadline = deadline
        self._watched_sock = self.sock
        if deadline is not None:
            deadline.own(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        """Connect; shut the new socket down at once if the deadline passed meanwhile."""
        super().connect()  # type: ignore[misc]
        self._watched_sock = self.sock
        deadline = self._deadline
        if deadline is not None and deadline.missed and deadline.owns(self):
            _cut_socket(self.sock)


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    """An HTTP connection a deadline may cut."""


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    """An HTTPS connection a deadline may cut."""


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(requests.adapters.HTTPAdapter):
    """An adapter whose direct connections a :class:`Deadline` can cut (connections
    through a proxy are bound by the per-read timeout only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with watched connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


class Deadline:
    """A total time budget for one request: connecting, sending, the status line and
    headers, redirects and the reading of the answers.

    ``requests`` bounds each socket operation by its timeout, so a server that sends a
    byte (or a header line) now and then holds a call as long as it likes. A timer
    armed when the call starts shuts down, at the deadline, the socket of every
    connection the call uses (see :class:`_Watched`), which ends any read or write
    blocked on it; the call then fails and is reported as a timeout. A connection
    already handed to another call is left alone. Use it through :func:`bounded`.

    :param seconds: the time the call may take, from now.
    """

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self._cut = False
        self._lock = threading.Lock()
        self._connections: list[_Watched] = []
        self._over = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    @property
    def missed(self) -> bool:
        """Whether the deadline cut a connection or has passed."""
        return self._cut or time.monotonic() > self.at

    def start(self) -> None:
        """Arm the timer."""
        self._timer.start()

    def own(self, conn: _Watched) -> None:
        """Cut ``conn`` at the deadline, unless another call takes it over before."""
        with self._lock:
            if not self._over:
                self._connections.append(conn)

    def owns(self, conn: _Watched) -> bool:
        """Whether ``conn`` still serves this call."""
        return conn._deadline is self

    def _expire(self) -> None:
        """Shut down the sockets of the call's connections, unless the call is over."""
        with self._lock:
            if self._over:
                return
            self._cut = True
            for conn in self._connections:
                sock = conn._watched_sock
                if self.owns(conn) and sock is not None:
                    _cut_socket(sock)

    def stop(self) -> None:
        """Disarm the timer: the request is over."""
        with self._lock:
            self._over = True
            self._connections.clear()
        self._timer.cancel()


def too_late(seconds: float) -> requests.exceptions.ReadTimeout:
    """The error of a call that missed its deadline of ``seconds``."""
    return requests.exceptions.ReadTimeout(f"Timed out: no complete answer within {seconds:g} s")


@contextlib.contextmanager
def bounded(seconds: float) -> Iterator[Deadline]:
    """Run the block under a :class:`Deadline` of ``seconds``.

    The connections of a :class:`WatchedAdapter` used in the block are cut at the
    deadline; read :attr:`Deadline.missed` afterwards to tell a call cut short (or
    complete too late) from one that failed on its own::

        with bounded(10) as deadline:
            resp = session.request("GET", url, timeout=10)
        if deadline.missed:
            raise too_late(10)

    :param seconds: the time the whole block may take.
    """
    deadline = Deadline(seconds)
    reset = _current.set(deadline)
    deadline.start()
    try:
        yield deadline
    finally:
        deadline.stop()
        _current.reset(reset)
