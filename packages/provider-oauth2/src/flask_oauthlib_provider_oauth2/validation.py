"""What every part of the OAuth 2 validator shares: the storage functions, the lookups
cached on the request, and small rules used by several RFCs.

:class:`ValidatorBase` holds the storage functions; the validator's mixins
(:mod:`.clientauth`, :mod:`.tokens`, :mod:`.rfc7636`, :mod:`.rfc8628`, :mod:`.rfc7009`,
:mod:`.rfc7662`, :mod:`.rfc6750`) build on it, and :class:`~.OAuth2RequestValidator`
puts them together.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from oauthlib.oauth2 import RequestValidator
from oauthlib.oauth2.rfc6749 import errors

from . import signals
from .replay import MemoryReplayStore, ReplayStore
from .token_cache import RevocationListener, RevokedTokens, TokenCache

__all__ = [
    "ValidatorBase",
    "call_optional",
    "drop_wire_user",
    "field",
    "refuse_duplicates",
    "scopes_match",
]

log = logging.getLogger(__name__)

#: parameters a request may not repeat (oauthlib checks client_id, redirect_uri,
#: response_type and state itself; grant_type and scope only in some grants)
SINGLE_PARAMS = (
    "grant_type",
    "scope",
    "code",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "refresh_token",
    "client_secret",
    "username",
    "password",
    "token",
    # OpenID Connect
    "nonce",
    "prompt",
    "max_age",
    "claims",
    "id_token_hint",
    "login_hint",
    "display",
    "ui_locales",
    "acr_values",
    "request",
    "request_uri",
)


def refuse_duplicates(request: Any) -> dict[str, Any]:
    """Refuse a request that repeats a parameter whose value decides something: which
    of two values counts would be the server's guess. An oauthlib custom validator."""
    repeated = sorted(set(request.duplicate_params).intersection(SINGLE_PARAMS))
    if repeated:
        raise errors.InvalidRequestError(
            request=request, description=f"Duplicate {', '.join(repeated)} parameter."
        )
    return {}


def scopes_match(granted: Any, needed: list[str], request: Any) -> bool:
    """Whether a token's ``granted`` scopes satisfy ``needed``: all of them, or any one
    when the request says so (``require_all_scopes`` false: 0.9.6's rule)."""
    have = set(granted or ())
    if getattr(request, "require_all_scopes", True) is False:
        return bool(have.intersection(needed))
    return have.issuperset(needed)


