"""Signals of the OAuth 2 provider (blinker, as Flask's own signals): an audit log,
metrics or alerts built on what the provider did, without touching its storage.

Each signal is sent with the Flask app as sender (``None`` outside an app context) and
keyword arguments only; subscribe with ``connect`` or ``connect_via(app)``::

    from flask_oauthlib_provider_oauth2 import signals

    @signals.token_issued.connect_via(app)
    def audit(app, client_id, user, scopes, grant_type, **extra):
        app.logger.info("token for %s, user %s: %s", client_id, user, scopes)

Take ``**extra`` too: later versions may send more keywords. No signal ever carries a
token, code, secret, client assertion, DPoP proof or password; ``user`` is the provider's
user object (what the grant, token or ``usergetter`` holds), or ``None`` when there is
none or it is unknown.

Every signal is sent after the change it tells of is stored: the code or token saved by
the grantsetter or tokensetter, the token revoked, the client stored. Receivers run
synchronously in the request, and an exception a receiver raises propagates as with
Flask's own signals: the request fails (a 500) although what it stored stays stored. A
receiver that must never fail a request (a log handler, a metrics push) catches its own
errors. Nothing is built while a signal has no receivers.

The signals and their keyword arguments:

:data:`authorization_granted`
    the user allowed a client at the authorization endpoint and the code (or, for the
    implicit grant, the token) was saved: ``client_id``, ``user``, ``scopes`` (a list),
    ``response_type``.
:data:`authorization_denied`
    the user refused (the ``authorize_handler`` view returned ``False``): ``client_id``,
    ``user`` (the ``logingetter``'s, else ``None``), ``scopes``, ``response_type``.
:data:`token_issued`
    a token was issued by any grant but the refresh token grant and saved:
    ``client_id``, ``user``, ``scopes``, ``grant_type`` (``authorization_code``,
    ``client_credentials``, ``password``, ``implicit``, the device or JWT bearer grant's
    URN), ``token_type`` (``Bearer`` or ``DPoP``).
:data:`token_refreshed`
    a refresh token was exchanged for a new token, saved: the same keywords, with
    ``grant_type`` ``refresh_token``.
:data:`token_revoked`
    tokens were revoked in storage (every revocation the
    :meth:`~.OAuth2Provider.revocation_listener` functions hear of, the app's own
    :meth:`~.OAuth2Provider.tokens_revoked` too): ``client_id``, ``user``, ``scopes``
    (those of the token, grant or refresh token revoked), ``reason`` (``revocation``,
    ``rotation``, ``refresh_token_reuse``, ``code_replay``, or the app's word),
    ``family`` (whether more tokens of that client and user may have gone with it).
:data:`refresh_token_reuse_detected`
    a refresh token that was already used (rotated) or revoked was presented:
    ``client_id``, ``user``, ``scopes``. With storage that offers ``revoke_family()``
    (the ready models do) its family is revoked and this is sent after the
    :data:`token_revoked` of that family; without, it is sent alone.
:data:`client_authentication_failed`
    a client failed to authenticate (answered ``invalid_client``) at the token,
    revocation, introspection, device or pushed authorization endpoint: ``client_id``
    (the id it claimed, or ``None``: also for an id no client has, which may be a
    secret typed in its place), ``method`` (the authentication method it used, such
    as ``client_secret_basic``, or ``None``), ``reason`` (``no_credentials``,
    ``unknown_client``, ``wrong_method``, ``invalid_credentials``), ``grant_type``
    (``None`` outside the token endpoint).
:data:`client_registered`
    a client was registered and stored: by dynamic registration (RFC 7591) or by
    ``flask oauth2 create-client`` of flask-oauthlib-contrib-sqla: ``client_id``,
    ``user`` (``None``), ``scopes`` (those it may ask for), ``grant_types`` (a list, or
    ``None`` for any), ``is_confidential``, ``source`` (``registration`` or ``cli``).

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from blinker import Namespace
from flask import current_app, has_app_context, has_request_context
from flask import request as flask_request

from .endpoints import AUTHORIZATION_MARK

if TYPE_CHECKING:
    from .token_cache import RevokedTokens

__all__ = [
    "authorization_denied",
    "authorization_granted",
    "client_authentication_failed",
    "client_registered",
    "refresh_token_reuse_detected",
    "token_issued",
    "token_refreshed",
    "token_revoked",
]

_signals = Namespace()

#: the user allowed a client; the code (or implicit token) is saved
authorization_granted = _signals.signal("authorization-granted")
#: the user refused a client at the authorization endpoint
authorization_denied = _signals.signal("authorization-denied")
#: a token was issued (any grant but refresh) and saved
token_issued = _signals.signal("token-issued")
#: a refresh token was exchanged for a new token, saved
token_refreshed = _signals.signal("token-refreshed")
#: tokens were revoked in storage
token_revoked = _signals.signal("token-revoked")
#: a used or revoked refresh token was presented; its family is revoked
refresh_token_reuse_detected = _signals.signal("refresh-token-reuse-detected")
#: a client failed to authenticate
client_authentication_failed = _signals.signal("client-authentication-failed")
#: a client was registered (RFC 7591, or the command line)
client_registered = _signals.signal("client-registered")


# -- sending (what the provider's modules call) -----------------------------------------


def sender() -> Any:
    """The app the signals are sent for: the current app, ``None`` outside a context."""
    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


def scope_list(scopes: Any) -> list[str]:
    """``scopes`` (space-separated text, a sequence, or ``None``) as a list of strings."""
    if not scopes:
        return []
    if isinstance(scopes, str):
        return scopes.split()
    return [str(scope) for scope in scopes]


def _user(request: Any) -> Any:
    user = getattr(request, "user", None)
    return None if isinstance(user, str | bytes) else user


def _logged_in(validator: Any, request: Any) -> Any:
    """The end-user the ``logingetter`` names (OpenID Connect), or ``None``."""
    current_login = getattr(validator, "current_login", None)
    login = current_login(request) if current_login is not None else None
    return login[0] if login else None


def _client_id(request: Any) -> Any:
    return getattr(getattr(request, "client", None), "client_id", None) or getattr(
        request, "client_id", None
    )


def _at_authorization_endpoint() -> bool:
    return has_request_context() and bool(flask_request.environ.get(AUTHORIZATION_MARK))


def send_authorization_granted(validator: Any, request: Any, saved: Any = None) -> None:
    """Send :data:`authorization_granted` for the oauthlib ``request`` whose code (the
    grantsetter's answer ``saved``, if any) or implicit token was saved."""
    if not authorization_granted.receivers:
        return
    user = _user(request)
    if user is None:
        user = getattr(saved, "user", None)
    if user is None:
        user = _logged_in(validator, request)
    authorization_granted.send(
        sender(),
        client_id=_client_id(request),
        user=user,
        scopes=scope_list(getattr(request, "scopes", None)),
        response_type=getattr(request, "response_type", None),
    )


def send_authorization_denied(
    validator: Any, credentials: Mapping[str, Any], scopes: Iterable[str]
) -> None:
    """Send :data:`authorization_denied` for the authorization request ``credentials``."""
    if not authorization_denied.receivers:
        return
    authorization_denied.send(
        sender(),
        client_id=credentials.get("client_id"),
        user=_logged_in(validator, credentials.get("request")),
        scopes=scope_list(scopes),
        response_type=credentials.get("response_type"),
    )


def send_token_saved(validator: Any, token: Mapping[str, Any], request: Any) -> None:
    """Send :data:`token_issued` or :data:`token_refreshed` for the token just saved for
    the oauthlib ``request`` (and :data:`authorization_granted` for an implicit one)."""
    if not (token_issued.receivers or token_refreshed.receivers or authorization_granted.receivers):
        return  # the token endpoint's usual case: nobody listens, nothing is looked up
    implicit = _at_authorization_endpoint() or getattr(request, "grant_type", None) is None
    if implicit:
        send_authorization_granted(validator, request)
    grant_type = "implicit" if implicit else str(request.grant_type)
    signal = token_refreshed if grant_type == "refresh_token" else token_issued
    if not signal.receivers:
        return
    user = _user(request)
    if user is None and implicit:
        user = _logged_in(validator, request)
    signal.send(
        sender(),
        client_id=_client_id(request),
        user=user,
        scopes=scope_list(getattr(request, "scopes", None)),
        grant_type=grant_type,
        token_type=token.get("token_type"),
    )


def revocation_watched() -> bool:
    """Whether a receiver waits for :data:`token_revoked` or
    :data:`refresh_token_reuse_detected`."""
    return bool(token_revoked.receivers or refresh_token_reuse_detected.receivers)


def send_revoked(revoked: RevokedTokens) -> None:
    """Send :data:`token_revoked` (and :data:`refresh_token_reuse_detected` for a reuse)
    for :class:`~.token_cache.RevokedTokens`."""
    told = {"client_id": revoked.client_id, "user": revoked.user, "scopes": list(revoked.scopes)}
    if token_revoked.receivers:
        token_revoked.send(sender(), **told, reason=revoked.reason, family=revoked.family)
    if revoked.reason == "refresh_token_reuse" and refresh_token_reuse_detected.receivers:
        refresh_token_reuse_detected.send(sender(), **told)


def send_reuse_detected(revoked: RevokedTokens) -> None:
    """Send :data:`refresh_token_reuse_detected` alone: the storage offers no
    ``revoke_family``, so nothing was revoked."""
    refresh_token_reuse_detected.send(
        sender(), client_id=revoked.client_id, user=revoked.user, scopes=list(revoked.scopes)
    )


def send_client_authentication_failed(
    request: Any, client_id: Any, method: str | None, reason: str
) -> bool:
    """Send :data:`client_authentication_failed`; ``False``, what the validator answers.
    The ``client_id`` of no known client is left out: it may be a secret sent in its place."""
    if client_authentication_failed.receivers:
        client_authentication_failed.send(
            sender(),
            client_id=None if reason == "unknown_client" else client_id,
            method=method,
            reason=reason,
            grant_type=getattr(request, "grant_type", None),
        )
    return False


def send_client_registered(
    client_id: str,
    scopes: Any,
    grant_types: Iterable[str] | None,
    is_confidential: bool,
    source: str,
) -> None:
    """Send :data:`client_registered` for a client just stored."""
    if not client_registered.receivers:
        return
    client_registered.send(
        sender(),
        client_id=client_id,
        user=None,
        scopes=scope_list(scopes),
        grant_types=None if grant_types is None else [str(g) for g in grant_types],
        is_confidential=bool(is_confidential),
        source=source,
    )
