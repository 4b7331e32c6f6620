"""Remote applications of the contrib client, on requests-oauthlib sessions.

An application object holds settings only; what belongs to one login (``state``, the
PKCE verifier, the OAuth 1 request token) lives in the Flask session, so one object
serves every user. Requests go through requests-oauthlib's ``OAuth1Session`` and
``OAuth2Session`` (subclassed here to keep no cookies and to wait at most
:attr:`BaseApplication.timeout` seconds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar
from urllib.parse import urljoin

import requests
import requests_oauthlib
from flask import current_app, redirect, request
from oauthlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    MismatchingStateError,
    MissingCodeError,
)
from requests_oauthlib.oauth1_session import TokenMissing
from werkzeug.local import LocalProxy
from werkzeug.utils import import_string
from werkzeug.wrappers import Response as BaseResponse

from flask_oauthlib_core import equal_secrets

from ..pkce import create_verifier, s256_challenge
from ..transport import DEFAULT_TIMEOUT, ClientSession, NoCookieJar
from .descriptor import OAuthProperty, WebSessionData
from .exceptions import AccessTokenNotFound, InvalidState
from .signals import request_token_fetched
from .structure import OAuth1Response, OAuth2Response

__all__ = [
    "BaseApplication",
    "OAuth1Application",
    "OAuth1Session",
    "OAuth2Application",
    "OAuth2Session",
]

F = TypeVar("F", bound=Callable[..., Any])


class _Hardened(ClientSession):
    """A :class:`~flask_oauthlib_client.transport.ClientSession` that always has a timeout.

    The contrib client caches one session per token and may serve it to several
    requests: no cookie a server sets may ride along on later calls. No redirect
    re-sends a request body, and the timeout bounds the whole call.
    """

    #: seconds a call may take when it gives no ``timeout``
    timeout: float = DEFAULT_TIMEOUT

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request, with :attr:`timeout` unless the call gives one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class OAuth1Session(_Hardened, requests_oauthlib.OAuth1Session):
    """requests-oauthlib's ``OAuth1Session`` without cookies, with a total timeout,
    never re-sending a body on a redirect.

    .. versionadded:: 1.1
    """


class OAuth2Session(_Hardened, requests_oauthlib.OAuth2Session):
    """requests-oauthlib's ``OAuth2Session`` without cookies, with a total timeout,
    never re-sending a body on a redirect.

    .. versionadded:: 1.1
    """


def _hash_token(application: BaseApplication, token: Any) -> tuple[str, str, str]:
    """Return a key for the client cache: the application and a digest of ``token``."""
    if isinstance(token, dict):
        material = json.dumps(token, sort_keys=True, default=str)
    elif isinstance(token, tuple | list):
        material = json.dumps(list(token), default=str)
    else:
        raise TypeError(f"a token is a dict or a tuple, not {type(token).__name__}")
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
    return type(application).__name__, application.name, digest


class BaseApplication:
    """A remote application of the contrib client.

    Settings are :class:`~.descriptor.OAuthProperty` attributes: pass them as keyword
    arguments or set ``app.config["<NAME>_<SETTING>"]``.

    :param name: the application's name; it prefixes its config keys and session keys.
    :param clients: the mapping sessions are cached in, one per token;
        :data:`~flask_oauthlib_client.contrib.cached_clients` when registered with
        :meth:`OAuth.remote_app <flask_oauthlib_client.contrib.OAuth.remote_app>`.
    :param kwargs: settings; a name that is no setting raises ``TypeError``.
    """

    #: the requests-oauthlib session class the application makes its sessions with
    session_class: type[Any] | None = None

    #: requests with a relative URL are joined to it
    endpoint_url = OAuthProperty("endpoint_url", default="")
    #: seconds to wait for the server (``<NAME>_TIMEOUT``)
    timeout = OAuthProperty("timeout", default=DEFAULT_TIMEOUT)

    def __init__(
        self, name: str, clients: MutableMapping[Any, Any] | None = None, **kwargs: Any
    ) -> None:
        self.name = name
        if clients is not None:
            self.clients = clients
        for key, value in kwargs.items():
            if not hasattr(type(self), key):
                raise TypeError(f"descriptor {key!r} not found")
            setattr(self, key, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}:{self.name} at {hex(id(self))}>"

    def tokengetter(self, fn: F) -> F:
        """Register the function (no arguments) that returns the current user's token."""
        self._tokengetter = fn
        return fn

    def obtain_token(self) -> Any:
        """Return the current user's token from the :meth:`tokengetter`, or ``None``.

        :raises RuntimeError: if no tokengetter is registered.
        """
        tokengetter = getattr(self, "_tokengetter", None)
        if tokengetter is None:
            raise RuntimeError(f"{self!r} missing tokengetter")
        return tokengetter()

    @property
    def client(self) -> Any:
        """The session for the current user's token (see :meth:`obtain_token`).

        :raises AccessTokenNotFound: if the tokengetter returns ``None``.
        """
        token = self.obtain_token()
        if token is None:
            raise AccessTokenNotFound
        return self._make_client_with_token(token)

    def make_client(self, token: Any) -> Any:
        """Return a session that signs requests with ``token``."""
        raise NotImplementedError

    def _client_cache(self) -> MutableMapping[Any, Any] | None:
        clients = getattr(self, "clients", None)
        if isinstance(clients, LocalProxy):
            try:
                clients = clients._get_current_object()
            except RuntimeError:  # no app context, or OAuth not initialised on the app
                return None
        return clients

    def _make_client_with_token(self, token: Any) -> Any:
        """Return the cached session for ``token``, or make and cache one."""
        clients = self._client_cache()
        key = _hash_token(self, token)
        if clients is not None and key in clients:
            return clients[key]
        client = self.make_client(token)
        if clients is not None:
            clients[key] = client
        return client

    def _session_class(self) -> type[Any]:
        if self.session_class is None:
            raise TypeError(f"{type(self).__name__} has no session_class")
        return self.session_class

    def _harden(self, oauth: Any) -> Any:
        """Keep no cookies in ``oauth``; give it this application's timeout."""
        oauth.cookies = NoCookieJar()
        if isinstance(oauth, _Hardened):
            oauth.timeout = float(self.timeout)
        return oauth

    def authorize(self, callback_uri: str, code: int = 302) -> BaseResponse:
        """Redirect the user to the server's authorization page.

        :param callback_uri: the absolute URL the server sends the user back to
            (``url_for(..., _external=True)``).
        :param code: the HTTP status of the redirection.
        """
        raise NotImplementedError

    def authorized_response(self) -> Any:
        """Exchange the callback for a token; ``None`` if the user denied access."""
        raise NotImplementedError

    def request(self, method: str, url: str, token: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Send a request with the user's session (a ``requests.Response`` comes back).

        :param method: ``"get"``, ``"post"``, ... (the session method to call).
        :param url: absolute, or relative to :attr:`endpoint_url`.
        :param token: the token to use; the :meth:`tokengetter`'s by default.
        :param args: passed on to the session method, as ``kwargs`` are.
        """
        client = self.client if token is None else self._make_client_with_token(token)
        url = urljoin(self.endpoint_url, url)
        return getattr(client, method.lower())(url, *args, **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``HEAD`` request; see :meth:`request`."""
        return self.request("head", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``GET`` request; see :meth:`request`."""
        return self.request("get", *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``POST`` request; see :meth:`request`."""
        return self.request("post", *args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``PUT`` request; see :meth:`request`."""
        return self.request("put", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``DELETE`` request; see :meth:`request`."""
        return self.request("delete", *args, **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> Any:
        """Send a ``PATCH`` request; see :meth:`request`."""
        return self.request("patch", *args, **kwargs)


class OAuth1Application(BaseApplication):
    """An OAuth 1.0a server::

        twitter = oauth.remote_app(
            "twitter",
            version="1",
            endpoint_url="https://api.twitter.com/1.1/",
            request_token_url="https://api.twitter.com/oauth/request_token",
            access_token_url="https://api.twitter.com/oauth/access_token",
            authorization_url="https://api.twitter.com/oauth/authorize",
        )  # TWITTER_CONSUMER_KEY and TWITTER_CONSUMER_SECRET in app.config

    The callback must return the request token this session started with, or
    :class:`~.exceptions.InvalidState` is raised.
    """

    session_class: type[Any] | None = OAuth1Session

    request_token_url = OAuthProperty("request_token_url")
    access_token_url = OAuthProperty("access_token_url")
    authorization_url = OAuthProperty("authorization_url")

    consumer_key = OAuthProperty("consumer_key")
    consumer_secret = OAuthProperty("consumer_secret")

    _session_request_token = WebSessionData("req_token")

    def make_client(self, token: Any) -> Any:
        """Return a session signing with ``token``: a ``(token, secret)`` pair or the
        token dict the server answered."""
        if isinstance(token, dict):
            key, secret = token["oauth_token"], token["oauth_token_secret"]
        else:
            key, secret = token
        return self.make_oauth_session(resource_owner_key=key, resource_owner_secret=secret)

    def authorize(self, callback_uri: str, code: int = 302) -> BaseResponse:
        """Fetch a request token, keep it in the session, redirect to the server.

        Sends :data:`~.signals.request_token_fetched` with the server's answer.
        """
        oauth = self.make_oauth_session(callback_uri=callback_uri)
        response = oauth.fetch_request_token(self.request_token_url)
        self._session_request_token = (response["oauth_token"], response["oauth_token_secret"])
        request_token_fetched.send(self, response=response)
        return redirect(oauth.authorization_url(self.authorization_url), code)

    def authorized_response(self) -> OAuth1Response | None:
        """Exchange the verifier of the callback for an access token.

        :returns: the token, or ``None`` if the callback carries no token (denied).
        :raises InvalidState: if the callback is for another request token than this
            session's, or this session started no login.
        """
        stored = self._session_request_token
        del self._session_request_token
        try:
            response = self.make_oauth_session().parse_authorization_response(request.url)
        except TokenMissing:
            return None
        if not stored or not equal_secrets(response["oauth_token"], stored[0]):
            raise InvalidState("the callback is for another request token than this session's")
        oauth = self.make_oauth_session(
            resource_owner_key=stored[0],
            resource_owner_secret=stored[1],
            verifier=response.get("oauth_verifier"),
        )
        return OAuth1Response(oauth.fetch_access_token(self.access_token_url))

    def make_oauth_session(self, **kwargs: Any) -> Any:
        """Return a new :attr:`session_class` with the consumer key and secret.

        :param kwargs: more arguments of ``OAuth1Session``.
        """
        oauth = self._session_class()(
            self.consumer_key, client_secret=self.consumer_secret, **kwargs
        )
        return self._harden(oauth)


class OAuth2Application(BaseApplication):
    """An OAuth 2 server::

        github = oauth.remote_app(
            "github",
            endpoint_url="https://api.github.com/",
            access_token_url="https://github.com/login/oauth/access_token",
            authorization_url="https://github.com/login/oauth/authorize",
            scope=["user:email"],
        )  # GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in app.config

    :meth:`authorize` binds a random ``state`` and a PKCE S256 verifier to the session;
    the callback's ``state`` is checked by requests-oauthlib, and a callback without a
    login started in this session is refused (:class:`~.exceptions.InvalidState`). With
    a ``refresh_token_url``, expired tokens are refreshed and the new token is handed to
    the :meth:`tokensaver`.
    """

    session_class: type[Any] | None = OAuth2Session

    access_token_url = OAuthProperty("access_token_url")
    authorization_url = OAuthProperty("authorization_url")
    refresh_token_url = OAuthProperty("refresh_token_url", default="")

    client_id = OAuthProperty("client_id")
    client_secret = OAuthProperty("client_secret")
    #: a string, or a list joined with commas (as 0.9.6 did)
    scope = OAuthProperty("scope", default=None)

    #: a requests-oauthlib compliance fix, as an import path; ``".facebook"`` is short
    #: for ``"requests_oauthlib.compliance_fixes.facebook"``
    compliance_fixes = OAuthProperty("compliance_fixes", default=None)
    #: send a PKCE S256 challenge (``<NAME>_PKCE``)
    pkce = OAuthProperty("pkce", default=True)

    _session_state = WebSessionData("state")
    _session_redirect_url = WebSessionData("redir")
    _session_code_verifier = WebSessionData("pkce")

    def make_client(self, token: Any) -> Any:
        """Return a session holding ``token`` (the dict the server answered)."""
        return self.make_oauth_session(token=token)

    def tokensaver(self, fn: F) -> F:
        """Register the function that saves a refreshed token (its only argument).

        Needed with a ``refresh_token_url``: requests-oauthlib refreshes an expired
        token before a request and hands the new one to this function.
        """
        self._tokensaver = fn
        return fn

    def authorize(self, callback_uri: str, code: int = 302, **kwargs: Any) -> BaseResponse:
        """Redirect to the authorization page with a fresh ``state`` and PKCE challenge.

        :param kwargs: extra parameters of the authorization URL.
        """
        oauth = self.make_oauth_session(redirect_uri=callback_uri)
        del self._session_code_verifier
        if self.pkce and "code_challenge" not in kwargs:
            verifier = create_verifier()
            kwargs["code_challenge"] = s256_challenge(verifier)
            kwargs["code_challenge_method"] = "S256"
            self._session_code_verifier = verifier
        url, state = oauth.authorization_url(self.authorization_url, **kwargs)
        self._session_state = state
        self._session_redirect_url = callback_uri
        return redirect(url, code)

    def authorized_response(self) -> OAuth2Response | None:
        """Exchange the code of the callback for a token.

        :returns: the token, or ``None`` if the user denied access.
        :raises InvalidState: if this session started no login or the ``state`` differs.
        :raises oauthlib.oauth2.OAuth2Error: if the token endpoint refuses.
        """
        state = self._session_state
        redirect_uri = self._session_redirect_url
        verifier = self._session_code_verifier
        del self._session_state
        del self._session_redirect_url
        del self._session_code_verifier
        if not state:
            raise InvalidState("this session started no login (no state)")
        oauth = self.make_oauth_session(state=state, redirect_uri=redirect_uri)
        extra = {"code_verifier": verifier} if verifier else {}
        try:
            token = oauth.fetch_token(
                self.access_token_url,
                client_secret=self.client_secret,
                authorization_response=request.url,
                **extra,
            )
        except MismatchingStateError as exc:
            raise InvalidState("the state of the callback is not this session's") from exc
        except (MissingCodeError, AccessDeniedError):
            return None
        return OAuth2Response(token)

    def make_oauth_session(self, **kwargs: Any) -> Any:
        """Return a new :attr:`session_class` for this application.

        With a ``refresh_token_url`` it refreshes expired tokens and calls the
        :meth:`tokensaver`; a ``compliance_fixes`` function is applied to it.

        :param kwargs: more arguments of ``OAuth2Session``.
        :raises RuntimeError: with a ``refresh_token_url`` but no tokensaver.
        """
        kwargs.setdefault("scope", self.scope)
        scope = kwargs["scope"]
        if scope and not isinstance(scope, str):
            kwargs["scope"] = ",".join(scope)
        if self.refresh_token_url:
            tokensaver = getattr(self, "_tokensaver", None)
            if tokensaver is None:
                raise RuntimeError("missing tokensaver")
            kwargs.setdefault("auto_refresh_url", self.refresh_token_url)
            kwargs.setdefault(
                "auto_refresh_kwargs",
                {"client_id": self.client_id, "client_secret": self.client_secret},
            )
            kwargs.setdefault("token_updater", tokensaver)
        oauth = self._session_class()(self.client_id, **kwargs)
        fixes = self.compliance_fixes
        if fixes is not None:
            if fixes.startswith("."):
                fixes = "requests_oauthlib.compliance_fixes" + fixes
            oauth = import_string(fixes)(oauth)
        return self._harden(oauth)

    @contextlib.contextmanager
    def insecure_transport(self) -> Iterator[None]:
        """A context kept from 0.9.6; it no longer allows plain HTTP.

        0.9.6 set ``OAUTHLIB_INSECURE_TRANSPORT`` for the block when the app ran in
        debug or testing mode: a process-wide switch, seen by every thread while it
        was on. Plain HTTP is now allowed only where you set that variable yourself
        (for local development). As in 0.9.6, a ``RuntimeWarning`` says when the
        variable is set but the app is in neither mode.

        .. versionchanged:: 1.1
            Changes nothing in the environment.
        """
        if os.environ.get("OAUTHLIB_INSECURE_TRANSPORT") and not (
            current_app.debug or current_app.testing
        ):
            warnings.warn(
                "OAUTHLIB_INSECURE_TRANSPORT has been found in os.environ but the app is"
                " not running in debug mode or testing mode. It may put you in danger of"
                " the Man-in-the-middle attack while using OAuth 2.",
                RuntimeWarning,
                stacklevel=3,
            )
        yield
