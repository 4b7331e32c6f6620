"""Who the current user of a client app is, for the tokens kept per user.

:class:`CurrentUserId` answers the id of the user whose tokens a request reads and
saves: from a function the app gives (``user_id=``), from a user object or proxy
(``current_user=``, as the provider bindings take it), or from Flask-Login's
``current_user`` when the app set up a ``LoginManager``. Nobody logged in (or
Flask-Login's anonymous user) is ``None``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context

from flask_oauthlib_core import resolve_user

__all__ = ["CurrentUserId", "NoCurrentUser", "user_key"]


class NoCurrentUser(LookupError):
    """A token was to be saved for the current user, and nobody is logged in.

    .. versionadded:: 1.1
    """


def user_key(user: Any) -> Any:
    """The id of ``user``: Flask-Login's ``user.get_id()``, else ``user.id``.

    :raises TypeError: if ``user`` has neither.
    """
    get_id = getattr(user, "get_id", None)
    if callable(get_id):
        return get_id()
    if hasattr(user, "id"):
        return user.id
    raise TypeError(
        f"cannot tell the id of the current user (a {type(user).__name__}): give it"
        " get_id() or id, or pass user_id= (a function returning the id)"
    )


class CurrentUserId:
    """A function returning the current user's id, or ``None`` when nobody is logged in.

    :param user_id: a function returning the id (or ``None``).
    :param current_user: a function returning the user, or a proxy such as
        ``flask_login.current_user``; an unauthenticated user counts as nobody.
    :raises TypeError: given both, or neither while Flask-Login is not installed.

    With neither, Flask-Login's ``current_user`` is used, in a request of an app that
    has a ``LoginManager``; outside a request nobody is logged in.

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        user_id: Callable[[], Any] | None = None,
        current_user: Any = None,
    ) -> None:
        if user_id is not None and current_user is not None:
            raise TypeError("pass user_id= or current_user=, not both")
        if user_id is None and current_user is None and not _flask_login_installed():
            raise TypeError(
                "cannot tell who the current user is: pass user_id= (a function returning"
                " the id of the user logged in, or None) or current_user=, or use Flask-Login"
            )
        self._user_id = user_id
        self._current_user = current_user

    def __call__(self) -> Any:
        if self._user_id is not None:
            found = self._user_id()
            return None if found is None or found == "" else found
        given = self._current_user
        user = resolve_user(given if given is not None else _flask_login_user())
        if user is None:
            return None
        found = user_key(user)
        return None if found is None or found == "" else found


def _flask_login_installed() -> bool:
    return importlib.util.find_spec("flask_login") is not None


def _flask_login_user() -> Any:
    """Flask-Login's ``current_user`` proxy, or ``None`` outside a request.

    :raises RuntimeError: if the app has no ``LoginManager``.
    """
    if not has_request_context():
        return None
    if getattr(current_app, "login_manager", None) is None:
        raise RuntimeError(
            f"{current_app.name!r} has no Flask-Login LoginManager: set one up, or pass"
            " user_id= (a function returning the current user's id) to bind_consumer_tokens"
        )
    return importlib.import_module("flask_login").current_user
