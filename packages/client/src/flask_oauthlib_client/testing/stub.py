""":class:`RemoteStub`: the server of one remote app, in memory, for an app's tests.

.. versionadded:: 1.1
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from flask import Flask, current_app, has_app_context
from oauthlib.common import add_params_to_uri

from ..registry import OAuth
from ..settings import config_app
from .adapter import RecordedRequest, StubResponse, StubTransport, origin_and_path
from .server import StubServer, issuer_of, request_object_claims

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

    from ..remote import OAuthRemoteApp

__all__ = ["RemoteStub"]

log = logging.getLogger(__name__)

_UNSET: Any = object()


def _origin(url: str) -> str:
    parts = urlsplit(origin_and_path(url))
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class _Route:
    method: str
    url: str
    query: dict[str, str]
    respond: Callable[[RecordedRequest], StubResponse]

    def matches(self, request: RecordedRequest) -> bool:
        if request.method != self.method or origin_and_path(request.url) != self.url:
            return False
        given = request.query
        return all(given.get(name) == value for name, value in self.query.items())


class RemoteStub(StubServer):
    """Stand in for the server of ``remote``: no network, every call recorded.

    Installed (:meth:`install`, or ``with RemoteStub(...)``), it answers the calls the
    app's remote apps make in the app's contexts, through a transport adapter mounted on
    the app's HTTP session (:meth:`OAuth.http_session
    <flask_oauthlib_client.OAuth.http_session>`):

    - OAuth 2: the code exchange at the token endpoint (a code from :meth:`login`, used
      once, with its redirect URI and PKCE verifier) and refreshes, answered with a
      token of the stub (``stub-access-token-1`` ...) and :attr:`token_fields` over it;
    - OpenID Connect, when the remote app has a ``server_metadata_url``: the metadata
      document (:attr:`metadata`; the issuer is the URL before
      ``/.well-known/openid-configuration``), the key set, ID tokens about :attr:`user`
      signed with a key of the stub, userinfo, pushed authorization requests;
    - OAuth 1.0a: request tokens, and access tokens for a verifier of :meth:`login`;
    - the API: what :meth:`route` says, by method and URL (relative to ``base_url``).

    A call to a known host but no known URL is answered ``404``; a call to another host
    fails as a network error. :attr:`requests` holds what the app sent::

        with RemoteStub(github, app) as stub:
            stub.route("GET", "user", json={"login": "octocat"})
            browser = app.test_client()
            stub.login(browser, "/login", "/login/authorized")
            browser.get("/profile")  # a view that calls github.get("user")
            (call,) = stub.calls("GET", "user")
            assert call.headers["Authorization"] == "Bearer stub-access-token-1"

    :param remote: the remote app.
    :param app: the Flask app whose calls are answered; by default the current app, or
        the app the remote app's ``OAuth`` is bound to.
    :param transport: the adapter to answer through; stubs installed on one app share
        the one already mounted there.
    :param issuer: the issuer, if not that of the ``server_metadata_url``.
    :param user: claims about the user who logs in (``sub`` is ``"stub-user"`` unless
        given).
    :param token: fields over the stub's in every token response (``None`` leaves one
        out).
    :param key: the key ID tokens are signed with (PEM, private JWK or
        :class:`~flask_oauthlib_client.keys.SigningKey`); a shared RSA key by default.

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        remote: OAuthRemoteApp,
        app: Flask | None = None,
        *,
        transport: StubTransport | None = None,
        issuer: str | None = None,
        user: Mapping[str, Any] | None = None,
        token: Mapping[str, Any] | None = None,
        key: Any = None,
    ) -> None:
        self.remote = remote
        self.app: Flask = app if app is not None else config_app(remote.oauth)
        with self._in_app():
            self.metadata_url: str | None = remote.server_metadata_url
        if issuer is None and self.metadata_url:
            issuer = issuer_of(self.metadata_url)
        super().__init__(issuer, user, token, key)
        self.transport = transport
        #: every request this stub answered, in order
        self.requests: list[RecordedRequest] = []
        #: the parameters of every authorization request :meth:`login` followed
        self.authorizations: list[dict[str, str]] = []
        self._routes: list[_Route] = []
        self._owns_transport = False

    def __repr__(self) -> str:
        return f"<RemoteStub of {self.remote.name!r}>"

    @contextlib.contextmanager
    def _in_app(self) -> Iterator[None]:
        """In an app context of :attr:`app`: the current one if it is (pushing another
        would end the current one's database session, say, when it is popped)."""
        if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
            yield
            return
        with self.app.app_context():
            yield

    # -- installing ------------------------------------------------------------------------

    def install(self) -> RemoteStub:
        """Start answering the app's calls; return the stub."""
        oauth = self.remote.oauth
        if not isinstance(oauth, OAuth):
            raise TypeError(f"{self.remote!r} belongs to no flask_oauthlib_client.OAuth")
        session = oauth.http_session(self.app)
        if self.transport is None:
            mounted = session.get_adapter("https://stub.invalid/")
            if isinstance(mounted, StubTransport):
                self.transport = mounted
            else:
                self.transport, self._owns_transport = StubTransport(), True
        self.transport.install(session)
        if self not in self.transport.stubs:
            self.transport.stubs.append(self)
        return self

    def uninstall(self) -> None:
        """Stop answering; the app's session gets its adapters back when this stub
        mounted the transport."""
        if self.transport is None:
            return
        if self in self.transport.stubs:
            self.transport.stubs.remove(self)
        if self._owns_transport:
            self.transport.uninstall()

    def __enter__(self) -> RemoteStub:
        return self.install()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.uninstall()

    # -- the API ---------------------------------------------------------------------------

    def route(
        self,
        method: str,
        url: str,
        json: Any = _UNSET,
        *,
        status: int = 200,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        respond: Callable[[RecordedRequest], StubResponse] | None = None,
        raises: BaseException | None = None,
    ) -> None:
        """Answer ``method`` requests to ``url`` (relative to the remote app's
        ``base_url``; matched without the query, unless ``url`` has one, whose
        parameters must then be there). A later route for the same request wins, also
        over the stub's own endpoints (to make the token endpoint fail, say)::

            stub.route("GET", "user", json={"login": "octocat"})
            stub.route("GET", "user/repos", status=503, body="down")
            stub.route("POST", "https://github.com/login/oauth/access_token",
                       json={"error": "bad_verification_code"})

        :param json: the answer's JSON body.
        :param status: the answer's status.
        :param body: the answer's body, bytes or text, when it is no JSON.
        :param headers: the answer's headers.
        :param respond: ``f(request) -> StubResponse`` answering instead.
        :param raises: raise this instead of answering (``requests.ConnectTimeout()``...).
        """
        with self._in_app():
            absolute = self.remote.expand_url(url)
        if respond is None:
            respond = _fixed(json, status, body, headers, raises)
        query = dict(parse_qsl(urlsplit(absolute).query, keep_blank_values=True))
        self._routes.append(_Route(method.upper(), origin_and_path(absolute), query, respond))

    def calls(self, method: str | None = None, url: str | None = None) -> list[RecordedRequest]:
        """The requests this stub answered with ``method`` to ``url`` (relative to
        ``base_url``; compared without the query); all of them without arguments."""
        if url is not None:
            with self._in_app():
                url = self.remote.expand_url(url)
        return [request for request in self.requests if request.matches(method, url)]

    # -- answering -------------------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> StubResponse | None:
        """The answer to ``request``, or ``None`` if it is for no host of this stub."""
        answer = self._dispatch(request)
        if answer is not None:
            self.requests.append(request)
        return answer

    def _dispatch(self, request: RecordedRequest) -> StubResponse | None:
        url = origin_and_path(request.url)
        if self.metadata_url and url == origin_and_path(self.metadata_url):
            return StubResponse.of_json(self.metadata)
        for route in reversed(self._routes):
            if route.matches(request):
                return route.respond(request)
        endpoints = self._endpoints()
        kind = endpoints.get(url)
        if kind == "token":
            if self._speaks_oauth1():
                return self.oauth1_access_token(request)
            return self.token_endpoint(request)
        if kind is not None:
            return {
                "jwks": lambda _: StubResponse.of_json(self.jwks),
                "userinfo": self.userinfo,
                "par": self.push,
                "request_token": self.request_token,
            }[kind](request)
        if _origin(url) in {_origin(known) for known in [*endpoints, *self._hosts()]}:
            message = f"the stub of {self.remote.name} has no route for {request.method} {url}"
            return StubResponse.of_json({"error": "not_found", "error_description": message}, 404)
        return None

    def _endpoints(self) -> dict[str, str]:
        """The stub's endpoints by URL: the metadata's, and the remote app's own token
        URLs (read now, so a change of the app's config counts)."""
        found: dict[str, str] = {}
        names = {
            "token_endpoint": "token",
            "jwks_uri": "jwks",
            "userinfo_endpoint": "userinfo",
            "pushed_authorization_request_endpoint": "par",
        }
        for name, kind in names.items():
            if isinstance(self.metadata.get(name), str):
                found[origin_and_path(self.metadata[name])] = kind
        for setting, kind in (
            ("access_token_url", "token"),
            ("request_token_url", "request_token"),
        ):
            url = self._setting(setting)
            if url:
                found[origin_and_path(self.remote.expand_url(url))] = kind
        return found

    def _hosts(self) -> Iterable[str]:
        for url in (self.metadata_url, self.issuer, self._setting("base_url")):
            if url:
                yield url
        yield from (route.url for route in self._routes)

    def _setting(self, name: str) -> str | None:
        """A URL the remote app is configured with (given, assigned or in the app's
        config); ``None`` if it has none. What its metadata would say is the stub's own
        :attr:`metadata`: reading it from the remote app would fetch the document, a
        request the app itself did not send."""
        with self._in_app():
            value = self.remote._settings.get(name)
        return value if isinstance(value, str) else None

    def _speaks_oauth1(self) -> bool:
        return bool(self._setting("request_token_url"))

    # -- the user's part of a login --------------------------------------------------------

    def login(
        self,
        browser: Any,
        login: Any = "/login",
        callback: str | None = None,
        *,
        allow: bool = True,
        error: str = "access_denied",
    ) -> TestResponse:
        """Log in as a user would: open ``login`` with ``browser``, follow its redirect to
        the remote app's authorization page, and come back to the app's callback with a
        code (OAuth 2) or a verifier (OAuth 1.0a), or with ``error`` if not ``allow``.

        The authorization request is checked on the way (its URL, ``client_id``,
        ``response_type=code``, a ``state`` unless the remote app is set not to send
        one; a pushed or signed request is read) and kept in :attr:`authorizations`;
        its ``state`` goes back as it came, and ``iss`` when the stub serves metadata::

            answer = stub.login(app.test_client(), "/login", "/login/authorized")
            assert answer.status_code == 302

        :param browser: a Flask test client of the app (it keeps the session cookie).
        :param login: the path of the view that redirects to the remote app, or the
            answer of a request to it.
        :param callback: the path the app must ask to be sent back to (checked).
        :param allow: the user's answer.
        :param error: the error of a refusal.
        :returns: the answer of the callback.
        :raises AssertionError: when the app does not redirect to the remote app, or
            asks for something the remote app would refuse.
        """
        start = browser.get(login) if isinstance(login, str) else login
        location = start.headers.get("Location")
        if not 300 <= start.status_code < 400 or not location:
            text = start.get_data(as_text=True)[:300]
            raise AssertionError(f"{login!r} answered {start.status_code}, no redirect: {text!r}")
        with self._in_app():
            if self._speaks_oauth1():
                back = self._oauth1_consent(location, allow)
            else:
                back = self._oauth2_consent(location, allow, error)
        if callback is not None and urlsplit(back).path != urlsplit(callback).path:
            raise AssertionError(f"the app asked to come back to {back!r}, not to {callback!r}")
        answer: TestResponse = browser.get(back)
        return answer

    def _check_authorize_url(self, location: str) -> dict[str, str]:
        expected = origin_and_path(self.remote.expand_url(self.remote.authorize_url))
        if origin_and_path(location) != expected:
            raise AssertionError(f"the app redirected to {location!r}, not to {expected!r}")
        params = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
        self.authorizations.append(dict(params))
        return params

    def _oauth2_consent(self, location: str, allow: bool, error: str) -> str:
        params = self._check_authorize_url(location)
        if "request_uri" in params:
            pushed = self.pushed.pop(params["request_uri"], None)
            if pushed is None:
                raise AssertionError(f"no pushed request {params['request_uri']!r}")
            params = {**pushed, "client_id": params.get("client_id", "")}
        if "request" in params:
            params.update(request_object_claims(params.pop("request")))
        self.authorizations[-1] = dict(params)
        if params.get("client_id") != self.remote.consumer_key:
            raise AssertionError(f"the client_id is {params.get('client_id')!r}")
        if params.get("response_type") != "code":
            raise AssertionError(f"the response_type is {params.get('response_type')!r}")
        state = params.get("state")
        if not state and self.remote.enforce_state:
            raise AssertionError("the authorization request carries no state")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise AssertionError("the authorization request carries no redirect_uri")
        back = {"code": self.issue_code(params)} if allow else {"error": error}
        if state is not None:
            back["state"] = state
        if self.metadata.get("authorization_response_iss_parameter_supported") and self.issuer:
            back["iss"] = self.issuer
        return str(add_params_to_uri(redirect_uri, list(back.items())))

    def _oauth1_consent(self, location: str, allow: bool) -> str:
        params = self._check_authorize_url(location)
        pending = self.request_tokens.get(params.get("oauth_token", ""))
        if pending is None:
            raise AssertionError("the authorization URL carries no request token of the stub")
        if not pending.callback or pending.callback == "oob":
            raise AssertionError("the request token was asked for without a callback")
        if not allow:
            return str(add_params_to_uri(pending.callback, [("denied", params["oauth_token"])]))
        pending.verifier = f"stub-verifier-{self.serial('verifier')}"
        back = [("oauth_token", params["oauth_token"]), ("oauth_verifier", pending.verifier)]
        return str(add_params_to_uri(pending.callback, back))


def _fixed(
    json: Any,
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None,
    raises: BaseException | None,
) -> Callable[[RecordedRequest], StubResponse]:
    """The ``respond`` of a route with a fixed answer."""
    if json is not _UNSET:
        answer = StubResponse.of_json(json, status, headers)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        answer = StubResponse(status, data, dict(headers or {}))

    def respond(request: RecordedRequest) -> StubResponse:
        if raises is not None:
            raise raises
        return answer

    return respond
