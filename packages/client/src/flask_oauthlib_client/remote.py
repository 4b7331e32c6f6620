"""A remote application: one OAuth 1.0a or OAuth 2 server the Flask app talks to."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
import warnings
from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urljoin

import requests
from flask import redirect, request, session
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import WebApplicationClient
from werkzeug.wrappers import Response as BaseResponse

from .exceptions import OAuthException
from .pkce import create_verifier, s256_challenge
from .registry import OAuth
from .response import OAuthResponse, parse_response
from .settings import SettingsSource

if TYPE_CHECKING:
    from requests.auth import AuthBase
    from requests_oauthlib import OAuth1

__all__ = ["OAuthRemoteApp"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
Token = Mapping[str, Any] | tuple[str, ...] | list[str] | str

#: keys of ``request_token_params`` that configure the OAuth 1 signer, not the request
OAUTH1_SIGNER_KEYS = ("signature_method", "signature_type", "rsa_key", "realm")
#: a token that expires within this many seconds is refreshed before use
REFRESH_LEEWAY = 10


class OAuthRemoteApp:
    """One remote application (an OAuth 1.0a or OAuth 2 server).

    A remote app with a ``request_token_url`` speaks OAuth 1.0a; without one it speaks
    OAuth 2. Create it with :meth:`OAuth.remote_app`::

        github = oauth.remote_app(
            "github",
            base_url="https://api.github.com/",
            access_token_url="https://github.com/login/oauth/access_token",
            authorize_url="https://github.com/login/oauth/authorize",
            access_token_method="POST",
            request_token_params={"scope": "user:email"},
            app_key="GITHUB",
        )

    :param oauth: the :class:`OAuth` registry.
    :param name: the name; it prefixes the keys kept in the Flask session.
    :param base_url: the URL relative request URLs are joined to.
    :param request_token_url: OAuth 1.0a only: where request tokens come from.
    :param access_token_url: where the code (or verifier) is exchanged for a token.
    :param authorize_url: where the user is sent to authorize.
    :param consumer_key: the client key / client id.
    :param consumer_secret: the client secret.
    :param request_token_params: extra parameters for the request token URL (OAuth 1)
        or the authorize URL (OAuth 2, e.g. ``{"scope": "email"}``).
    :param request_token_method: HTTP method for the request token URL, ``GET`` by default.
    :param access_token_params: extra parameters for the access token URL.
    :param access_token_method: HTTP method for the access token URL, ``GET`` by
        default; most servers want ``POST``.
    :param access_token_headers: extra headers for the access token URL.
    :param content_type: parse the server's answers as this content type whatever the
        server says.
    :param app_key: read every setting not given here from ``app.config[app_key]``
        (a dict) or ``app.config[f"{app_key}_{SETTING}"]`` at use time.
    :param encoding: the encoding of request bodies.
    :param pkce: send a PKCE S256 challenge on OAuth 2 authorization (default ``True``).
    :param enforce_state: bind a one-time ``state`` to the session and check it on the
        callback (default ``True``).
    :param issuer: the server's issuer identifier; when set, an ``iss`` parameter on the
        callback must match it (RFC 9207).
    :param server_metadata_url: an OAuth 2 / OpenID Connect metadata document; endpoints
        and issuer not given are read from it.
    :param timeout: seconds to wait for the remote server on every call (default 10).

    .. versionchanged:: 1.0
        Added ``pkce``, ``enforce_state``, ``issuer``, ``server_metadata_url`` and
        ``timeout``; ``state`` and PKCE are on by default.
    """

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
    ) -> None:
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
            },
        )
        self._tokengetter: Callable[[], Any] | None = None
        self._tokensaver: Callable[[dict[str, Any]], Any] | None = None
        self._metadata: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<OAuthRemoteApp {self.name!r}>"

    # -- settings --------------------------------------------------------------------------

    @property
    def base_url(self) -> str | None:
        """The URL that relative request URLs are joined to."""
        return self._settings.get("base_url")  # type: ignore[no-any-return]

    @property
    def request_token_url(self) -> str | None:
        """OAuth 1.0a request token URL; ``None`` for OAuth 2."""
        return self._settings.get("request_token_url")  # type: ignore[no-any-return]

    @property
    def access_token_url(self) -> str:
        """The access token URL."""
        return self._endpoint("access_token_url", "token_endpoint")

    @property
    def authorize_url(self) -> str:
        """The authorization URL."""
        return self._endpoint("authorize_url", "authorization_endpoint")

    @property
    def consumer_key(self) -> str:
        """The client key (OAuth 1) or client id (OAuth 2)."""
        return self._settings.get("consumer_key", required=True)  # type: ignore[no-any-return]

    @property
    def consumer_secret(self) -> str | None:
        """The client secret; required for OAuth 1, optional for public OAuth 2 clients."""
        required = self.request_token_url is not None
        return self._settings.get("consumer_secret", required=required)  # type: ignore[no-any-return]

    @property
    def request_token_params(self) -> dict[str, Any]:
        """Extra parameters for the request token (OAuth 1) or authorize (OAuth 2) URL."""
        return dict(self._settings.get("request_token_params") or {})

    @property
    def request_token_method(self) -> str:
        """HTTP method for the request token URL."""
        return str(self._settings.get("request_token_method", "GET")).upper()

    @property
    def access_token_params(self) -> dict[str, Any]:
        """Extra parameters for the access token URL."""
        return dict(self._settings.get("access_token_params") or {})

    @property
    def access_token_method(self) -> str:
        """HTTP method for the access token URL."""
        return str(self._settings.get("access_token_method", "GET")).upper()

    @property
    def access_token_headers(self) -> dict[str, str]:
        """Extra headers for the access token URL."""
        return dict(self._settings.get("access_token_headers") or {})

    @property
    def content_type(self) -> str | None:
        """The content type forced on the server's answers, if any."""
        return self._settings.get("content_type")  # type: ignore[no-any-return]

    @property
    def pkce(self) -> bool:
        """Whether OAuth 2 authorization sends a PKCE S256 challenge."""
        return bool(self._settings.get("pkce", True))

    @property
    def enforce_state(self) -> bool:
        """Whether a one-time ``state`` is bound to the session and checked."""
        return bool(self._settings.get("enforce_state", True))

    @property
    def issuer(self) -> str | None:
        """The server's issuer identifier (RFC 9207), if known."""
        issuer = self._settings.get("issuer")
        if issuer is None and self._settings.get("server_metadata_url"):
            issuer = self.server_metadata.get("issuer")
        return issuer  # type: ignore[no-any-return]

    @property
    def timeout(self) -> float:
        """Seconds to wait for the remote server."""
        return float(self._settings.get("timeout", 10))

    @property
    def server_metadata(self) -> dict[str, Any]:
        """The server's metadata document, fetched once from ``server_metadata_url``."""
        if self._metadata is None:
            url = self._settings.get("server_metadata_url", required=True)
            resp = self._send("GET", url)
            if resp.status_code != 200:
                raise OAuthException(
                    f"{self.name}: metadata document answered {resp.status_code}",
                    type="invalid_metadata",
                )
            try:
                document = resp.json()
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
            for OAuth 2).
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
        client = WebApplicationClient(self.consumer_key)
        authorize_url = self.expand_url(self.authorize_url)
        params = self.request_token_params
        params.update(kwargs)
        scope = params.pop("scope", None)
        given_state = params.pop("state", None)
        state = state if state is not None else given_state
        if callable(state):
            state = state()
        if state is None:
            state = secrets.token_urlsafe(24) if self.enforce_state else None
        if self.enforce_state:
            session[self._session_key("state")] = str(state)
        if self.pkce:
            verifier = create_verifier()
            session[self._session_key("pkce")] = verifier
            params.setdefault("code_challenge", s256_challenge(verifier))
            params.setdefault("code_challenge_method", "S256")
        session[self._session_key("redir")] = callback
        url = client.prepare_request_uri(
            authorize_url,
            redirect_uri=callback,
            scope=scope,
            state=state,
            **params,
        )
        log.debug("redirecting to the authorization page of %s", self.name)
        return redirect(url)

    def generate_request_token(self, callback: str | None = None) -> tuple[str, str]:
        """OAuth 1.0a: fetch a request token and keep it in the session.

        :raises OAuthException: ``token_generation_failed`` if the server refuses.
        """
        params = self.request_token_params
        signer = {key: params.pop(key) for key in OAUTH1_SIGNER_KEYS if key in params}
        realms = params.pop("realms", None)
        if realms and "realm" not in signer:
            signer["realm"] = " ".join(realms) if not isinstance(realms, str) else realms
        auth = self._oauth1_auth(callback_uri=callback, **signer)
        url = self.expand_url(self.request_token_url or "")
        if params:
            url = add_params_to_uri(url, list(params.items()))
        resp = self._send(self.request_token_method, url, auth=auth)
        data = self._parse_token_response(resp, "Failed to generate request token")
        if resp.status_code not in (200, 201):
            raise OAuthException(
                "Failed to generate request token", type="token_generation_failed", data=data
            )
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

        Returns the token data (a dict), or ``None`` when the user denied access.

        :param args: the callback's query parameters; ``request.args`` by default.
        :raises OAuthException: on a forged or replayed ``state`` (``invalid_state``),
            an issuer mismatch (``invalid_issuer``) or an error from the token endpoint.
        """
        if args is None:
            args = request.args
        try:
            if "oauth_verifier" in args:
                return self.handle_oauth1_response(args)
            if "code" in args:
                return self.handle_oauth2_response(args)
            return self.handle_unknown_response()
        finally:
            for what in ("tok", "redir", "state", "pkce"):
                session.pop(self._session_key(what), None)

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
        auth = self._oauth1_auth(
            resource_owner_key=pair[0],
            resource_owner_secret=pair[1],
            verifier=args.get("oauth_verifier"),
        )
        url = self.expand_url(self.access_token_url)
        resp = self._send(
            self.access_token_method, url, auth=auth, headers=self.access_token_headers
        )
        data = self._parse_token_response(resp, f"Invalid response from {self.name}")
        if resp.status_code not in (200, 201):
            raise OAuthException(
                f"Invalid response from {self.name}", type="invalid_response", data=data
            )
        return data

    def handle_oauth2_response(self, args: Mapping[str, str]) -> Any:
        """OAuth 2: check ``state`` and ``iss``, then exchange the code for a token."""
        self._check_state(args)
        self._check_issuer(args)
        params: dict[str, Any] = {
            "code": args.get("code"),
            "client_secret": self.consumer_secret,
            "redirect_uri": session.get(self._session_key("redir")),
        }
        verifier = session.get(self._session_key("pkce"))
        if verifier:
            params["code_verifier"] = verifier
        params.update(self.access_token_params)
        body = WebApplicationClient(self.consumer_key).prepare_request_body(**params)
        data = self._token_request(body, f"Invalid response from {self.name}")
        log.debug("obtained an access token from %s", self.name)
        return data

    def handle_unknown_response(self) -> None:
        """The callback carried neither a code nor a verifier: access was denied."""
        return None

    def _check_state(self, args: Mapping[str, str]) -> None:
        if not self.enforce_state:
            return
        expected = session.get(self._session_key("state"))
        returned = args.get("state")
        if not expected or returned is None or not _same(returned, expected):
            log.warning("rejected a callback from %s: state mismatch", self.name)
            raise OAuthException(
                "The state parameter does not match this session (possible CSRF)",
                type="invalid_state",
            )

    def _check_issuer(self, args: Mapping[str, str]) -> None:
        issuer = self.issuer
        returned = args.get("iss")
        if issuer is None or returned is None:
            return
        if not _same(returned, issuer):
            raise OAuthException(
                f"The authorization response comes from another issuer than {self.name}'s",
                type="invalid_issuer",
            )

    # -- token requests --------------------------------------------------------------------

    def _token_request(self, body: str, failure: str) -> dict[str, Any]:
        """Send an OAuth 2 token request with ``access_token_method``; parse the answer."""
        headers = self.access_token_headers
        url = self.expand_url(self.access_token_url)
        method = self.access_token_method
        if method == "POST":
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            resp = self._send("POST", url, headers=headers, data=body.encode(self.encoding))
        elif method == "GET":
            resp = self._send("GET", url + ("&" if "?" in url else "?") + body, headers=headers)
        else:
            raise OAuthException(
                f"Unsupported access_token_method: {method}", type="invalid_configuration"
            )
        data = self._parse_token_response(resp, failure)
        if resp.status_code not in (200, 201) or not isinstance(data, dict):
            raise OAuthException(failure, type="invalid_response", data=data)
        if "expires_in" in data and "expires_at" not in data:
            try:
                data["expires_at"] = int(time.time()) + int(data["expires_in"])
            except (TypeError, ValueError):
                pass
        return data

    def _parse_token_response(self, resp: requests.Response, failure: str) -> Any:
        try:
            return parse_response(resp, resp.content, content_type=self.content_type)
        except ValueError:
            raise OAuthException(
                f"{failure}: the body cannot be parsed", type="invalid_response"
            ) from None

    def refresh_token(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """OAuth 2: exchange ``token["refresh_token"]`` for a new token.

        The new token is passed to the :meth:`tokensaver` and returned. A refresh token
        the server does not rotate is carried over.

        :raises OAuthException: ``refresh_failed`` if the server refuses.

        .. versionadded:: 1.0
        """
        client = WebApplicationClient(self.consumer_key)
        body = client.prepare_refresh_body(
            refresh_token=token["refresh_token"],
            client_id=self.consumer_key,
            client_secret=self.consumer_secret,
        )
        try:
            new = self._token_request(body, f"Could not refresh the token of {self.name}")
        except OAuthException as exc:
            raise OAuthException(exc.message, type="refresh_failed", data=exc.data) from exc
        new.setdefault("refresh_token", token["refresh_token"])
        if self._tokensaver is not None:
            self._tokensaver(new)
        return new

    def _fresh(self, token: Any) -> Any:
        if not isinstance(token, Mapping) or not token.get("refresh_token"):
            return token
        expires_at = token.get("expires_at")
        if expires_at is None or float(expires_at) > time.time() + REFRESH_LEEWAY:
            return token
        return self.refresh_token(token)

    # -- API requests ----------------------------------------------------------------------

    def request(
        self,
        url: str,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        format: str = "urlencoded",
        method: str = "GET",
        content_type: str | None = None,
        token: Any = None,
    ) -> OAuthResponse:
        """Send a request signed with (OAuth 1) or carrying (OAuth 2) the user's token.

        :param url: absolute, or relative to :attr:`base_url`.
        :param data: query parameters for ``GET``; the body otherwise.
        :param headers: extra request headers.
        :param format: ``"urlencoded"`` or ``"json"``: how ``data`` is encoded.
        :param method: the HTTP method.
        :param content_type: send ``data`` as is with this content type (``format`` is
            then ignored).
        :param token: the token to use; the :meth:`tokengetter`'s by default. An expired
            OAuth 2 token with a refresh token is refreshed first.
        """
        method = method.upper()
        headers = dict(headers or {})
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
            body, headers["Content-Type"] = encode_request_data(data, format)
        if isinstance(body, str):
            body = body.encode(self.encoding)
        if self.request_token_url:
            key, secret = oauth1_token_pair(token)
            auth: AuthBase = self._oauth1_auth(resource_owner_key=key, resource_owner_secret=secret)
            resp = self._send(method, url, headers=headers, data=body, auth=auth)
        else:
            access_token = oauth2_access_token(self._fresh(token))
            headers["Authorization"] = f"Bearer {access_token}"
            resp = self._send(method, url, headers=headers, data=body)
        return OAuthResponse(resp, resp.content, content_type=self.content_type)

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

    # -- transport -------------------------------------------------------------------------

    def _oauth1_auth(self, **kwargs: Any) -> OAuth1:
        # imported on first OAuth 1 use: OAuth 2 apps never pay for it
        from requests_oauthlib import OAuth1

        from flask_oauthlib_core import install_redaction

        install_redaction()  # its loggers exist now
        params = self.request_token_params
        for key in OAUTH1_SIGNER_KEYS:
            if key in params:
                kwargs.setdefault(key, params[key])
        return OAuth1(self.consumer_key, client_secret=self.consumer_secret, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one HTTP request; network failures become ``OAuthException``."""
        http = OAuth._state().http
        try:
            return http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise OAuthException(
                f"{self.name} did not answer within {self.timeout:g} s", type="timeout"
            ) from None
        except requests.RequestException as exc:
            # the exception text may hold the URL, and with it a client secret
            raise OAuthException(
                f"Could not reach {self.name} ({type(exc).__name__})", type="network_error"
            ) from None


