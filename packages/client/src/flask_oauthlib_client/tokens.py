"""The functions an application registers to keep its users' tokens.

:class:`TokenStorage` is a mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp`: the
:meth:`~TokenStorage.tokengetter` that returns the current user's token (0.9.6), the
:meth:`~TokenStorage.tokensaver` that stores a refreshed one (1.0), and
:meth:`~TokenStorage.get_request_token`, which every signed request calls.

.. versionadded:: 1.1
    Split out of ``remote.py``; the methods are those of 1.0.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import OAuthException

__all__ = ["TokenStorage"]

F = TypeVar("F", bound=Callable[..., Any])


class TokenStorage:
    """The token getter and saver of :class:`~flask_oauthlib_client.OAuthRemoteApp`.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        _tokengetter: Callable[[], Any] | None
        _tokensaver: Callable[[dict[str, Any]], Any] | None

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

        A function that takes a ``previous`` keyword argument is also given the token
        that was refreshed (a copy), so that storage kept per user saves the new token
        for the user whose token it replaces, even when a request passed another
        user's token as ``token=``::

            @github.tokensaver
            def save_token(token, previous):
                store.replace(previous["refresh_token"], token)

        .. versionadded:: 1.0

        .. versionchanged:: 1.1
            A saver taking ``previous`` gets the refreshed token too.
        """
        self._tokensaver = f
        return f

    #: the same decorator under the name requests-oauthlib users know
    token_updater = tokensaver

    def _save_refreshed(self, new: dict[str, Any], previous: Mapping[str, Any]) -> None:
        """Hand ``new`` to the :meth:`tokensaver`, with ``previous`` if it takes it."""
        saver: Callable[..., Any] | None = self._tokensaver
        if saver is None:
            return
        if _takes_previous(saver):
            saver(new, previous=dict(previous))
        else:
            saver(new)

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


def _takes_previous(saver: Callable[..., Any]) -> bool:
    """Whether ``saver`` declares a ``previous`` parameter it can be given by name."""
    try:
        parameters = inspect.signature(saver).parameters
    except (TypeError, ValueError):  # a callable inspect cannot read: called as before
        return False
    found = parameters.get("previous")
    return found is not None and found.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
