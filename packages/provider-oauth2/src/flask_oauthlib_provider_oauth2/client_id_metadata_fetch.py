"""Fetching client ID metadata documents safely, and keeping them as HTTP caching allows.

What :mod:`.client_id_metadata` needs from the network, with the standard library only
(the provider has no HTTP client dependency):

- :func:`fetch_document`: one ``GET`` of an ``https`` URL that cannot be turned against
  the server's own network (SSRF). The host is resolved once, every address it resolves
  to must be public (not private, loopback, link-local, multicast, reserved or
  unspecified, IPv4 and IPv6, IPv4 inside IPv6 included) unless the app allows them, and
  the connection goes to an address that was checked (no second lookup a DNS rebinding
  could answer differently); the certificate is verified for the host name. One
  deadline bounds the whole exchange (resolving, connecting, TLS, every read: a server
  that drips its answer is cut off), the body is read up to a size limit, redirects are
  never followed, and only ``200`` with ``Content-Type: application/json`` is accepted.
- :func:`cache_lifetime`: how long an answer may be kept, from its ``Cache-Control``
  (``no-store``, ``no-cache``, ``max-age``, ``Age``) or ``Expires``, within bounds.
- :class:`DocumentCache`: a bounded, thread-safe LRU of what was fetched (and of
  failures), that fetches one URL once however many requests ask at the same time.

.. versionadded:: 1.1
"""

from __future__ import annotations

import http.client
import math
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DocumentCache",
    "FetchError",
    "FetchPolicy",
    "Fetched",
    "cache_lifetime",
    "fetch_document",
    "is_public_address",
    "tls_context",
]

T = TypeVar("T")
IPAddress = IPv4Address | IPv6Address

