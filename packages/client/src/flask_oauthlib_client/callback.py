"""What a callback without a code or verifier said: the error the server sent back.

``authorized_response()`` returns ``None`` for every such callback, as in 0.9.6, so old
apps that check for ``None`` keep working. An app that wants to tell the user more reads
:attr:`OAuthRemoteApp.callback_error` in the same request::

    token = remote.authorized_response()
    if token is None:
        error = remote.callback_error
        if error is not None and error.error != "access_denied":
            log.warning("login failed: %s %s", error.error, error.description)
        return "You did not sign in."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import g

__all__ = ["CallbackError", "forget", "recall", "remember"]

#: the ``error`` recorded for a callback that carries neither a code nor an error
NO_RESULT = "invalid_callback"


@dataclass(frozen=True)
class CallbackError:
    """The error a remote server sent to the callback (RFC 6749 4.1.2.1).

    .. versionadded:: 1.1
    """

    #: the ``error`` code: ``access_denied``, ``invalid_scope``, ``server_error``, ...
    error: str
    #: the server's ``error_description``, if any (text for developers, not users)
    description: str | None = None
    #: the server's ``error_uri``, if any
    uri: str | None = None

    @property
    def denied(self) -> bool:
        """Whether the user refused access (``access_denied``)."""
        return self.error == "access_denied"


def _key(name: str) -> str:
    return f"_flask_oauthlib_callback_error_{name}"


def remember(name: str, args: Mapping[str, str]) -> CallbackError:
    """Record the error of remote ``name``'s callback ``args`` for this request."""
    error = CallbackError(
        error=args.get("error") or NO_RESULT,
        description=args.get("error_description")
        or (None if args.get("error") else "The callback carries neither a code nor an error."),
        uri=args.get("error_uri"),
    )
    setattr(g, _key(name), error)
    return error


def forget(name: str) -> None:
    """Clear the error recorded for remote ``name`` in this request."""
    g.pop(_key(name), None)


def recall(name: str) -> CallbackError | None:
    """The error recorded for remote ``name`` in this request, if any."""
    found = g.get(_key(name))
    return found if isinstance(found, CallbackError) else None
