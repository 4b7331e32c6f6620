"""Signals of the client (blinker, as Flask's own signals): logins, their failures and
token refreshes, for an audit log or metrics.

Each signal is sent with the Flask app as sender (``None`` outside an app context) and
keyword arguments only::

    from flask_oauthlib_client import signals

    @signals.oauth_authorized.connect_via(app)
    def logged_in(app, remote_app, scopes, **extra):
        app.logger.info("logged in with %s for %s", remote_app, scopes)

Take ``**extra`` too: later versions may send more keywords. No signal ever carries a
token, code, secret, ID token or PKCE verifier. ``remote_app`` is the remote app's name
(``oauth.remote_apps[remote_app]`` is the remote app); ``user`` is the app's logged-in
user when the app uses Flask-Login (its ``current_user``; ``None`` when nobody is logged
in), else ``None``: at login time that is usually nobody yet.

Receivers run synchronously, after the token arrived (and, for a refresh, after the
``tokensaver`` saved it); an exception a receiver raises propagates as with Flask's own
signals, out of ``authorized_response()`` or the API call that refreshed. A receiver
that must never fail a request catches its own errors. Nothing is built while a signal
has no receivers.

The signals and their keyword arguments:

:data:`oauth_authorized`
    ``authorized_response()`` got a token: ``remote_app``, ``user``, ``scopes`` (the
    token response's ``scope`` as a list, empty when it names none), ``subject`` (the
    ``sub`` of a verified OpenID Connect ID token, else ``None``).
:data:`oauth_error`
    a login or a refresh failed: ``remote_app``, ``user``, ``error`` (the callback's
    ``error``, such as ``access_denied``, or the :class:`~.OAuthException` type, such as
    ``invalid_state``, ``invalid_response``, ``refresh_failed``), ``description`` (the
    server's ``error_description`` of a callback, or the exception's message),
    ``stage`` (``callback`` or ``refresh``).
:data:`token_refreshed`
    a token was refreshed and handed to the ``tokensaver``: ``remote_app``, ``user``,
    ``scopes``, ``subject``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from blinker import Namespace
from flask import current_app, has_app_context, has_request_context

from flask_oauthlib_core import resolve_user

from . import callback
from .exceptions import OAuthException

__all__ = ["oauth_authorized", "oauth_error", "token_refreshed"]

F = TypeVar("F", bound=Callable[..., Any])

_signals = Namespace()

#: ``authorized_response()`` got a token
oauth_authorized = _signals.signal("oauth-authorized")
#: a login (its callback or code exchange) or a refresh failed
oauth_error = _signals.signal("oauth-error")
#: a token was refreshed and saved
token_refreshed = _signals.signal("token-refreshed")


def _sender() -> Any:
    return current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]


def app_user() -> Any:
    """The app's logged-in user with Flask-Login (which the app imported), else ``None``."""
    login = sys.modules.get("flask_login")
    if login is None or not has_request_context() or not hasattr(current_app, "login_manager"):
        return None
    return resolve_user(login.current_user)


def _about(token: Any) -> dict[str, Any]:
    """What the signals tell of ``token``: its scopes and OpenID subject, never itself."""
    if not isinstance(token, Mapping):
        return {"scopes": [], "subject": None}
    scope = token.get("scope") or ()
    scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope]
    claims = token.get("id_token_claims")
    subject = claims.get("sub") if isinstance(claims, Mapping) else None
    return {"scopes": scopes, "subject": subject}


def _error(name: str, error: str, description: str | None, stage: str) -> None:
    if oauth_error.receivers:
        oauth_error.send(
            _sender(),
            remote_app=name,
            user=app_user(),
            error=error,
            description=description,
            stage=stage,
        )


def announce_login(f: F) -> F:
    """Decorate ``authorized_response``: send :data:`oauth_authorized` for the token it
    returns, :data:`oauth_error` for the error a callback carried or the
    :class:`~.OAuthException` it raises."""

    @wraps(f)
    def decorated(remote: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            token = f(remote, *args, **kwargs)
        except OAuthException as exc:
            _error(remote.name, exc.type or "error", exc.message, "callback")
            raise
        if token is None:
            told = callback.recall(remote.name)
            if told is not None:
                _error(remote.name, told.error, told.description, "callback")
        elif oauth_authorized.receivers:
            oauth_authorized.send(
                _sender(), remote_app=remote.name, user=app_user(), **_about(token)
            )
        return token

    return cast(F, decorated)


def announce_refresh(f: F) -> F:
    """Decorate the refresh that redeems a refresh token: send :data:`token_refreshed`
    once the new token is saved, :data:`oauth_error` when it fails."""

    @wraps(f)
    def decorated(remote: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            new = f(remote, *args, **kwargs)
        except OAuthException as exc:
            _error(remote.name, exc.type or "refresh_failed", exc.message, "refresh")
            raise
        if token_refreshed.receivers:
            token_refreshed.send(_sender(), remote_app=remote.name, user=app_user(), **_about(new))
        return new

    return cast(F, decorated)