USER_AGENT = "flask-oauthlib-provider-oauth2 (client ID metadata document)"
#: NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address
NAT64 = IPv6Network("64:ff9b::/96")
#: shared address space (RFC 6598), not private to ``ipaddress`` before Python 3.12
SHARED = IPv4Network("100.64.0.0/10")
#: special-purpose ranges some ``ipaddress`` versions count as global: IETF protocol
#: assignments (RFC 6890) and the IPv6 documentation prefix of RFC 9637
NOT_GLOBAL = (IPv4Network("192.0.0.0/24"), IPv6Network("3fff::/20"))
#: at most this many host names are resolved at once (each lookup runs in a thread, so
#: that the deadline bounds it too)
RESOLVERS = 16
CACHE_DIRECTIVE = re.compile(
    r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(?:=\s*(\"(?:[^\"\\]|\\.)*\"|[^,\s]*))?\s*(?:,|$)"
)


class FetchError(Exception):
    """Why a document could not be fetched: a short sentence, safe to log (it never
    holds what the server answered)."""


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one app's fetches (``OAUTH2_PROVIDER_CLIENT_ID_METADATA_*``).

    .. versionadded:: 1.1
    """

    #: seconds for the whole exchange, from resolving the host to the last byte
    timeout: float = 5.0
    #: the largest body read, in bytes
    max_size: int = 5120
    #: also connect to private, loopback, link-local ... addresses (tests, intranets)
    allow_private_addresses: bool = False
    #: a PEM file of the certificate authorities trusted instead of the system's
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A ``200`` answer: its headers and its body."""

    headers: Message
    body: bytes


# -- addresses ------------------------------------------------------------------------------


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped, NAT64, 6to4 or Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` may be fetched from without the app's permission: a global
    unicast address, and so is any IPv4 address it carries (``::ffff:127.0.0.1`` is
    loopback).

    .. versionadded:: 1.1
    """
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped is not None:  # a plain IPv4 address, checked above
            return True
        if address.is_site_local:
            return False
    elif address in SHARED:
        return False
    if any(address in network for network in NOT_GLOBAL if network.version == address.version):
        return False
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not special


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _resolver() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(RESOLVERS, thread_name_prefix="client-id-metadata-dns")
        return _executor


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    return left


def resolve(host: str, port: int, deadline: float) -> list[IPAddress]:
    """The addresses of ``host`` (itself if it is an IP address), looked up once.

    :raises FetchError: if it does not resolve before ``deadline``.
    """
    try:
        return [ip_address(host)]
    except ValueError:
        pass
    lookup = _resolver().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=_remaining(deadline))
    except (FutureTimeout, TimeoutError) as exc:
        lookup.cancel()
        raise FetchError("resolving the host timed out") from exc
    except (OSError, UnicodeError) as exc:
        raise FetchError("the host name does not resolve") from exc
    found: dict[IPAddress, None] = {}
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            found[ip_address(str(sockaddr[0]).partition("%")[0])] = None
    if not found:
        raise FetchError("the host name does not resolve")
    return list(found)


# -- one exchange ---------------------------------------------------------------------------


class DeadlineSocket(ssl.SSLSocket):
    """A TLS socket whose every read ends by its :attr:`deadline` (one budget for the
    whole answer, not one per read)."""

    deadline: float = math.inf

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self.settimeout(_remaining(self.deadline))
        return super().recv(buflen, flags)

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(_remaining(self.deadline))
        return super().recv_into(buffer, nbytes, flags)


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The TLS settings of fetches: certificates verified for the host name against the
    system's authorities, or those of ``ca_bundle`` only.

    .. versionadded:: 1.1
    """
    context = ssl.create_default_context(cafile=ca_bundle)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.sslsocket_class = DeadlineSocket
    return context


class PinnedConnection(http.client.HTTPConnection):
    """HTTPS to ``host`` at the checked ``address``: the TLS name and the ``Host``
    header are the host's, the TCP connection is the address's."""

    default_port = 443

    def __init__(
        self, host: str, port: int, address: IPAddress, context: ssl.SSLContext, deadline: float
    ) -> None:
        super().__init__(host, port, timeout=_remaining(deadline))
        self._address = str(address)
        self._context = context
        self._deadline = deadline

    def connect(self) -> None:
        sock = socket.create_connection(
            (self._address, self.port), timeout=_remaining(self._deadline)
        )
        try:
            sock.settimeout(_remaining(self._deadline))
            tls = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        if isinstance(tls, DeadlineSocket):
            tls.deadline = self._deadline
        self.sock = tls


def _exchange(connection: PinnedConnection, target: str, policy: FetchPolicy) -> Fetched:
    connection.putrequest("GET", target, skip_accept_encoding=True)
    connection.putheader("Accept", "application/json")
    connection.putheader("Accept-Encoding", "identity")
    connection.putheader("User-Agent", USER_AGENT)
    connection.putheader("Connection", "close")
    connection.endheaders()
    response = connection.getresponse()
    if 300 <= response.status < 400:
        raise FetchError(f"answered {response.status}: redirects are not followed")
    if response.status != 200:
        raise FetchError(f"answered {response.status}, not 200")
    media_type = (response.getheader("Content-Type") or "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise FetchError("the answer is not application/json")
    if (response.getheader("Content-Encoding") or "identity").strip().lower() != "identity":
        raise FetchError("the answer has a content encoding")
    length = response.getheader("Content-Length") or ""
    if length.strip().isdigit() and int(length) > policy.max_size:
        raise FetchError(f"the document is larger than {policy.max_size} bytes")
    body = bytearray()
    while chunk := response.read(min(16384, policy.max_size + 1 - len(body))):
        body += chunk
        if len(body) > policy.max_size:
            raise FetchError(f"the document is larger than {policy.max_size} bytes")
    return Fetched(response.msg, bytes(body))


def _failure(exc: BaseException) -> FetchError:
    """A :class:`FetchError` naming what went wrong without echoing the peer."""
    if isinstance(exc, TimeoutError):
        return FetchError(f"timed out ({type(exc).__name__})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchError("the TLS certificate is not trusted for the host")
    if isinstance(exc, ssl.SSLError):
        return FetchError(f"TLS failed ({type(exc).__name__})")
    if isinstance(exc, OSError):
        return FetchError(f"the connection failed ({type(exc).__name__})")
    return FetchError(f"the answer is not valid HTTP ({type(exc).__name__})")


def fetch_document(url: str, policy: FetchPolicy, context: ssl.SSLContext) -> Fetched:
    """``GET`` the ``https`` URL ``url`` as the module describes.

    :param context: from :func:`tls_context` (made once, used by every fetch).
    :raises FetchError: if the host resolves to an address that is not allowed, the
        deadline passes, the certificate is not trusted, the answer is a redirect, is not
        ``200`` ``application/json``, or is larger than ``policy.max_size``.

    .. versionadded:: 1.1
    """
    deadline = time.monotonic() + policy.timeout
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise FetchError("only https URLs are fetched")
    host, port = parts.hostname, parts.port or 443
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    addresses = resolve(host, port, deadline)
    if not policy.allow_private_addresses and not all(map(is_public_address, addresses)):
        raise FetchError("the host resolves to an address that is not public")
    error: BaseException | None = None
    for address in addresses:  # only the addresses checked above
        try:
            connection = PinnedConnection(host, port, address, context, deadline)
        except TimeoutError as exc:
            raise _failure(exc) from exc
        try:
            try:
                connection.connect()
            except OSError as exc:
                error = exc
                continue
            try:
                return _exchange(connection, target, policy)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise _failure(exc) from exc
        finally:
            connection.close()
    raise _failure(error or OSError()) from error


# -- caching --------------------------------------------------------------------------------


def _directives(values: Iterable[str]) -> dict[str, str | None]:
    """The ``Cache-Control`` directives of ``values``, names lower case (the first of a
    name counts)."""
    found: dict[str, str | None] = {}
    for value in values:
        for name, argument in CACHE_DIRECTIVE.findall(value):
            found.setdefault(name.lower(), argument.strip('"') if argument else None)
    return found


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp() if moment.tzinfo else None


def _freshness(headers: Message, now: float) -> float | None:
    """Seconds an answer is fresh for by its own headers (RFC 9111 4.2.1), ``None`` when
    it says nothing; an invalid ``max-age`` or ``Expires`` means already stale."""
    directives = _directives(headers.get_all("Cache-Control") or [])
    age = (headers.get("Age") or "").strip()
    current_age = int(age) if age.isdigit() else 0
    if "max-age" in directives:
        max_age = directives["max-age"] or ""
        return int(max_age) - current_age if max_age.isdigit() else 0.0
    expires = headers.get("Expires")
    if expires is None:
        return None
    until = _http_date(expires)
    if until is None:
        return 0.0
    date = _http_date(headers.get("Date"))
    return until - (now if date is None else date) - current_age


def cache_lifetime(headers: Message, minimum: float, maximum: float, now: float) -> float:
    """Seconds to keep an answer with ``headers``: none at all for ``no-store`` or
    ``no-cache`` (nothing is revalidated); else its freshness (``max-age`` less ``Age``,
    or ``Expires`` less ``Date``) within ``minimum`` and ``maximum``, and ``minimum``
    when it says nothing.

    :param now: the wall clock (seconds since the epoch), for ``Expires``.

    .. versionadded:: 1.1
    """
    directives = _directives(headers.get_all("Cache-Control") or [])
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    fresh = _freshness(headers, now)
    if fresh is None:
        return minimum
    return float(min(maximum, max(minimum, fresh)))


class DocumentCache(Generic[T]):
    """At most ``size`` values by key, each until it expires, the least recently used
    dropped first; safe to share between threads.

    :param clock: seconds from an arbitrary start (:func:`time.monotonic`).

    .. versionadded:: 1.1
    """

    def __init__(self, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: str) -> T | None:
        """The value kept for ``key``, or ``None`` (never kept, expired or dropped)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, value: T, lifetime: float) -> None:
        """Keep ``value`` for ``lifetime`` seconds (not at all if it is not positive)."""
        with self._lock:
            self._entries.pop(key, None)
            if lifetime <= 0:
                return
            self._entries[key] = (self.clock() + lifetime, value)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, key: str | None = None) -> None:
        """Drop what is kept for ``key``, or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def get_or_load(self, key: str, load: Callable[[], tuple[T, float]]) -> T:
        """The value kept for ``key``, else ``load()``'s ``(value, lifetime)``, kept;
        requests for a key being loaded wait for that load instead of loading again."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            try:
                found = self.get(key)
                if found is not None:
                    return found
                value, lifetime = load()
                self.put(key, value, lifetime)
            finally:
                with self._lock:
                    if self._loading.get(key) is gate:
                        del self._loading[key]
        return value