def _same(given: Any, expected: Any) -> bool:
    """Constant-time equality of two values as UTF-8 (any text, not only ASCII)."""
    return hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))


def encode_request_data(data: Any, format: str) -> tuple[Any, str]:
    """Encode a request body as ``format`` (``urlencoded`` or ``json``)."""
    if format == "json":
        return json.dumps(data), "application/json"
    if format == "urlencoded":
        if isinstance(data, str | bytes):
            return data, "application/x-www-form-urlencoded"
        return urlencode(data, doseq=True), "application/x-www-form-urlencoded"
    raise ValueError(f"unknown format {format!r}; use 'urlencoded' or 'json'")


def oauth1_token_pair(token: Any) -> tuple[str, str]:
    """Return ``(token, secret)`` from a tuple or an OAuth 1 token dict."""
    if isinstance(token, Mapping):
        return str(token["oauth_token"]), str(token["oauth_token_secret"])
    if isinstance(token, tuple | list) and len(token) >= 2:
        return str(token[0]), str(token[1])
    raise OAuthException("an OAuth 1 token is a (token, secret) pair", type="invalid_token")


def oauth2_access_token(token: Any) -> str:
    """Return the access token from a token dict, a tuple or a plain string."""
    if isinstance(token, Mapping):
        return str(token["access_token"])
    if isinstance(token, tuple | list):
        return str(token[0])
    return str(token)
