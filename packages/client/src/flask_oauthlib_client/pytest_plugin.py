"""pytest fixtures for the tests of apps that log in with the client.

Installing ``flask-oauthlib-client`` registers this module with pytest (the ``pytest11``
entry point ``flask_oauthlib_client``). It defines fixtures and nothing else: no hook, no
option, and its own code runs only when a test uses a fixture; loading it imports the
``flask_oauthlib_client`` package (with Flask, requests and oauthlib), a few tenths of a
second per pytest run. Switch it off with ``-p no:flask_oauthlib_client``.

``oauth_remote_stub``
    Call it with a remote app to get a :class:`~flask_oauthlib_client.testing.RemoteStub`
    answering the calls the app makes to that server, installed for the test::

        def test_login(client, oauth_remote_stub):
            stub = oauth_remote_stub(github)
            stub.route("GET", "user", json={"login": "octocat"})
            answer = stub.login(client, "/login", "/login/authorized")
            assert answer.status_code == 302
            assert stub.calls("GET", "user")[0].headers["Authorization"].startswith("Bearer ")

    The app is the one passed as ``app=``, else the current app, else the app the remote
    app's ``OAuth`` is bound to, else the test's ``app`` fixture. Other keyword
    arguments go to :class:`~flask_oauthlib_client.testing.RemoteStub` (``user=``,
    ``token=``, ``issuer=``, ``key=``). ``oauth_remote_stub.requests`` holds every
    request of the test's apps to any stub, ``oauth_remote_stub.unmatched`` those no
    stub answered (they failed as network errors).

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from .remote import OAuthRemoteApp
    from .testing import RecordedRequest, RemoteStub, StubTransport

__all__ = ["RemoteStubs", "oauth_remote_stub"]


class RemoteStubs:
    """The value of the ``oauth_remote_stub`` fixture: makes the stubs of one test.

    :param request: the test's fixture request (to find an ``app`` fixture).
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._transports: dict[Flask, StubTransport] = {}
        self._stubs: list[RemoteStub] = []
        #: every request the test's apps sent to any stub, in order
        self.requests: list[RecordedRequest] = []

    @property
    def unmatched(self) -> list[RecordedRequest]:
        """The requests no stub answered (each failed as a network error)."""
        return [r for transport in self._transports.values() for r in transport.unmatched]

    def __call__(
        self, remote: OAuthRemoteApp, app: Flask | None = None, **options: Any
    ) -> RemoteStub:
        """Make and install a stub of ``remote``'s server for this test.

        :param remote: the remote app.
        :param app: the Flask app whose calls it answers (see the module docs).
        :param options: keyword arguments of
            :class:`~flask_oauthlib_client.testing.RemoteStub`.
        """
        from .testing import RemoteStub, StubTransport

        if app is None:
            app = self._app(remote)
        transport = self._transports.get(app)
        if transport is None:
            transport = self._transports[app] = StubTransport()
            transport.listen(self.requests.append)
        stub = RemoteStub(remote, app, transport=transport, **options).install()
        self._stubs.append(stub)
        return stub

    def _app(self, remote: OAuthRemoteApp) -> Flask:
        from .settings import config_app

        try:
            return config_app(remote.oauth)
        except RuntimeError:
            pass
        try:
            app: Flask = self._request.getfixturevalue("app")
        except pytest.FixtureLookupError:
            raise RuntimeError(
                f"oauth_remote_stub: no app for {remote!r}; pass app=, push an app context,"
                " bind its OAuth to the app, or define an `app` fixture"
            ) from None
        return app

    def close(self) -> None:
        """Uninstall every stub; the apps' sessions get their adapters back."""
        while self._stubs:
            self._stubs.pop().uninstall()
        for transport in self._transports.values():
            transport.uninstall()


@pytest.fixture
def oauth_remote_stub(request: pytest.FixtureRequest) -> Iterator[RemoteStubs]:
    """Stand-ins for the servers of remote apps: ``oauth_remote_stub(remote)`` returns a
    :class:`~flask_oauthlib_client.testing.RemoteStub`, uninstalled after the test."""
    stubs = RemoteStubs(request)
    try:
        yield stubs
    finally:
        stubs.close()
