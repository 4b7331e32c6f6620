"""A remote application: one OAuth 1.0a or OAuth 2 server the Flask app talks to."""

from __future__ import annotations

import hmac
import json
import logging
import math
import secrets
import time
import warnings
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urljoin

from flask import has_request_context, redirect, request, session
from oauthlib import oauth1
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import WebApplicationClient
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError
from werkzeug.wrappers import Response as BaseResponse

from . import callback, rfc5849
from .exceptions import OAuthException
from .pkce import create_verifier, s256_challenge
from .refresh import RefreshLocks
from .registry import OAuth
from .response import OAuthResponse, parse_response
from .settings import SettingsSource, config_app, setting
from .transport import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    RemoteResponse,
    remote_call,
    send,
    status_of,
)

__all__ = ["OAuthRemoteApp", "UnknownFormat", "encode_request_data"]

#: why an OAuth 2 authorization URL with ``http://`` is refused, and what to do locally
INSECURE_TRANSPORT_HINT = (
    "OAuth 2 requires https: the authorization URL is plain http. For local development"
    " only, set the environment variable OAUTHLIB_INSECURE_TRANSPORT=1 before starting"
    " the app."
)

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
#: ``(uri, headers, body) -> (uri, headers, body)``, see :attr:`OAuthRemoteApp.pre_request`
PreRequest = Callable[[str, dict[str, str], Any], tuple[str, dict[str, str], Any]]

#: keys of ``request_token_params`` that configure the OAuth 1 signer, not the request
OAUTH1_SIGNER_KEYS = ("signature_method", "signature_type", "rsa_key", "realm")
#: a token that expires within this many seconds is refreshed before use
REFRESH_LEEWAY = 10
#: the longest lifetime, in seconds, a token response may announce (ten years)
MAX_LIFETIME = 10 * 365 * 24 * 3600
FORM_TYPE = "application/x-www-form-urlencoded"
#: OAuth 2 authorizations kept pending per remote app and session (several tabs)
MAX_PENDING = 5
#: the session keys of the single pending authorization before 1.1
LEGACY_KEYS = ("state", "pkce", "redir")


