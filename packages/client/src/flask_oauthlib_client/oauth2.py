"""The OAuth 2 flow of a remote app (RFC 6749, with RFC 7636 PKCE, RFC 9207 ``iss``,
OpenID Connect's ID token, :mod:`~flask_oauthlib_client.oidc`, RFC 8707 resource
indicators, :mod:`~flask_oauthlib_client.rfc8707`, and dynamic client registration,
:mod:`~flask_oauthlib_client.registration`).

:class:`OAuth2Flow` is a mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp`: the
authorization URL with its ``state`` and PKCE challenge, the callback's checks, the
code exchange and the validation of token responses, and token refresh. Its public
methods (:meth:`~OAuth2Flow.handle_oauth2_response`, :meth:`~OAuth2Flow.refresh_token`)
are methods of every remote app; a subclass may override them as in 0.9.6.

The logins started and not yet called back live in the Flask session
(:mod:`~flask_oauthlib_client.pending`).
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from flask import session
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError

from flask_oauthlib_core import equal_secrets, utcnow

from . import signals
from .dpop import DPoPSupport
from .exceptions import OAuthException
from .keys import SigningKey
from .oidc import CLAIMS_KEY, OpenIDConnect, wants_openid
from .par import PushedAuthorization
from .pending import PendingLogins
from .pkce import create_verifier, s256_challenge
from .refresh import RefreshLocks
from .registration import DynamicRegistration
from .rfc8707 import RESOURCE_KEY, ResourceIndicators, add_resources
from .settings import SettingsSource
from .token_endpoint import TokenEndpoint
from .transport import status_of

__all__ = [
    "INSECURE_TRANSPORT_HINT",
    "MAX_LIFETIME",
    "REFRESH_LEEWAY",
    "OAuth2Flow",
    "oauth2_access_token",
    "token_problem",
]

#: why an OAuth 2 authorization URL with ``http://`` is refused, and what to do locally
INSECURE_TRANSPORT_HINT = (
    "OAuth 2 requires https: the authorization URL is plain http. For local development"
    " only, set the environment variable OAUTHLIB_INSECURE_TRANSPORT=1 before starting"
    " the app."
)
#: a token that expires within this many seconds is refreshed before use
REFRESH_LEEWAY = 10
#: the longest lifetime, in seconds, a token response may announce (ten years)
MAX_LIFETIME = 10 * 365 * 24 * 3600

log = logging.getLogger(__name__)


class OAuth2Flow(
    TokenEndpoint,
    PushedAuthorization,
    DPoPSupport,
    OpenIDConnect,
    ResourceIndicators,
    DynamicRegistration,
):
    """The OAuth 2 half of :class:`~flask_oauthlib_client.OAuthRemoteApp`.

    A mixin: the settings, the oauthlib client (``make_client``) and the HTTP
    (``_token_http``) are the remote app's, so a subclass that overrides any of them
    changes this flow too.

    .. versionadded:: 1.1
        Split out of ``remote.py``; the methods are those of 1.0. A login whose scope
        holds ``openid`` sends a nonce and verifies its ID token (:mod:`~.oidc`);
        ``resource`` is sent (:mod:`~.rfc8707`); registration (:mod:`~.registration`).

    .. versionchanged:: 1.2
        Pushed (:mod:`~.par`) and signed (:mod:`~.jar`) authorization requests, DPoP
        (:mod:`~.dpop`), ``private_key_jwt`` (:mod:`~.client_assertion`).
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        encoding: str
        consumer_key: str
        consumer_secret: str | None
        access_token_url: str
        authorize_url: str
        access_token_method: str
        access_token_params: dict[str, Any]
        access_token_headers: dict[str, str]
        request_token_params: dict[str, Any]
        content_type: str | None
        pkce: bool
        enforce_state: bool
        issuer: str | None
        _settings: SettingsSource
        _tokengetter: Callable[[], Any] | None
        _tokensaver: Callable[[dict[str, Any]], Any] | None
        _refresh_locks: RefreshLocks
        _warned_get: bool

        @property
        def server_metadata(self) -> dict[str, Any]: ...
        def make_client(self, token: Any = None) -> Any: ...
        def expand_url(self, url: str) -> str: ...
        def _save_refreshed(self, new: dict[str, Any], previous: Mapping[str, Any]) -> None: ...
        def _session_key(self, what: str) -> str: ...

    # -- authorization ---------------------------------------------------------------------

    def _oauth2_authorization_url(
        self, callback: str, state: Any, params: Mapping[str, Any]
    ) -> str:
        """Return the authorization URL, remembering a pending login in the session.

        :param callback: the redirect URI.
        :param state: the ``state`` to send (or a callable returning it); a random one
            when ``None`` and ``enforce_state`` is on.
        :param params: extra query parameters, over :attr:`request_token_params`.
        :raises OAuthException: ``insecure_transport`` for a plain ``http`` URL;
            ``invalid_configuration`` for ``openid`` without ``server_metadata_url``, or
            with a ``max_age`` that is not a number of seconds, or for a ``resource``
            that is no absolute URI.
        :raises ImportError: for ``openid`` without the ``oidc`` extra.
        """
        client = self.make_client()
        authorize_url = self.expand_url(self.authorize_url)
        query = dict(self.request_token_params)
        query.update(params)
        scope = query.pop("scope", None)
        resources = self._authorization_resources(query)
        given_state = query.pop("state", None)
        state = state if state is not None else given_state
        if callable(state):
            state = state()
        if state is None:
            state = secrets.token_urlsafe(24) if self.enforce_state else None
        pending: dict[str, str] = {"redir": callback}
        if self.enforce_state:
            pending["state"] = str(state)
        if resources:
            pending[RESOURCE_KEY] = " ".join(resources)
        if wants_openid(scope):
            pending.update(self._openid_login(query, params.get("nonce")))
        if self.pkce:
            verifier = create_verifier()
            pending["pkce"] = verifier
            query.setdefault("code_challenge", s256_challenge(verifier))
            query.setdefault("code_challenge_method", "S256")
        self._dpop_login(pending, query)
        self._pending_logins().remember(pending)
        # 0.9.6 kept the redirect URI here; subclasses overriding handle_oauth2_response
        # (its reddit example) still read it
        session[self._session_key("redir")] = callback
        try:
            uri = client.prepare_request_uri(
                authorize_url, redirect_uri=callback, scope=scope, state=state, **query
            )
            return self._finish_authorization(add_resources(str(uri), resources, uri=True))
        except InsecureTransportError:
            raise OAuthException(INSECURE_TRANSPORT_HINT, type="insecure_transport") from None

    def _pending_logins(self) -> PendingLogins:
        """The logins of this remote app pending in the session."""
        return PendingLogins(self.name, self.enforce_state)

    # -- callback --------------------------------------------------------------------------

    def handle_oauth2_response(self, args: Mapping[str, str]) -> Any:
        """OAuth 2: check ``state`` and ``iss``, then exchange the code for a token.

        When the login asked for ``openid``, its ID token is verified (see
        :func:`~.id_token.verify_id_token`; with the ``max_age`` the login asked for, if
        any) and its claims added as ``id_token_claims``.

        :param args: the callback's query parameters.
        :returns: the token response, a dict with ``expires_at`` added when the server
            gave ``expires_in``, and ``resource`` when the login asked for resources.
        :raises OAuthException: ``invalid_state``, ``invalid_issuer``, or
            ``invalid_response`` when the token endpoint refuses or answers nonsense;
            for a refused ID token, a type of :data:`~.id_token.REFUSALS`.

        .. versionchanged:: 1.1
            Verifies the ID token of an OpenID Connect login.
        """
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
        resources = self._exchange_resources(params, pending)
        headers = self._client_authentication(params)
        body = add_resources(self.make_client().prepare_request_body(**params), resources)
        key = self._dpop_login_key(pending)
        failure = f"Invalid response from {self.name}"
        data = self._token_request(body, failure, headers=headers, dpop_key=key)
        self._bind_dpop(data, key)
        if resources:
            data.setdefault(RESOURCE_KEY, resources)
        log.debug("obtained an access token from %s", self.name)
        nonce = pending.get("nonce")
        if nonce is not None or (not pending and wants_openid(self._configured_scope())):
            data[CLAIMS_KEY] = self._verify_login(data, pending)
            log.debug("verified the ID token of %s", self.name)
        return data

    def _configured_scope(self) -> Any:
        """The scope of :attr:`request_token_params`, for a callback with no pending login."""
        return self.request_token_params.get("scope")

    def _check_state(self, args: Mapping[str, str]) -> dict[str, str]:
        """Take the pending login of this callback (see :meth:`PendingLogins.take`).

        :raises OAuthException: ``invalid_state`` if ``state`` matches none.
        """
        found = self._pending_logins().take(args.get("state"))
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
        if issuer is not None and not equal_secrets(returned, issuer):
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

    def _token_request(
        self,
        body: str,
        failure: str,
        method: str | None = None,
        headers: Mapping[str, str] | None = None,
        dpop_key: SigningKey | None = None,
    ) -> dict[str, Any]:
        """Send an OAuth 2 token request; parse and validate the answer.

        :param body: the urlencoded parameters.
        :param failure: the message of the :class:`OAuthException` raised on failure.
        :param method: ``POST`` or ``GET``; :attr:`access_token_method` by default.
        :param headers: headers over :attr:`access_token_headers` (client authentication).
        :param dpop_key: the DPoP key the request proves possession of, if any.
        :raises OAuthException: ``invalid_response`` (see :func:`token_problem`).
        """
        method = method or self.access_token_method
        resp, content = self._send_token_request(method, body, failure, headers, dpop_key)
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201) or not isinstance(data, dict):
            raise OAuthException(failure, type="invalid_response", data=data)
        problem = token_problem(data)
        if problem is not None:
            log.warning("%s: refused a token response: %s", self.name, problem)
            raise OAuthException(f"{failure}: {problem}", type="invalid_response")
        if data.get("expires_in") is not None and data.get("expires_at") is None:
            data["expires_at"] = int(_now() + float(data["expires_in"]))
        return data

    # -- refresh ---------------------------------------------------------------------------

    def refresh_token(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """OAuth 2: exchange ``token["refresh_token"]`` for a new token.

        The request is a ``POST`` whatever :attr:`access_token_method` says. The new
        token is passed to the :meth:`tokensaver` (with ``previous=token`` when it takes
        that keyword), told by :data:`~.signals.token_refreshed`, and returned (a
        failure is told by :data:`~.signals.oauth_error`). A refresh token the server
        does not rotate is carried over.

        Refreshes of one refresh token are serialized within the process: a thread that
        waited while another refreshed the same token takes that new token (and passes
        it to its :meth:`tokensaver` too, for storage kept per request) rather than
        spending the refresh token again, which a server that rotates refresh tokens
        refuses, and may answer by revoking the grant. Across processes it is the
        storage behind the :meth:`tokensaver` and :meth:`tokengetter` that decides: an
        app with several workers that share tokens should lock there, or hand requests
        of one user to one worker.

        The ``id_token_claims`` of an OpenID Connect token are carried over; an ID token
        the server sends with the new token is verified (as at login, without a nonce)
        and must be about the same user. The token's resource indicators
        (``token["resource"]``, else the configured ones: :mod:`~.rfc8707`) are asked
        for again. A DPoP-bound token's refresh carries a proof of its key (:mod:`~.dpop`).

        :param token: the token to refresh, with a ``refresh_token``.
        :returns: the new token.
        :raises OAuthException: ``refresh_failed`` if the server refuses, or the new ID
            token is refused.

        .. versionadded:: 1.0

        .. versionchanged:: 1.1
            Serialized per refresh token within the process; ID tokens verified;
            ``resource`` sent.
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
            self._save_refreshed(new, token)
            return new

    @signals.announce_refresh
    def _redeem_refresh_token(self, token: Mapping[str, Any]) -> dict[str, Any]:
        """Send the refresh request of :meth:`refresh_token`; save and return the token
        (and send :mod:`~.signals` ``token_refreshed``, or ``oauth_error``)."""
        params: dict[str, Any] = {
            "refresh_token": token["refresh_token"],
            "client_id": self.consumer_key,
            "client_secret": self.consumer_secret,
        }
        headers = self._client_authentication(params)
        resources = self._refresh_resources(token)
        body = add_resources(self.make_client().prepare_refresh_body(**params), resources)
        failure = f"Could not refresh the token of {self.name}"
        key = self._dpop_refresh_key(token)
        try:
            new = self._token_request(body, failure, "POST", headers, key)
        except OAuthException as exc:
            raise OAuthException(exc.message, type="refresh_failed", data=exc.data) from exc
        new.setdefault("refresh_token", token["refresh_token"])
        self._bind_dpop(new, key)
        if resources:
            new.setdefault(RESOURCE_KEY, resources)
        try:
            self._verify_refreshed(token, new)
        except OAuthException as exc:
            raise OAuthException(exc.message, type="refresh_failed") from exc
        self._save_refreshed(new, token)
        return new

    def _fresh(self, token: Any, stored: bool) -> Any:
        """Return ``token``, refreshed first if it expires within :data:`REFRESH_LEEWAY` s.

        :param stored: ``token`` came from the :meth:`tokengetter`.
        """
        if not _expiring(token):
            return token
        return self._refresh(token, reread=stored)


def _now() -> float:
    """The current time in seconds since the epoch, from the one clock of the project."""
    return utcnow().timestamp()


def _expiring(token: Any) -> bool:
    """Whether ``token`` is an OAuth 2 token with a refresh token that expires within
    :data:`REFRESH_LEEWAY` seconds.

    An ``expires_at`` that is no finite number (a token stored by an older version, or
    by the application) counts as unknown: the token is used as is, and the server
    says whether it is still good.
    """
    if not isinstance(token, Mapping) or not token.get("refresh_token"):
        return False
    expires_at = _finite(token.get("expires_at"))
    return expires_at is not None and expires_at <= _now() + REFRESH_LEEWAY


def _finite(value: Any) -> float | None:
    """``value`` as a finite float if it is a number or a numeric string, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def token_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with an OAuth 2 token response, or ``None`` if nothing is.

    ``access_token`` must be a non-empty string without control characters,
    ``token_type`` a string if present, ``expires_in`` a number of seconds between 0
    and :data:`MAX_LIFETIME` and ``expires_at`` a time before now plus that (numbers or
    numeric strings). The message never holds a value of the response.

    :param data: the parsed token response.
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
        if expires_at is None or not 0 <= expires_at <= _now() + MAX_LIFETIME:
            return "expires_at is not a sane time"
    return None


def _replaced(token: Mapping[str, Any], current: Any) -> bool:
    """Whether ``current``, read again from the tokengetter, is another token than
    ``token``."""
    return isinstance(current, Mapping) and any(
        current.get(key) != token.get(key) for key in ("access_token", "refresh_token")
    )


def oauth2_access_token(token: Any) -> str:
    """Return the access token from a token dict, a tuple or a plain string.

    :param token: ``{"access_token": ...}``, ``(access_token, ...)`` or the token itself.
    """
    if isinstance(token, Mapping):
        return str(token["access_token"])
    if isinstance(token, tuple | list):
        return str(token[0])
    return str(token)
