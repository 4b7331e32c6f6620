"""Test doubles for apps that log in with the client: a remote server in memory.

:class:`RemoteStub` stands in for the server of one remote app in the app's tests: it
answers the code exchange (OAuth 2) or the request and access tokens (OAuth 1.0a) of a
login, serves an OpenID provider's metadata, keys, ID tokens and userinfo, answers API
calls by method and URL as told, and records every request the app sent. Nothing goes
to the network and nothing of the client is patched: the stub answers through a
``requests`` transport adapter mounted on the app's HTTP session
(:meth:`OAuth.http_session <flask_oauthlib_client.OAuth.http_session>`).
:meth:`RemoteStub.login` plays the user: it follows the app's redirect to the
authorization page and comes back to the callback with a code::

    from flask_oauthlib_client.testing import RemoteStub

    def test_login(app):
        with RemoteStub(github, app) as stub:
            stub.route("GET", "user", json={"login": "octocat"})
            answer = stub.login(app.test_client(), "/login", "/login/authorized")
            assert answer.status_code == 302

With pytest the ``oauth_remote_stub`` fixture (:mod:`flask_oauthlib_client.pytest_plugin`,
registered when the distribution is installed) makes them and uninstalls them after the
test. ID tokens need the ``oidc`` extra (PyJWT with cryptography).

.. versionadded:: 1.1
"""

from __future__ import annotations

from .adapter import RecordedRequest, StubResponse, StubTransport
from .stub import RemoteStub

__all__ = ["RecordedRequest", "RemoteStub", "StubResponse", "StubTransport"]