class OAuthRemoteApp:
    """One remote application (an OAuth 1.0a or OAuth 2 server).

    A remote app with a ``request_token_url`` speaks OAuth 1.0a; without one it speaks
    OAuth 2. Create it with :meth:`OAuth.remote_app`::

        github = oauth.remote_app(
            "github",
            base_url="https://api.github.com/",
            access_token_url="https://github.com/login/oauth/access_token",
            authorize_url="https://github.com/login/oauth/authorize",
            request_token_params={"scope": "user:email"},
            app_key="GITHUB",
        )

    Every setting is an attribute (``github.consumer_key``), read from the constructor
    or, with ``app_key``, from the app's config on each access; assigning one overrides
    it, ``del`` restores it. Every HTTP request goes through :meth:`http_request`.

    :param oauth: the :class:`OAuth` registry.
    :param name: the name; it prefixes the keys kept in the Flask session.
    :param base_url: the URL relative request URLs are joined to.
    :param request_token_url: OAuth 1.0a only: where request tokens come from.
    :param access_token_url: where the code (or verifier) is exchanged for a token.
    :param authorize_url: where the user is sent to authorize.
    :param consumer_key: the client key / client id.
    :param consumer_secret: the client secret.
    :param rsa_key: OAuth 1.0a with ``signature_method="RSA-SHA1"``: the private key.
    :param signature_method: OAuth 1.0a signature method (``HMAC-SHA1`` by default).
    :param request_token_params: extra parameters for the request token URL (OAuth 1)
        or the authorize URL (OAuth 2, e.g. ``{"scope": "email"}``).
    :param request_token_method: HTTP method for the request token URL, ``GET`` by default.
    :param access_token_params: extra parameters for the access token URL.
    :param access_token_method: HTTP method for the access token URL, ``POST`` by
        default. With ``GET`` an OAuth 2 client sends its secret, the code and the PKCE
        verifier in the URL, where access logs keep them: use it only for a server that
        wants it (a warning is logged once). Refreshing a token always uses ``POST``.
    :param access_token_headers: extra headers for the access token URL.
    :param content_type: parse the server's answers as this content type whatever the
        server says.
    :param app_key: read every setting not given here from ``app.config[app_key]``
        (a dict) or ``app.config[f"{app_key}_{SETTING}"]`` at use time.
    :param encoding: the encoding of request bodies.
    :param pkce: send a PKCE S256 challenge on OAuth 2 authorization (default ``True``).
    :param enforce_state: bind a one-time ``state`` to the session and check it on the
        callback (default ``True``). Up to :data:`MAX_PENDING` logins may be pending
        in one session (several tabs), each with its own ``state``, PKCE verifier and
        redirect URI; a callback consumes only the one whose ``state`` it carries.
    :param issuer: the server's issuer identifier; when set, an ``iss`` parameter on the
        callback must match it (RFC 9207).
    :param server_metadata_url: an OAuth 2 / OpenID Connect metadata document; endpoints
        and issuer not given are read from it. When it says
        ``authorization_response_iss_parameter_supported``, a callback without ``iss``
        is refused (RFC 9207 section 2.4).
    :param timeout: the most seconds a call to the remote server may take, as a whole:
        connecting, the status line and headers, redirects and reading the answer
        (default 10). Past it the call fails with ``OAuthException(type="timeout")``.
    :param max_response_size: the most bytes an answer may have, counted decoded
        (after gzip) while it is read (default 10 MiB); past it the call fails with
        ``OAuthException(type="response_too_large")``.
    :raises TypeError: without ``consumer_key`` and ``app_key``, as in 0.9.6.

    .. versionchanged:: 1.0
        Added ``pkce``, ``enforce_state``, ``issuer``, ``server_metadata_url`` and
        ``timeout``; ``state`` and PKCE are on by default. ``access_token_method``
        defaults to ``POST`` (it was ``GET``).

    .. versionchanged:: 1.1
        ``rsa_key`` and ``signature_method`` are back, in their 0.9.6 positions;
        settings are readable with no app context once the ``OAuth`` is bound to an app;
        all HTTP goes through :meth:`http_request` again. A callback without ``iss`` is
        refused when the server's metadata advertises it; token requests follow no
        redirects; refreshes of one refresh token are serialized within the process.
        Added ``max_response_size``; the ``timeout`` covers the status line and
        headers; token responses are validated; several logins may be pending.
    """

    #: An optional ``(uri, headers, body) -> (uri, headers, body)`` function applied to
    #: every API request (:meth:`request`) after signing, for servers that want
    #: something non-standard; 0.9.6's contrib apps used it. Assign it on the instance:
    #: ``weibo.pre_request = change_weibo_header``.
    pre_request: PreRequest | None = None

    def __init__(
        self,
        oauth: OAuth,
        name: str,
        base_url: str | None = None,
        request_token_url: str | None = None,
        access_token_url: str | None = None,
        authorize_url: str | None = None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        rsa_key: str | None = None,
        signature_method: str | None = None,
        request_token_params: dict[str, Any] | None = None,
        request_token_method: str | None = None,
        access_token_params: dict[str, Any] | None = None,
        access_token_method: str | None = None,
        access_token_headers: dict[str, str] | None = None,
        content_type: str | None = None,
        app_key: str | None = None,
        encoding: str = "utf-8",
        *,
        pkce: bool | None = None,
        enforce_state: bool | None = None,
        issuer: str | None = None,
        server_metadata_url: str | None = None,
        timeout: float | None = None,
        max_response_size: int | None = None,
    ) -> None:
        if not consumer_key and not app_key:
            raise TypeError(
                f"OAuthRemoteApp {name!r} requires a consumer key: pass consumer_key=,"
                " or app_key= to read it from app.config"
            )
        self.oauth = oauth
        self.name = name
        self.app_key = app_key
        self.encoding = encoding
        self._settings = SettingsSource(
            name,
            app_key,
            {
                "base_url": base_url,
                "request_token_url": request_token_url,
                "access_token_url": access_token_url,
                "authorize_url": authorize_url,
                "consumer_key": consumer_key,
                "consumer_secret": consumer_secret,
                "rsa_key": rsa_key,
                "signature_method": signature_method,
                "request_token_params": request_token_params,
                "request_token_method": request_token_method,
                "access_token_params": access_token_params,
                "access_token_method": access_token_method,
                "access_token_headers": access_token_headers,
                "content_type": content_type,
                "pkce": pkce,
                "enforce_state": enforce_state,
                "issuer": issuer,
                "server_metadata_url": server_metadata_url,
                "timeout": timeout,
                "max_response_size": max_response_size,
            },
            app=lambda: config_app(self.oauth),
        )
        self._tokengetter: Callable[[], Any] | None = None
        self._tokensaver: Callable[[dict[str, Any]], Any] | None = None
        self._metadata: dict[str, Any] | None = None
        self._warned_get = False
        self._refresh_locks = RefreshLocks()

    def __repr__(self) -> str:
        return f"<OAuthRemoteApp {self.name!r}>"

    # -- settings --------------------------------------------------------------------------

    @setting
    def base_url(self) -> str | None:
        """The URL that relative request URLs are joined to."""
        return self._settings.get("base_url")  # type: ignore[no-any-return]

    @setting
    def request_token_url(self) -> str | None:
        """OAuth 1.0a request token URL; ``None`` for OAuth 2."""
        return self._settings.get("request_token_url")  # type: ignore[no-any-return]

    @setting
    def access_token_url(self) -> str:
        """The access token URL."""
        return self._endpoint("access_token_url", "token_endpoint")

    @setting
    def authorize_url(self) -> str:
        """The authorization URL."""
        return self._endpoint("authorize_url", "authorization_endpoint")

    @setting
    def consumer_key(self) -> str:
        """The client key (OAuth 1) or client id (OAuth 2)."""
        return self._settings.get("consumer_key", required=True)  # type: ignore[no-any-return]

    @setting
    def consumer_secret(self) -> str | None:
        """The client secret; required for OAuth 1, optional for public OAuth 2 clients."""
        required = self.request_token_url is not None
        return self._settings.get("consumer_secret", required=required)  # type: ignore[no-any-return]

    @setting
    def rsa_key(self) -> str | None:
        """OAuth 1.0a: the RSA private key for ``RSA-SHA1`` signatures."""
        return self._settings.get("rsa_key")  # type: ignore[no-any-return]

    @setting
    def signature_method(self) -> str | None:
        """OAuth 1.0a: the signature method; ``None`` means oauthlib's ``HMAC-SHA1``."""
        return self._settings.get("signature_method")  # type: ignore[no-any-return]

    @setting
    def request_token_params(self) -> dict[str, Any]:
        """Extra parameters for the request token (OAuth 1) or authorize (OAuth 2) URL.

        The configured dict itself, so changing it in place lasts, as in 0.9.6.
        """
        value = self._settings.get("request_token_params")
        return value if value is not None else {}

    @setting
    def request_token_method(self) -> str:
        """HTTP method for the request token URL."""
        return str(self._settings.get("request_token_method", "GET")).upper()

    @setting
    def access_token_params(self) -> dict[str, Any]:
        """Extra parameters for the access token URL (the configured dict itself)."""
        value = self._settings.get("access_token_params")
        return value if value is not None else {}

    @setting
    def access_token_method(self) -> str:
        """HTTP method for the access token URL, ``POST`` unless configured."""
        return str(self._settings.get("access_token_method", "POST")).upper()

    @setting
    def access_token_headers(self) -> dict[str, str]:
        """Extra headers for the access token URL (the configured dict itself)."""
        value = self._settings.get("access_token_headers")
        return value if value is not None else {}

    @setting
    def content_type(self) -> str | None:
        """The content type forced on the server's answers, if any."""
        return self._settings.get("content_type")  # type: ignore[no-any-return]

    @setting
    def pkce(self) -> bool:
        """Whether OAuth 2 authorization sends a PKCE S256 challenge."""
        return bool(self._settings.get("pkce", True))

    @setting
    def enforce_state(self) -> bool:
        """Whether a one-time ``state`` is bound to the session and checked."""
        return bool(self._settings.get("enforce_state", True))

    @setting
    def issuer(self) -> str | None:
        """The server's issuer identifier (RFC 9207), if known."""
        issuer = self._settings.get("issuer")
        if issuer is None and self._settings.get("server_metadata_url"):
            issuer = self.server_metadata.get("issuer")
        return issuer  # type: ignore[no-any-return]

    @setting
    def timeout(self) -> float:
        """The most seconds a call to the remote server may take, all of it."""
        return float(self._settings.get("timeout", DEFAULT_TIMEOUT))

    @setting
    def max_response_size(self) -> int:
        """The most bytes an answer of the remote server may have, counted decoded
        (after gzip) while it is read; 10 MiB unless configured."""
        return int(self._settings.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE))

    @property
    def server_metadata(self) -> dict[str, Any]:
        """The server's metadata document, fetched once from ``server_metadata_url``."""
        if self._metadata is None:
            url = self._settings.get("server_metadata_url", required=True)
            resp, content = self._http(url, method="GET")
            status = status_of(resp)
            if status != 200:
                raise OAuthException(
                    f"{self.name}: metadata document answered {status}", type="invalid_metadata"
                )
            try:
                document = json.loads(content)
            except ValueError:
                document = None
            if not isinstance(document, dict):
                raise OAuthException(
                    f"{self.name}: metadata document is not a JSON object", type="invalid_metadata"
                )
            self._metadata = document
        return self._metadata

    def _endpoint(self, key: str, metadata_key: str) -> str:
        value = self._settings.get(key)
        if value is None and self._settings.get("server_metadata_url"):
            value = self.server_metadata.get(metadata_key)
        if value is None:
            value = self._settings.get(key, required=True)
        return value  # type: ignore[no-any-return]

    def _session_key(self, what: str) -> str:
        return f"{self.name}_oauth{what}"

    def expand_url(self, url: str) -> str:
        """Join ``url`` to :attr:`base_url` (absolute URLs are returned unchanged)."""
        base = self.base_url
        return urljoin(base, url) if base else url

    # -- oauthlib clients ------------------------------------------------------------------

    def make_client(self, token: Any = None) -> Any:
        """Return the oauthlib client that signs this remote app's requests.

        OAuth 1.0a: an ``oauthlib.oauth1.Client`` with the consumer key and secret and
        the parameters of :meth:`get_oauth1_client_params`. OAuth 2: an
        ``oauthlib.oauth2.WebApplicationClient`` holding ``token`` (a dict, or an access
        token given as a string or as the first item of a tuple).

        :param token: the user's token, or ``None``.
        """
        if self.request_token_url:
            params = self.get_oauth1_client_params(token)
            return oauth1.Client(self.consumer_key, client_secret=self.consumer_secret, **params)
        if isinstance(token, str):
            token = {"access_token": token}
        elif isinstance(token, tuple | list):
            token = {"access_token": token[0]}
        return WebApplicationClient(self.consumer_key, token=token)

    def get_oauth1_client_params(self, token: Any) -> dict[str, Any]:
        """OAuth 1.0a: the keyword arguments of ``oauthlib.oauth1.Client`` besides the
        consumer key and secret.

        The signer keys of :attr:`request_token_params` (``signature_method``,
        ``signature_type``, ``rsa_key``, ``realm``; ``realms`` joined into ``realm``),
        then :attr:`signature_method` and :attr:`rsa_key`, then the user's ``token``
        as ``resource_owner_key`` and ``resource_owner_secret``.

        :param token: a ``(token, secret)`` pair, an OAuth 1 token dict, or ``None``.
        :raises ValueError: for ``RSA-SHA1`` without an ``rsa_key``.
        :raises OAuthException: ``invalid_token`` if ``token`` has another shape.
        """
        given = self.request_token_params
        params: dict[str, Any] = {key: given[key] for key in OAUTH1_SIGNER_KEYS if key in given}
        realms = given.get("realms")
        if realms and "realm" not in params:
            params["realm"] = realms if isinstance(realms, str) else " ".join(realms)
        if self.signature_method:
            params["signature_method"] = self.signature_method
        if self.rsa_key:
            params["rsa_key"] = self.rsa_key
        if params.get("signature_method") == oauth1.SIGNATURE_RSA and not params.get("rsa_key"):
            raise ValueError("rsa_key is required when using signature_method: SIGNATURE_RSA")
        params.update(rfc5849.token_params(token))
        return params

    # -- transport -------------------------------------------------------------------------

    @staticmethod
    def http_request(
        uri: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        method: str | None = None,
    ) -> tuple[RemoteResponse, bytes]:
        """Send one HTTP request; return ``(response, body)``.

        Every request of the client (request and access tokens, refreshes, metadata, API
        calls) passes through here, looked up on the class at call time, so a test can
        replace it for all of them::

            with mock.patch.object(OAuthRemoteApp, "http_request") as http:
                http.return_value = (response, b'{"access_token": "t"}')

        A stand-in response needs ``code`` or ``status_code`` and ``headers``. The real
        one sends with ``requests`` over the app's pooled session (no cookies kept),
        with the calling remote app's timeout (10 s when called directly) as a deadline
        for the whole call. It follows no redirect that would send the body again, and
        none at all for token requests.

        :param uri: the full URL.
        :param headers: request headers.
        :param data: the body; with ``GET``, query parameters instead.
        :param method: the HTTP method, ``POST`` if there is data and ``GET`` otherwise.
        :raises OAuthException: ``timeout`` or ``network_error``.

        .. versionchanged:: 1.1
            Back from 0.9.6; sends with ``requests`` and returns a
            :class:`~flask_oauthlib_client.transport.RemoteResponse`.
        """
        return send(uri, headers, data, method)

    def _http(
        self,
        uri: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        method: str | None = None,
        follow_redirects: bool = True,
    ) -> tuple[Any, bytes]:
        """Call :meth:`http_request` (as looked up now) with this remote app's timeout."""
        with remote_call(self.name, self.timeout, follow_redirects, self.max_response_size):
            return self.http_request(uri, headers, data=data, method=method)

    def _token_http(
        self,
        uri: str,
        headers: Mapping[str, str] | None,
        data: Any,
        method: str,
        failure: str,
        kind: str = "invalid_response",
    ) -> tuple[Any, bytes]:
        """Send a request to a token endpoint, following no redirect.

        A token request carries the client's credentials and the code or verifier:
        none of it may travel on to wherever a redirect points.

        :param failure: the message of the exception raised on a redirect.
        :param kind: its type.
        :raises OAuthException: if the endpoint answers a redirect.
        """
        resp, content = self._http(uri, headers, data=data, method=method, follow_redirects=False)
        status = status_of(resp)
        if 300 <= status < 400:
            raise OAuthException(
                f"{failure}: the token endpoint answered a redirect ({status}),"
                " which token requests do not follow",
                type=kind,
            )
        return resp, content

    # -- token getters and savers ----------------------------------------------------------

    def tokengetter(self, f: F) -> F:
        """Register the function that returns the current user's token.

        It takes no arguments and returns the token as stored: the dict an OAuth 2
        server answered, a ``(token, secret)`` tuple for OAuth 1, or ``None``.
        """
        self._tokengetter = f
        return f

    def tokensaver(self, f: F) -> F:
        """Register the function that stores a refreshed OAuth 2 token.

        When the token from :meth:`tokengetter` has expired and carries a refresh
        token, :meth:`request` refreshes it first and passes the new token dict to this
        function, so the application can save it::

            @github.tokensaver
            def save_token(token):
                session["github_token"] = token

        .. versionadded:: 1.0
        """
        self._tokensaver = f
        return f

    #: the same decorator under the name requests-oauthlib users know
    token_updater = tokensaver

    def get_request_token(self) -> Any:
        """Return the token from the registered :meth:`tokengetter`.

        :raises OAuthException: ``token_missing`` if there is no getter or no token.
        """
        if self._tokengetter is None:
            raise OAuthException(
                f"{self.name}: register a tokengetter before making requests",
                type="token_missing",
            )
        token = self._tokengetter()
        if token is None:
            raise OAuthException("No token available", type="token_missing")
        return token

    # -- authorization ---------------------------------------------------------------------

    def authorize(
        self, callback: str | None = None, state: Any = None, **kwargs: Any
    ) -> BaseResponse:
        """Redirect the user to the remote authorization page.

        :param callback: the absolute URL the server sends the user back to (required
            for OAuth 2; for OAuth 1.0a a relative one is joined to the request URL).
        :param state: an optional value (or a callable returning one) sent to the server
            and returned on the callback. Without one, a random value is used. Either
            way it is bound to this session and checked once on the callback.
        :param kwargs: extra query parameters for the authorization URL.
        """
        if self.request_token_url:
            oauth_token, _secret = self.generate_request_token(callback)
            url = add_params_to_uri(
                self.expand_url(self.authorize_url), [("oauth_token", oauth_token)]
            )
            if kwargs:
                url = add_params_to_uri(url, list(kwargs.items()))
            return redirect(url)
        if not callback:
            raise ValueError(f"{self.name}: OAuth 2 authorization needs a callback URL")
        client = self.make_client()
        authorize_url = self.expand_url(self.authorize_url)
        params = dict(self.request_token_params)
        params.update(kwargs)
        scope = params.pop("scope", None)
        given_state = params.pop("state", None)
        state = state if state is not None else given_state
        if callable(state):
            state = state()
        if state is None:
            state = secrets.token_urlsafe(24) if self.enforce_state else None
        pending: dict[str, str] = {"redir": callback}
        if self.enforce_state:
            pending["state"] = str(state)
        if self.pkce:
            verifier = create_verifier()
            pending["pkce"] = verifier
            params.setdefault("code_challenge", s256_challenge(verifier))
            params.setdefault("code_challenge_method", "S256")
        self._remember_pending(pending)
        try:
            url = client.prepare_request_uri(
                authorize_url, redirect_uri=callback, scope=scope, state=state, **params
            )
        except InsecureTransportError:
            raise OAuthException(INSECURE_TRANSPORT_HINT, type="insecure_transport") from None
        log.debug("redirecting to the authorization page of %s", self.name)
        return redirect(url)

    def generate_request_token(self, callback: str | None = None) -> tuple[str, str]:
        """OAuth 1.0a: fetch a request token and keep it in the session.

        :param callback: the URL the server sends the user back to; a relative one is
            joined to the current request's URL.
        :returns: the ``(oauth_token, oauth_token_secret)`` pair.
        :raises OAuthException: ``token_generation_failed`` if the server refuses.
        """
        if callback and has_request_context():
            callback = urljoin(request.url, callback)
        client = self.make_client()
        client.callback_uri = callback
        params = {
            key: value
            for key, value in self.request_token_params.items()
            if key not in OAUTH1_SIGNER_KEYS and key != "realms"
        }
        url = self.expand_url(self.request_token_url or "")
        if params:
            url = add_params_to_uri(url, list(params.items()))
        method = self.request_token_method
        uri, headers, body = rfc5849.sign(client, url, method, encoding=self.encoding)
        failure = "Failed to generate request token"
        resp, content = self._token_http(
            uri, headers, body, method, failure, kind="token_generation_failed"
        )
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201):
            raise OAuthException(failure, type="token_generation_failed", data=data)
        try:
            pair = (str(data["oauth_token"]), str(data["oauth_token_secret"]))
        except (KeyError, TypeError):
            raise OAuthException(
                "The request token response has no oauth_token", type="token_generation_failed"
            ) from None
        session[self._session_key("tok")] = pair
        return pair

    def authorized_response(self, args: Mapping[str, str] | None = None) -> Any:
        """Handle the callback: exchange what the server sent back for a token.

        Returns the token data (a dict), or ``None`` when the callback carries no
        ``oauth_verifier`` (OAuth 1.0a) or ``code`` (OAuth 2): the user denied access, or
        the server answered another error, which :attr:`callback_error` then tells.

        :param args: the callback's query parameters; ``request.args`` by default.
        :raises OAuthException: on a forged or replayed ``state`` (``invalid_state``),
            an issuer mismatch, or no ``iss`` when the server's metadata advertises it
            (``invalid_issuer``), or an error from the token endpoint.

        .. versionchanged:: 1.1
            The kind of callback is decided by the remote app's protocol, not by which
            parameter comes first.
        """
        if args is None:
            args = request.args
        callback.forget(self.name)
        try:
            speaks_oauth1 = bool(self.request_token_url)
            if speaks_oauth1 and "oauth_verifier" in args:
                return self.handle_oauth1_response(args)
            if not speaks_oauth1 and "code" in args:
                return self.handle_oauth2_response(args)
            if not speaks_oauth1 and self.enforce_state:
                self._take_pending(args)  # an error answer ends its own login only
            callback.remember(self.name, args)
            return self.handle_unknown_response()
        finally:
            if speaks_oauth1:
                session.pop(self._session_key("tok"), None)

    def authorized_handler(self, f: F) -> F:
        """Decorate a callback view; it receives the token data as its first argument.

        .. deprecated:: 0.7
            Call :meth:`authorized_response` in the view instead.
        """
        warnings.warn(
            "authorized_handler is deprecated; call authorized_response() in the view",
            DeprecationWarning,
            stacklevel=2,
        )

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            data = self.authorized_response()
            return f(data, *args, **kwargs)

        return decorated  # type: ignore[return-value]

    def handle_oauth1_response(self, args: Mapping[str, str]) -> Any:
        """OAuth 1.0a: exchange the verifier for an access token."""
        pair = session.get(self._session_key("tok"))
        if not pair:
            raise OAuthException(
                "Token not found, maybe you disabled cookie", type="token_not_found"
            )
        returned = args.get("oauth_token")
        if returned is not None and not _same(returned, pair[0]):
            raise OAuthException("The callback is for another request token", type="invalid_state")
        client = self.make_client(pair)
        client.verifier = args.get("oauth_verifier")
        method = self.access_token_method
        uri, headers, body = rfc5849.sign(
            client,
            self.expand_url(self.access_token_url),
            method,
            headers=self.access_token_headers,
            encoding=self.encoding,
        )
        failure = f"Invalid response from {self.name}"
        resp, content = self._token_http(uri, headers, body, method, failure)
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201):
            raise OAuthException(failure, type="invalid_response", data=data)
        return data

    def handle_oauth2_response(self, args: Mapping[str, str]) -> Any:
        """OAuth 2: check ``state`` and ``iss``, then exchange the code for a token."""
        pending = self._check_state(args)
        self._check_issuer(args)
        params: dict[str, Any] = {
            "code": args.get("code"),
            "client_secret": self.consumer_secret,
            "redirect_uri": pending.get("redir"),
        }
        verifier = pending.get("pkce")
        if verifier:
            params["code_verifier"] = verifier
        params.update(self.access_token_params)
        body = self.make_client().prepare_request_body(**params)
        data = self._token_request(body, f"Invalid response from {self.name}")
        log.debug("obtained an access token from %s", self.name)
        return data

    def handle_unknown_response(self) -> None:
        """The callback carried neither a code nor a verifier: access was denied, or see
        :attr:`callback_error`."""
        return None

    @property
    def callback_error(self) -> callback.CallbackError | None:
        """The error of this request's callback when :meth:`authorized_response`
        returned ``None``: ``error`` (``access_denied``, ``invalid_scope``,
        ``server_error``, ...), ``description`` and ``uri`` as the server sent them
        (for logs and developers; show users a sentence of your own).

        .. versionadded:: 1.1
        """
        return callback.recall(self.name)

    def _pending(self) -> list[dict[str, str]]:
        """The OAuth 2 authorizations started in this session and not yet called back,
        oldest first: each a dict of ``state`` (unless ``enforce_state`` is off),
        ``pkce`` (the verifier, if PKCE is on) and ``redir`` (the redirect URI).

        A login started before 1.1 (single ``state``, ``pkce`` and ``redir`` keys) is
        taken over.
        """
        stored = session.get(self._session_key("pending"))
        pending = (
            [item for item in stored if isinstance(item, dict)] if isinstance(stored, list) else []
        )
        legacy = {what: session.pop(self._session_key(what), None) for what in LEGACY_KEYS}
        if any(isinstance(value, str) for value in legacy.values()):
            pending.append({k: v for k, v in legacy.items() if isinstance(v, str)})
        return pending[-MAX_PENDING:]

    def _remember_pending(self, entry: dict[str, str]) -> None:
        """Add an authorization to :meth:`_pending`, forgetting the oldest beyond
        :data:`MAX_PENDING`."""
        pending = [*self._pending(), entry][-MAX_PENDING:]
        session[self._session_key("pending")] = pending

    def _take_pending(self, args: Mapping[str, str]) -> dict[str, str] | None:
        """Remove and return the pending authorization ``args`` answers: the one whose
        ``state`` matches (the latest one when ``enforce_state`` is off). Others stay,
        so a stray or forged callback aborts no login in progress."""
        pending = self._pending()
        returned = args.get("state")
        found: dict[str, str] | None = None
        if not self.enforce_state:
            found = pending[-1] if pending else None
        elif returned is not None:
            for entry in pending:
                expected = entry.get("state")
                if expected and _same(returned, expected):
                    found = entry
        if found is not None:
            pending.remove(found)
            session[self._session_key("pending")] = pending
        return found

    def _check_state(self, args: Mapping[str, str]) -> dict[str, str]:
        """Take the pending authorization of this callback (see :meth:`_take_pending`).

        :raises OAuthException: ``invalid_state`` if ``state`` matches none.
        """
        found = self._take_pending(args)
        if found is not None:
            return found
        if not self.enforce_state:
            return {}
        log.warning("rejected a callback from %s: state mismatch", self.name)
        raise OAuthException(
            "The state parameter does not match this session (possible CSRF)",
            type="invalid_state",
        )

    def _check_issuer(self, args: Mapping[str, str]) -> None:
        """RFC 9207: an ``iss`` must match :attr:`issuer`; it must be there when the
        server's metadata says it sends one (section 2.4)."""
        returned = args.get("iss")
        if returned is None:
            if self._sends_issuer():
                log.warning("rejected a callback from %s: no iss parameter", self.name)
                raise OAuthException(
                    f"The authorization response lacks the iss parameter {self.name}"
                    " advertises (possible mix-up attack)",
                    type="invalid_issuer",
                )
            return
        issuer = self.issuer
        if issuer is not None and not _same(returned, issuer):
            raise OAuthException(
                f"The authorization response comes from another issuer than {self.name}'s",
                type="invalid_issuer",
            )

    def _sends_issuer(self) -> bool:
        """Whether the server's metadata has ``authorization_response_iss_parameter_supported``."""
        if not self._settings.get("server_metadata_url"):
            return False
        return self.server_metadata.get("authorization_response_iss_parameter_supported") is True

    # -- token requests --------------------------------------------------------------------

    def _token_request(self, body: str, failure: str, method: str | None = None) -> dict[str, Any]:
        """Send an OAuth 2 token request; parse the answer.

        :param body: the urlencoded parameters.
        :param failure: the message of the :class:`OAuthException` raised on failure.
        :param method: ``POST`` or ``GET``; :attr:`access_token_method` by default.
        """
        resp, content = self._send_token_request(method or self.access_token_method, body, failure)
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201) or not isinstance(data, dict):
            raise OAuthException(failure, type="invalid_response", data=data)
        problem = _token_problem(data)
        if problem is not None:
            log.warning("%s: refused a token response: %s", self.name, problem)
            raise OAuthException(f"{failure}: {problem}", type="invalid_response")
        if data.get("expires_in") is not None and data.get("expires_at") is None:
            data["expires_at"] = int(time.time() + float(data["expires_in"]))
        return data

    def _send_token_request(self, method: str, body: str, failure: str) -> tuple[Any, bytes]:
        """Send ``body`` to the token URL as a form (``POST``) or a query string (``GET``).

        :param failure: the message of the exception raised if the URL redirects.
        """
        headers = dict(self.access_token_headers)
        url = self.expand_url(self.access_token_url)
        if method == "POST":
            headers.setdefault("Content-Type", FORM_TYPE)
            return self._token_http(url, headers, body.encode(self.encoding), "POST", failure)
        if method == "GET":
            self._warn_get_once()
            url += ("&" if "?" in url else "?") + body
            return self._token_http(url, headers, None, "GET", failure)
        raise OAuthException(
            f"Unsupported access_token_method: {method}", type="invalid_configuration"
        )

    def _warn_get_once(self) -> None:
        """Log, once per remote app, that ``GET`` puts credentials in the token URL."""
        if self._warned_get:
            return
        self._warned_get = True
        log.warning(
            "%s: access_token_method is GET, so the client secret, the code and the PKCE"
            " verifier travel in the token URL, where access logs keep them; use POST"
            " unless the server refuses it",
            self.name,
        )

    def _parse_token_response(self, resp: Any, content: bytes, failure: str) -> Any:
        try:
            return parse_response(resp, content, content_type=self.content_type)
        except (ValueError, SyntaxError, RecursionError):  # SyntaxError: malformed XML
            raise OAuthException(
                f"{failure}: the body cannot be parsed", type="invalid_response"
            ) from None

    def refresh_token(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """OAuth 2: exchange ``token["refresh_token"]`` for a new token.

        The request is a ``POST`` whatever :attr:`access_token_method` says. The new
        token is passed to the :meth:`tokensaver` and returned. A refresh token the
        server does not rotate is carried over.

        Refreshes of one refresh token are serialized within the process: a thread that
        waited while another refreshed the same token takes that new token (and passes
        it to its :meth:`tokensaver` too, for storage kept per request) rather than
        spending the refresh token again, which a server that rotates refresh tokens
        refuses, and may answer by revoking the grant. Across processes it is the
        storage behind the :meth:`tokensaver` and :meth:`tokengetter` that decides: an
        app with several workers that share tokens should lock there, or hand requests
        of one user to one worker.

        :raises OAuthException: ``refresh_failed`` if the server refuses.

        .. versionadded:: 1.0

        .. versionchanged:: 1.1
            Serialized per refresh token within the process.
        """
        return self._refresh(token, reread=False)

    def _refresh(self, token: Mapping[str, Any], reread: bool) -> dict[str, Any]:
        """Refresh ``token`` unless another thread did, holding its refresh token's lock.

        :param reread: ``token`` came from the :meth:`tokengetter`: read it again once
            the lock is held, and take what it returns if another thread replaced it.
        """
        with self._refresh_locks.hold(str(token["refresh_token"])) as flight:
            if flight.result is None and reread and self._tokengetter is not None:
                current = self._tokengetter()
                if _replaced(token, current):
                    log.debug("%s: the token was refreshed meanwhile", self.name)
                    return dict(current)
            if flight.result is None:
                flight.result = self._redeem_refresh_token(token)
                return flight.result
            log.debug("%s: another thread refreshed the token", self.name)
            new = dict(flight.result)
            if self._tokensaver is not None:
                self._tokensaver(new)
            return new

    def _redeem_refresh_token(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """Send the refresh request of :meth:`refresh_token`; save and return the token."""
        body = self.make_client().prepare_refresh_body(
            refresh_token=token["refresh_token"],
            client_id=self.consumer_key,
            client_secret=self.consumer_secret,
        )
        try:
            new = self._token_request(
                body, f"Could not refresh the token of {self.name}", method="POST"
            )
        except OAuthException as exc:
            raise OAuthException(exc.message, type="refresh_failed", data=exc.data) from exc
        new.setdefault("refresh_token", token["refresh_token"])
        if self._tokensaver is not None:
            self._tokensaver(new)
        return new

    def _fresh(self, token: Any, stored: bool) -> Any:
        """Return ``token``, refreshed first if it expires within ``REFRESH_LEEWAY`` s.

        :param stored: ``token`` came from the :meth:`tokengetter`.
        """
        if not _expiring(token):
            return token
        return self._refresh(token, reread=stored)

    # -- API requests ----------------------------------------------------------------------

    def request(
        self,
        url: str,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        format: str | None = "urlencoded",
        method: str = "GET",
        content_type: str | None = None,
        token: Any = None,
    ) -> OAuthResponse:
        """Send a request signed with (OAuth 1) or carrying (OAuth 2) the user's token.

        :param url: absolute, or relative to :attr:`base_url`.
        :param data: query parameters for ``GET``; the body otherwise.
        :param headers: extra request headers.
        :param format: ``"urlencoded"`` or ``"json"``: how ``data`` is encoded;
            ``None`` sends it as is.
        :param method: the HTTP method.
        :param content_type: send ``data`` as is with this content type (``format`` is
            then ignored).
        :param token: the token to use; the :meth:`tokengetter`'s by default. An expired
            OAuth 2 token with a refresh token is refreshed first.

        The signed request goes through :attr:`pre_request`, if set, then
        :meth:`http_request`.
        """
        method = method.upper()
        headers = dict(headers or {})
        stored = token is None
        if token is None:
            token = self.get_request_token()
        url = self.expand_url(url)
        body: Any = None
        if method == "GET":
            if data:
                items = data.items() if isinstance(data, Mapping) else data
                url = add_params_to_uri(url, list(items))
        elif content_type is not None:
            headers["Content-Type"] = content_type
            body = data
        elif data is not None:
            body, data_type = encode_request_data(data, format)
            if data_type:
                headers["Content-Type"] = data_type
        if self.request_token_url:
            client = self.make_client(token)
            url, headers, body = rfc5849.sign(
                client, url, method, body, headers, encoding=self.encoding
            )
        else:
            headers["Authorization"] = f"Bearer {oauth2_access_token(self._fresh(token, stored))}"
        if self.pre_request is not None:
            url, headers, body = self.pre_request(url, headers, body)
        if isinstance(body, str):
            body = body.encode(self.encoding)
        resp, content = self._http(url, headers, data=body, method=method)
        return OAuthResponse(resp, content, content_type=self.content_type)

    def get(self, *args: Any, **kwargs: Any) -> OAuthResponse:
        """Send a ``GET`` request; see :meth:`request`."""
        kwargs["method"] = "GET"
        return self.request(*args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> OAuthResponse:
        """Send a ``POST`` request; see :meth:`request`."""
        kwargs["method"] = "POST"
        return self.request(*args, **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> OAuthResponse:
        """Send a ``PUT`` request; see :meth:`request`."""
        kwargs["method"] = "PUT"
        return self.request(*args, **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> OAuthResponse:
        """Send a ``PATCH`` request; see :meth:`request`."""
        kwargs["method"] = "PATCH"
        return self.request(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> OAuthResponse:
        """Send a ``DELETE`` request; see :meth:`request`."""
        kwargs["method"] = "DELETE"
        return self.request(*args, **kwargs)


def _expiring(token: Any) -> bool:
    """Whether ``token`` is an OAuth 2 token with a refresh token that expires within
    ``REFRESH_LEEWAY`` seconds.

    An ``expires_at`` that is no finite number (a token stored by an older version, or
    by the application) counts as unknown: the token is used as is, and the server
    says whether it is still good.
    """
    if not isinstance(token, Mapping) or not token.get("refresh_token"):
        return False
    expires_at = _finite(token.get("expires_at"))
    return expires_at is not None and expires_at <= time.time() + REFRESH_LEEWAY


def _finite(value: Any) -> float | None:
    """``value`` as a finite float if it is a number or a numeric string, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _token_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with an OAuth 2 token response, or ``None`` if nothing is.

    ``access_token`` must be a non-empty string without control characters,
    ``token_type`` a string if present, ``expires_in`` a number of seconds between 0
    and :data:`MAX_LIFETIME` and ``expires_at`` a time before now plus that (numbers or
    numeric strings). The message never holds a value of the response.
    """
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        return "no access_token"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in access_token):
        return "the access_token holds control characters"
    if "token_type" in data and not isinstance(data["token_type"], str):
        return "the token_type is not a string"
    if data.get("expires_in") is not None:
        expires_in = _finite(data["expires_in"])
        if expires_in is None or not 0 <= expires_in <= MAX_LIFETIME:
            return "expires_in is not a sane number of seconds"
    if data.get("expires_at") is not None:
        expires_at = _finite(data["expires_at"])
        if expires_at is None or not 0 <= expires_at <= time.time() + MAX_LIFETIME:
            return "expires_at is not a sane time"
    return None


def _replaced(token: Mapping[str, Any], current: Any) -> bool:
    """Whether ``current``, read again from the tokengetter, is another token than
    ``token``."""
    return isinstance(current, Mapping) and any(
        current.get(key) != token.get(key) for key in ("access_token", "refresh_token")
    )


def _same(given: Any, expected: Any) -> bool:
    """Constant-time equality of two values as UTF-8 (any text, not only ASCII)."""
    return hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))


class UnknownFormat(ValueError, TypeError):
    """:func:`encode_request_data` got a format it does not know.

    A ``ValueError``, and a ``TypeError`` as 0.9.6 raised.
    """


def encode_request_data(data: Any, format: str | None) -> tuple[Any, str | None]:
    """Encode a request body as ``format``; return ``(body, content type)``.

    :param data: the data; ``None`` encodes as an empty object or form.
    :param format: ``"urlencoded"``, ``"json"``, or ``None`` to pass ``data`` through
        with no content type.
    :raises UnknownFormat: for any other format.
    """
    if format is None:
        return data, None
    if format == "json":
        return json.dumps(data if data is not None else {}), "application/json"
    if format == "urlencoded":
        if isinstance(data, str | bytes):
            return data, FORM_TYPE
        return urlencode(data or {}, doseq=True), FORM_TYPE
    raise UnknownFormat(f"unknown format {format!r}; use 'urlencoded', 'json' or None")


def oauth2_access_token(token: Any) -> str:
    """Return the access token from a token dict, a tuple or a plain string."""
    if isinstance(token, Mapping):
        return str(token["access_token"])
    if isinstance(token, tuple | list):
        return str(token[0])
    return str(token)
