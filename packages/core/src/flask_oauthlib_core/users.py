"""The logged-in user, however the app hands it to us.

The 0.9.6 docs pass ``current_user`` as a function returning the user; most apps today
have Flask-Login, whose ``current_user`` is a proxy to the user object. Both are
accepted wherever a binding takes ``current_user``, and an anonymous user counts as no
user.
"""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2.rfc6749 import errors
from werkzeug.local import LocalProxy

__all__ = ["granting_user", "resolve_user"]


def resolve_user(current_user: Any) -> Any:
    """The user ``current_user`` stands for, or ``None`` when nobody is logged in.

    :param current_user: a function returning the user (or ``None``), or a proxy to it
        such as ``flask_login.current_user``.

    A user whose ``is_authenticated`` is false (Flask-Login's anonymous user) is no
    user.

    .. versionadded:: 1.1
    """
    if current_user is None:
        return None
    if isinstance(current_user, LocalProxy):
        user = current_user._get_current_object()
    elif callable(current_user):
        user = current_user()
    else:
        user = current_user
    if user is None or getattr(user, "is_authenticated", True) is False:
        return None
    return user


def granting_user(current_user: Any, request: Any) -> Any:
    """The user a new authorization code is issued for: :func:`resolve_user` of
    ``current_user`` (or ``request.user`` when the binding was given none).

    :raises oauthlib.oauth2.rfc6749.errors.AccessDeniedError: when nobody is logged in,
        so no code is stored for nobody and the client hears ``access_denied``.

    .. versionadded:: 1.1
    """
    user = resolve_user(current_user) if current_user is not None else request.user
    if user is None:
        raise errors.AccessDeniedError(
            request=request, description="Nobody is logged in to grant this authorization."
        )
    return user
