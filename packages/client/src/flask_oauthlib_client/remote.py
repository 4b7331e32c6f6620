"""A remote application: one OAuth 1.0a or OAuth 2 server the Flask app talks to.

:class:`OAuthRemoteApp` is the face of the client: its constructor, the entry points of
a login (:meth:`~OAuthRemoteApp.authorize`, :meth:`~OAuthRemoteApp.authorized_response`),
the HTTP every call goes through (:meth:`~OAuthRemoteApp.http_request`) and the API
requests. The rest comes from its mixins: the settings from
:class:`~.settings.RemoteSettings` (the server's metadata cached per app by
:mod:`~.metadata`), the token getter and saver from :class:`~.tokens.TokenStorage`, the
protocols from :class:`~.oauth1.OAuth1Flow` and :class:`~.oauth2.OAuth2Flow` (with
:mod:`~.registration` and :mod:`~.rfc8707`). Every method is looked up through
``self``, so a subclass that overrides one (``make_client``, ``http_request``,
``handle_oauth2_response``, ...) changes every flow that uses it, as in 0.9.6.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urljoin

from flask import redirect, request, session
from oauthlib import oauth1
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import WebApplicationClient
from werkzeug.wrappers import Response as BaseResponse

from . import callback, rfc5849, signals
from .dpop import NonceMemory
from .oauth1 import OAuth1Flow
from .oauth2 import OAuth2Flow, oauth2_access_token
from .refresh import RefreshLocks
from .response import OAuthResponse
from .settings import Registry, RemoteSettings, SettingsSource, config_app
from .tokens import TokenStorage
from .transport import RemoteResponse, UnknownFormat, encode_request_data, remote_call, send

__all__ = ["OAuthRemoteApp", "UnknownFormat", "encode_request_data"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
#: ``(uri, headers, body) -> (uri, headers, body)``, see :attr:`OAuthRemoteApp.pre_request`
PreRequest = Callable[[str, dict[str, str], Any], tuple[str, dict[str, str], Any]]


class OAuthRemoteApp(RemoteSettings, TokenStorage, OAuth1Flow, OAuth2Flow):
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
        callback (default ``True``). Up to :data:`~.pending.MAX_PENDING` logins may be pending
        in one session (several tabs), each with its own ``state``, PKCE verifier and
        redirect URI; a callback consumes only the one whose ``state`` it carries.
    :param issuer: the server's issuer identifier; when set, an ``iss`` parameter on the
        callback must match it (RFC 9207).
    :param server_metadata_url: an OAuth 2 / OpenID Connect metadata document; endpoints,
        issuer, ``jwks_uri`` and ``userinfo_endpoint`` are read from it (required for
        ``openid``). With ``authorization_response_iss_parameter_supported`` in it, a
        callback without ``iss`` is refused (RFC 9207 section 2.4).
    :param timeout: the most seconds a call to the remote server may take, as a whole:
        connecting, the status line and headers, redirects and reading the answer
        (default 10). Past it the call fails with ``OAuthException(type="timeout")``.
    :param max_response_size: the most bytes an answer may have, counted decoded
        (after gzip) while it is read (default 10 MiB); past it the call fails with
        ``OAuthException(type="response_too_large")``.
    :param resource: RFC 8707 resource indicators: the URI of the API tokens are asked
        for, or a list of them (see :mod:`~.rfc8707`).
    :param use_par: push authorization requests (RFC 9126), to ``par_url`` or the
        metadata's endpoint; done anyway when the metadata requires it (:mod:`~.par`).
    :param request_object_signing_alg: sign authorization requests (RFC 9101,
        :mod:`~.jar`) with ``client_private_key`` (PEM or private JWK; ``client_key_id``
        its ``kid``), which ``token_endpoint_auth_method="private_key_jwt"`` uses too
        (RFC 7523, :mod:`~.client_assertion`).
    :param dpop: ``True`` or an algorithm: DPoP-bound tokens (RFC 9449, :mod:`~.dpop`).
    :raises TypeError: without ``consumer_key``, ``app_key`` and ``server_metadata_url``
        (whose server may register the client: :meth:`register`), as in 0.9.6.

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
        headers; token responses are validated; several logins may be pending. The
        server's metadata is cached per Flask app, not on the remote app. OpenID
        Connect: ID tokens verified (:mod:`~.oidc`), :meth:`userinfo`. Added
        ``resource`` (RFC 8707) and dynamic registration, :meth:`register` (RFC 7591).

    .. versionchanged:: 1.2
        Added ``use_par``, ``par_url``, ``request_object_signing_alg``,
        ``token_endpoint_auth_method``, ``client_private_key``, ``client_key_id``, ``dpop``.
    """

    #: An optional ``(uri, headers, body) -> (uri, headers, body)`` function applied to
    #: every API request (:meth:`request`) after signing, for servers that want
    #: something non-standard; 0.9.6's contrib apps used it. Assign it on the instance:
    #: ``weibo.pre_request = change_weibo_header``.
    pre_request: PreRequest | None = None

    def __init__(
        self,
        oauth: Registry,
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
        resource: str | Sequence[str] | None = None,
        use_par: bool | None = None,
        par_url: str | None = None,
        request_object_signing_alg: str | None = None,
        token_endpoint_auth_method: str | None = None,
        client_private_key: Any = None,
        client_key_id: str | None = None,
        dpop: bool | str | None = None,
    ) -> None:
        if not (consumer_key or app_key or server_metadata_url):
            raise TypeError(
                f"OAuthRemoteApp {name!r} requires a consumer key: pass consumer_key=,"
                " app_key= to read it from app.config, or server_metadata_url= to register"
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
                "resource": resource,
                "use_par": use_par,
                "par_url": par_url,
                "request_object_signing_alg": request_object_signing_alg,
                "token_endpoint_auth_method": token_endpoint_auth_method,
                "client_private_key": client_private_key,
                "client_key_id": client_key_id,
                "dpop": dpop,
            },
            app=lambda: config_app(self.oauth),
        )
        self._tokengetter: Callable[[], Any] | None = None
        self._tokensaver: Callable[[dict[str, Any]], Any] | None = None
        self._warned_get = False
        self._refresh_locks = RefreshLocks()
        self._dpop_nonces = NonceMemory()

    def __repr__(self) -> str:
        return f"<OAuthRemoteApp {self.name!r}>"

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
        :param kwargs: extra query parameters for the authorization URL; OAuth 2:
            ``resource`` (a URI or a list) over the remote app's (RFC 8707).
        """
        if self.request_token_url:
            return redirect(self._oauth1_authorization_url(callback, kwargs))
        if not callback:
            raise ValueError(f"{self.name}: OAuth 2 authorization needs a callback URL")
        url = self._oauth2_authorization_url(callback, state, kwargs)
        log.debug("redirecting to the authorization page of %s", self.name)
        return redirect(url)

    @signals.announce_login
    def authorized_response(self, args: Mapping[str, str] | None = None) -> Any:
        """Handle the callback: exchange what the server sent back for a token.

        Returns the token data (a dict), or ``None`` when the callback carries no
        ``oauth_verifier`` (OAuth 1.0a) or ``code`` (OAuth 2): the user denied access, or
        the server answered another error, which :attr:`callback_error` then tells.

        :param args: the callback's query parameters; ``request.args`` by default.
        :raises OAuthException: on a forged or replayed ``state`` (``invalid_state``),
            an issuer mismatch, or no ``iss`` when the server's metadata advertises it
            (``invalid_issuer``), an error from the token endpoint, or a refused ID token
            (see :meth:`handle_oauth2_response`).

        .. versionchanged:: 1.1
            The kind of callback is decided by the remote app's protocol, not by which
            parameter comes first; the ID token of an ``openid`` login is verified;
            sends :mod:`~.signals` ``oauth_authorized`` or ``oauth_error``.
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
                self._pending_logins().take(args.get("state"))  # ends its own login only
            callback.remember(self.name, args)
            return self.handle_unknown_response()
        finally:
            session.pop(self._session_key("tok" if speaks_oauth1 else "redir"), None)

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
            OAuth 2 token with a refresh token is refreshed first. A DPoP-bound one
            (:mod:`~.dpop`) is sent as ``Authorization: DPoP`` with a proof.

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
        key, access = None, None
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
            token = self._fresh(token, stored)
            key, access = self._dpop_token_key(token), oauth2_access_token(token)
            headers["Authorization"] = f"{'DPoP' if key else 'Bearer'} {access}"
        if self.pre_request is not None:
            url, headers, body = self.pre_request(url, headers, body)
        if isinstance(body, str):
            body = body.encode(self.encoding)
        resp, content = self._dpop_http(key, url, headers, body, method, access_token=access)
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