def field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` otherwise (device records may be either)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def call_optional(obj: Any, method: str) -> None:
    """Call ``obj.<method>()`` if the storage object offers it."""
    hook = getattr(obj, method, None)
    if hook is not None:
        hook()


def drop_wire_user(request: Any) -> None:
    """Forget a ``user`` that came as a request parameter: only a validator sets users."""
    if isinstance(getattr(request, "user", None), str | bytes):
        request.user = None


class ValidatorBase(RequestValidator):
    """oauthlib's ``RequestValidator`` holding the provider's storage functions.

    :param clientgetter: ``f(client_id)`` returning a client object or ``None``.
    :param tokengetter: ``f(access_token=None, refresh_token=None)`` returning a token.
    :param grantgetter: ``f(client_id, code)`` returning a grant (authorization code).
    :param usergetter: ``f(username, password, client, request)`` for the password grant.
    :param tokensetter: ``f(token, request)`` saving a bearer token.
    :param grantsetter: ``f(client_id, code, request)`` saving a grant.
    :param devicegetter: ``f(device_code=...)`` returning a device authorization.
    :param devicesetter: ``f(device, request)`` saving a new device authorization.
    :param claimsgetter: ``f(user, request)`` returning the user's OpenID claims.
    :param logingetter: ``f()`` returning ``(user, auth_time)`` of the logged-in
        end-user, or ``None`` (OpenID Connect).
    :param clientsetter: ``f(client_id, client, request)`` saving a registered client,
        or deleting it when ``client`` is ``None`` (RFC 7591, RFC 7592).
    :param registration_policy: ``f(metadata, request)`` returning whether a client may
        register with ``metadata``.

    A 0.9.6 subclass whose ``__init__`` sets the getters itself without calling this one
    still works: the optional functions default to ``None``.

    :attr:`replay_store` records one-time values (:mod:`.replay`): a provider sets it
    to the store registered with :meth:`~.OAuth2Provider.replay_store`, or to its own
    memory store; a validator built alone gets a memory store of its own.

    :attr:`token_cache` and :attr:`revocation_hook` are the provider's token cache and
    the function telling of revocations (:mod:`.token_cache`), ``None`` without them.
    """

    #: where one-time values (DPoP and client assertion ``jti``) are recorded
    replay_store: ReplayStore
    #: answers ``require_oauth``'s token lookups before the tokengetter
    token_cache: TokenCache | None = None
    #: told of the tokens the validator revoked
    revocation_hook: RevocationListener | None = None

    _usergetter: Callable[..., Any] | None = None
    _tokensetter: Callable[..., Any] | None = None
    _grantsetter: Callable[..., Any] | None = None
    _devicegetter: Callable[..., Any] | None = None
    _devicesetter: Callable[..., Any] | None = None
    _claimsgetter: Callable[..., Any] | None = None
    _logingetter: Callable[..., Any] | None = None
    _clientsetter: Callable[..., Any] | None = None
    _registration_policy: Callable[..., Any] | None = None

    def __init__(
        self,
        clientgetter: Callable[..., Any],
        tokengetter: Callable[..., Any],
        grantgetter: Callable[..., Any],
        usergetter: Callable[..., Any] | None = None,
        tokensetter: Callable[..., Any] | None = None,
        grantsetter: Callable[..., Any] | None = None,
        devicegetter: Callable[..., Any] | None = None,
        devicesetter: Callable[..., Any] | None = None,
        claimsgetter: Callable[..., Any] | None = None,
        logingetter: Callable[..., Any] | None = None,
        clientsetter: Callable[..., Any] | None = None,
        registration_policy: Callable[..., Any] | None = None,
    ) -> None:
        self._clientgetter = clientgetter
        self._tokengetter = tokengetter
        self._usergetter = usergetter
        self._tokensetter = tokensetter
        self._grantgetter = grantgetter
        self._grantsetter = grantsetter
        self._devicegetter = devicegetter
        self._devicesetter = devicesetter
        self._claimsgetter = claimsgetter
        self._logingetter = logingetter
        self._clientsetter = clientsetter
        self._registration_policy = registration_policy
        self.replay_store = MemoryReplayStore()

    def _client(self, client_id: str | None, request: Any) -> Any:
        """The client ``client_id``, looked up once per request."""
        client = getattr(request, "client", None)
        if client is not None and getattr(client, "client_id", None) == client_id:
            return client
        if not client_id:
            return None
        client = self._clientgetter(client_id)
        if client is not None:
            request.client = client
        return client

    def revoke_stored(
        self, stored: Any, method: str, reason: str, client_id: str | None = None
    ) -> None:
        """Call ``stored.<method>()`` (``revoke_family``, ``revoke_issued_tokens``) if
        the storage object offers it, then tell :attr:`revocation_hook` that the tokens
        of a family were revoked.

        .. versionadded:: 1.1
        """
        if getattr(stored, method, None) is None:
            # nothing to revoke, the reuse is still worth telling
            if reason == "refresh_token_reuse" and signals.refresh_token_reuse_detected.receivers:
                signals.send_reuse_detected(RevokedTokens.of(stored, reason, family=True))
            return
        call_optional(stored, method)
        self.tokens_revoked(stored, reason, family=True, client_id=client_id)

    def tokens_revoked(
        self,
        stored: Any,
        reason: str,
        *,
        family: bool = False,
        access_token: str | None = None,
        client_id: str | None = None,
    ) -> None:
        """Tell :attr:`revocation_hook` what revoking ``stored`` revoked
        (:meth:`.RevokedTokens.of`), or, without a hook, send it as
        :data:`~.signals.token_revoked`; nothing is read from ``stored`` while neither
        a hook nor a receiver listens.

        .. versionadded:: 1.1
        """
        hook = self.revocation_hook
        if hook is None and not signals.revocation_watched():
            return
        (hook or signals.send_revoked)(
            RevokedTokens.of(
                stored, reason, family=family, access_token=access_token, client_id=client_id
            )
        )

    def _grant(self, client_id: str, code: str, request: Any) -> Any:
        """The grant for ``code``, looked up once per request."""
        cached = getattr(request, "_grant", None)
        if cached is not None and getattr(request, "_grant_code", None) == code:
            return cached
        grant = self._grantgetter(client_id=client_id, code=code)
        request._grant, request._grant_code = grant, code
        return grant
