"""The per-model binding classes of Flask-OAuthlib 0.9.6, to register by hand::

    oauth.clientgetter(ClientBinding(Client, db.session).get)
    tokens = TokenBinding(Token, db.session, current_user)
    oauth.tokengetter(tokens.get)
    oauth.tokensetter(tokens.set)

Each is a thin face over :class:`~.binding.SQLAlchemyBinding`, so it stores and finds
rows exactly as :func:`~.binding.bind_sqlalchemy` does: hashed credentials with the
ready mixins, plaintext with 0.9.6-style models, codes and refresh tokens single use,
and database failures rolled back and raised as ``StorageUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy.orm import Query

from .binding import SQLAlchemyBinding, storage_guard

__all__ = ["BaseBinding", "ClientBinding", "GrantBinding", "TokenBinding", "UserBinding"]


class BaseBinding:
    """A model and the session to query it with.

    :param model: the mapped class.
    :param session: a SQLAlchemy 2 ``Session``, ``scoped_session`` or Flask-SQLAlchemy
        ``db.session``.

    .. versionadded:: 1.1
    """

    #: the :class:`~.binding.SQLAlchemyBinding` argument ``model`` is passed as
    _role: ClassVar[str]
    #: returns the logged-in user (token and grant bindings)
    current_user: Callable[[], Any] | None = None

    def __init__(self, model: Any, session: Any) -> None:
        self.model = model
        self.session = session

    @property
    def query(self) -> Query[Any]:
        """``session.query(model)``: a SQLAlchemy ``Query`` over the model's rows."""
        query: Query[Any] = self.session.query(self.model)
        return query

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Run ``SQLAlchemyBinding.<method>`` for this model and session, guarded as
        ``bind_sqlalchemy`` guards it."""
        binding = SQLAlchemyBinding(
            self.session, current_user=self.current_user, **{self._role: self.model}
        )
        return storage_guard(binding, getattr(binding, method))(*args, **kwargs)


class UserBinding(BaseBinding):
    """The user getter, for the password grant.

    .. versionadded:: 1.1
    """

    _role = "user"

    def get(self, username: str, password: str, *args: Any, **kwargs: Any) -> Any:
        """The user named ``username`` if ``user.check_password(password)``, else ``None``."""
        return self._call("get_user", username, password, *args, **kwargs)


class ClientBinding(BaseBinding):
    """The client getter.

    .. versionadded:: 1.1
    """

    _role = "client"

    def get(self, client_id: str) -> Any:
        """The client with ``client_id``, or ``None``."""
        return self._call("get_client", client_id)


class TokenBinding(BaseBinding):
    """The token getter and setter.

    :param current_user: returns the logged-in user; used when the request has none
        (the implicit grant).

    .. versionadded:: 1.1
    """

    _role = "token"

    def __init__(
        self, model: Any, session: Any, current_user: Callable[[], Any] | None = None
    ) -> None:
        super().__init__(model, session)
        self.current_user = current_user

    def get(self, access_token: str | None = None, refresh_token: str | None = None) -> Any:
        """The token with this access token, else with this refresh token, or ``None``."""
        return self._call("get_token", access_token, refresh_token)

    def set(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> Any:
        """Store a new token for the request's client and user and return it."""
        return self._call("set_token", token, request, *args, **kwargs)


class GrantBinding(BaseBinding):
    """The grant (authorization code) getter and setter.

    :param current_user: returns the logged-in user, who the code is issued to.

    With the ready :class:`~.models.GrantMixin`, set ``Grant.__token_model__ = Token``
    so that a replayed code revokes the tokens it issued (``bind_sqlalchemy`` gives its
    grants the token model itself; this class has no token model to give).

    .. versionadded:: 1.1
    """

    _role = "grant"

    def __init__(self, model: Any, session: Any, current_user: Callable[[], Any]) -> None:
        super().__init__(model, session)
        self.current_user = current_user

    def set(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Store a new code for the current user and return it."""
        return self._call("set_grant", client_id, code, request, *args, **kwargs)

    def get(self, client_id: str, code: str) -> Any:
        """The code issued to ``client_id``, or ``None``."""
        return self._call("get_grant", client_id, code)
