"""Helpers for tests that drive OAuth flows: live servers, PKCE values, redirects, consent.

The test suites of every flask-oauthlib distribution use these, and so may an app's own
tests. Importing this module imports neither pytest nor requests: the helpers that need
one of them import it when called (pytest for :func:`serve_fixture` and
:func:`require_service`, requests for the helpers that talk to a live URL).

A test module that logs in against a provider served in a thread::

    from flask_oauthlib_core.testing import (
        LiveServers, allow_insecure_transport, authorization_code, pkce_pair,
    )

    allow_insecure_transport()  # the servers speak plain HTTP on 127.0.0.1

    def test_login(app):
        verifier, challenge = pkce_pair()
        with LiveServers() as servers:
            url = servers.start(app)
            code = authorization_code(
                url + "/oauth/authorize?response_type=code&client_id=app"
                "&code_challenge_method=S256&code_challenge=" + challenge
            )

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import socket
import string
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "MEMCACHED_HOST",
    "MEMCACHED_PORT",
    "MEMCACHED_SERVERS",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_URL",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_URL",
    "Answer",
    "LiveServers",
    "allow_insecure_transport",
    "authorization_code",
    "callback_path",
    "code_challenge",
    "code_from",
    "code_verifier",
    "concurrently",
    "consent",
    "free_port",
    "go_to_provider",
    "pkce_pair",
    "redirect_location",
    "redirect_params",
    "require_service",
    "serve_fixture",
    "visit_provider",
]

#: how long a helper waits for a live server's answer, in seconds
TIMEOUT = 10

T = TypeVar("T")


# -- live servers -------------------------------------------------------------------------


class LiveServers:
    """Serve WSGI apps on 127.0.0.1 with werkzeug, each in a thread of its own, until
    :meth:`close` (or the end of the ``with`` block) shuts every one of them down.

    ::

        with LiveServers() as servers:
            provider_url = servers.start(provider_app)
            client_url = servers.start(client_app, port=8000)

    .. versionadded:: 1.1
    """

    def __init__(self) -> None:
        self._running: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def start(self, app: WSGIApplication, port: int = 0) -> str:
        """Serve ``app`` (threaded, as a development server) and return its base URL.

        :param app: a Flask app or any WSGI application.
        :param port: the port to listen on; ``0`` lets the system pick a free one.
        :return: ``http://127.0.0.1:<port>``, without a trailing slash.
        """
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=f"live-server-{server.server_port}"
        )
        thread.daemon = True
        thread.start()
        self._running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    def close(self) -> None:
        """Stop every server started here: no new requests, the port released, the
        thread ended."""
        while self._running:
            server, thread = self._running.pop()
            server.shutdown()
            server.server_close()
            thread.join(TIMEOUT)

    def __enter__(self) -> LiveServers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def serve_fixture() -> Any:
    """The ``serve`` pytest fixture: ``serve(app, port=0)`` serves ``app`` with
    :class:`LiveServers` and returns its base URL; every server stops after the test.

    Assign it in a ``conftest.py``::

        from flask_oauthlib_core.testing import serve_fixture

        serve = serve_fixture()

    .. versionadded:: 1.1
    """
    import pytest

    @pytest.fixture
    def serve() -> Iterator[Callable[..., str]]:
        with LiveServers() as servers:
            yield servers.start

    return serve


def allow_insecure_transport() -> None:
    """Let oauthlib and Authlib talk plain HTTP, as tests on 127.0.0.1 do.

    Sets ``OAUTHLIB_INSECURE_TRANSPORT`` and ``AUTHLIB_INSECURE_TRANSPORT`` for this
    process. Call it from a test suite's ``conftest.py``; never in an app a deployment runs.

    .. versionadded:: 1.1
    """
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now, for an app that must know its
    URL before it is served.

    .. versionadded:: 1.1
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- PKCE (RFC 7636) ----------------------------------------------------------------------

#: the characters RFC 7636 allows in a code verifier
VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"


def code_verifier(length: int = 64) -> str:
    """A random PKCE code verifier of ``length`` characters (43 to 128, RFC 7636 4.1).

    .. versionadded:: 1.1
    """
    if not 43 <= length <= 128:
        raise ValueError(f"a code verifier has 43 to 128 characters, not {length}")
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(length))


def code_challenge(verifier: str, method: str = "S256") -> str:
    """The code challenge of ``verifier``: ``BASE64URL(SHA256(verifier))`` without
    padding for ``S256``, the verifier itself for ``plain``.

    >>> code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

    .. versionadded:: 1.1
    """
    if method == "plain":
        return verifier
    if method != "S256":
        raise ValueError(f"unknown code challenge method {method!r} (S256 or plain)")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair(length: int = 64) -> tuple[str, str]:
    """A fresh code verifier and its ``S256`` challenge.

    .. versionadded:: 1.1
    """
    verifier = code_verifier(length)
    return verifier, code_challenge(verifier)


# -- redirects ----------------------------------------------------------------------------


class Answer(Protocol):
    """What the helpers read of an HTTP answer: a ``requests`` response or the Flask test
    client's.

    .. versionadded:: 1.1
    """

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def text(self) -> str: ...


def redirect_location(answer: Answer) -> str:
    """The ``Location`` of a redirect; :class:`AssertionError` naming the status and the
    start of the body when ``answer`` is no redirect.

    .. versionadded:: 1.1
    """
    location = answer.headers.get("Location")
    if not 300 <= answer.status_code < 400 or not location:
        raise AssertionError(
            f"expected a redirect, got {answer.status_code}: {answer.text[:300]!r}"
        )
    return str(location)


def _location(redirect: str | Answer) -> str:
    return redirect if isinstance(redirect, str) else redirect_location(redirect)


def redirect_params(redirect: str | Answer) -> dict[str, str]:
    """The parameters a redirect carries: those of its fragment when it has one (the
    implicit grant answers there), else those of its query; the first value of each.

    :param redirect: a URL, or an answer whose ``Location`` is read.

    .. versionadded:: 1.1
    """
    parts = urlsplit(_location(redirect))
    query = parts.fragment if parts.fragment else parts.query
    return {name: values[0] for name, values in parse_qs(query).items()}


def code_from(redirect: str | Answer) -> str:
    """The authorization ``code`` a redirect carries; :class:`AssertionError` showing the
    URL (an ``error`` maybe) when it has none.

    .. versionadded:: 1.1
    """
    location = _location(redirect)
    code = redirect_params(location).get("code")
    if code is None:
        raise AssertionError(f"no code in the redirect to {location!r}")
    return code


def callback_path(redirect: str | Answer) -> str:
    """The path and query of a redirect's URL: where a provider sends the browser back,
    as a Flask test client of the client app requests it.

    .. versionadded:: 1.1
    """
    parts = urlsplit(_location(redirect))
    return f"{parts.path}?{parts.query}"


# -- the user at the provider -------------------------------------------------------------


def _send(browser: Any, method: str, url: str, data: dict[str, str] | None = None) -> Any:
    """One request without following redirects: with ``browser`` (a Flask test client or
    a ``requests.Session``), else with ``requests``."""
    if isinstance(browser, FlaskClient):
        return browser.open(url, method=method, data=data)
    if browser is None:
        import requests

        browser = requests
    return browser.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT)


def consent(
    authorize_url: str,
    allow: bool = True,
    *,
    browser: Any = None,
    open_page: bool = False,
    form: dict[str, str] | None = None,
) -> Any:
    """Play the user on a provider's consent page: post ``confirm=yes`` (or ``no``).

    :param authorize_url: the authorization URL, query included.
    :param allow: the user's answer.
    :param browser: a Flask test client (then ``authorize_url`` may be a path) or a
        ``requests.Session``; by default ``requests`` over the network.
    :param open_page: open the page first, as a person does; an answer other than 200
        (an error redirect, say) is returned as it is, nothing posted.
    :param form: more form fields (a ``csrf_token``).
    :return: the answer to the post, not followed.

    .. versionadded:: 1.1
    """
    if open_page:
        page = _send(browser, "GET", authorize_url)
        if page.status_code != 200:
            return page
    data = {"confirm": "yes" if allow else "no", **(form or {})}
    return _send(browser, "POST", authorize_url, data)


def authorization_code(authorize_url: str, *, browser: Any = None, open_page: bool = False) -> str:
    """Allow on the consent page and return the code of the redirect back
    (:func:`consent`, then :func:`code_from`).

    .. versionadded:: 1.1
    """
    return code_from(consent(authorize_url, browser=browser, open_page=open_page))


def visit_provider(authorize_url: str | Answer, allow: bool | None = None) -> str:
    """Send the user's browser (``requests``) to a provider; return the path and query it
    redirects back to.

    :param authorize_url: the authorization URL, or the client app's redirect to it.
    :param allow: ``None`` for a provider that answers the visit at once; ``True`` or
        ``False`` for one with a consent page (:func:`consent`).

    .. versionadded:: 1.1
    """
    authorize_url = _location(authorize_url)
    if allow is None:
        answer = _send(None, "GET", authorize_url)
    else:
        answer = consent(authorize_url, allow, open_page=True)
    return callback_path(answer)


def go_to_provider(browser: FlaskClient, login: str = "/login", allow: bool | None = None) -> str:
    """Click "log in" in a client app (its Flask test client) and let the provider
    answer (:func:`visit_provider`); return the callback path and query to request next.

    .. versionadded:: 1.1
    """
    return visit_provider(browser.get(login), allow)


# -- races --------------------------------------------------------------------------------


def concurrently(call: Callable[[], T], times: int) -> list[T]:
    """Call ``call`` in ``times`` threads released at once (a barrier); return what the
    calls returned, in the order they finished. The first exception a call raised is
    raised here once every thread has ended.

    ::

        statuses = concurrently(lambda: redeem(url, code).status_code, 20)
        assert statuses.count(200) == 1

    .. versionadded:: 1.1
    """
    barrier = threading.Barrier(times)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(TIMEOUT)
            results.append(call())
        except BaseException as error:  # handed to the caller below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# -- services -----------------------------------------------------------------------------

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
_MEMCACHED_SERVER = os.environ.get("TEST_MEMCACHED_SERVER") or "127.0.0.1:11211"
MEMCACHED_SERVERS = [_MEMCACHED_SERVER]


def _address(value: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(value if "://" in value else "//" + value)
    return parts.hostname or "127.0.0.1", parts.port or default_port


POSTGRES_HOST, POSTGRES_PORT = _address(POSTGRES_URL, 5432)
REDIS_HOST, REDIS_PORT = _address(REDIS_URL, 6379)
MEMCACHED_HOST, MEMCACHED_PORT = _address(_MEMCACHED_SERVER, 11211)

_SERVICES = {
    "postgresql": ("PostgreSQL", POSTGRES_HOST, POSTGRES_PORT),
    "redis": ("Redis", REDIS_HOST, REDIS_PORT),
    "memcached": ("memcached", MEMCACHED_HOST, MEMCACHED_PORT),
    "memcache": ("memcached", MEMCACHED_HOST, MEMCACHED_PORT),  # the cache type's name
}


def require_service(service: str) -> None:
    """Skip the calling test when ``service`` does not answer; in CI (``CI=true``) fail it.

    Where the services are: ``TEST_POSTGRES_URL`` (default
    ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), ``TEST_REDIS_URL``
    (``redis://127.0.0.1:6379/0``) and ``TEST_MEMCACHED_SERVER`` (``127.0.0.1:11211``),
    read when this module is imported (:data:`POSTGRES_URL`, :data:`REDIS_URL`,
    :data:`MEMCACHED_SERVERS`).

    :param service: ``postgresql``, ``redis`` or ``memcached`` (or ``memcache``).

    .. versionadded:: 1.1
    """
    import pytest

    name, host, port = _SERVICES[service.lower()]
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        message = f"{name} is not running on {host}:{port}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; in CI the services must run (scripts/services.py)")
        pytest.skip(message + " (CI runs these tests)")
