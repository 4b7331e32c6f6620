"""Exceptions of the contrib client."""

from __future__ import annotations

from oauthlib.oauth2.rfc6749.errors import MismatchingStateError

__all__ = ["AccessTokenNotFound", "InvalidState", "OAuthException"]


class OAuthException(Exception):
    """Base class of the contrib client's errors."""


class AccessTokenNotFound(OAuthException):
    """The ``tokengetter`` returned no token, so no request can be signed."""


class InvalidState(OAuthException, MismatchingStateError):
    """The callback does not belong to a login this session started.

    OAuth 2: the session holds no ``state`` or another one than the callback's (the
    error requests-oauthlib raises, ``MismatchingStateError``, is also a base class).
    OAuth 1.0a: the session holds no request token or another one than the callback's.

    .. versionadded:: 1.1
    """

    def __init__(self, description: str) -> None:
        MismatchingStateError.__init__(self, description=description)
