"""``bind_consumer_tokens``: the tokens an OAuth *client* app got for its users, in a table.

One row per user and remote app (:class:`~.consumer_models.ConsumerTokenMixin`). The
binding registers the remote app's ``tokengetter`` (the current user's token) and its
``tokensaver`` (a refreshed token replaces the one it was refreshed from); the app's
callback saves the token of a login with :meth:`ConsumerTokenStorage.save`::

    tokens = bind_consumer_tokens(oauth, db.session, OAuthToken)

    @app.route("/github/authorized")
    def github_authorized():
        token = github.authorized_response()
        if token is None:
            return "Access denied"
        tokens.save(github, token)
        ...

Nothing here imports the client: a remote app is anything with a ``name``, a
``tokengetter`` and (to save refreshed tokens) a ``tokensaver`` decorator, as
``flask_oauthlib_client``'s and its ``contrib`` client's remote apps have.

.. versionadded:: 1.1
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from flask import g, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from flask_oauthlib_core import StorageUnavailable

from .consumer_users import CurrentUserId, NoCurrentUser

__all__ = ["ConsumerTokenStorage", "NamedRemote", "bind_consumer_tokens"]

T = TypeVar("T")
log = logging.getLogger(__name__)

#: the attribute of ``flask.g`` that remembers, for the app context, whose token each
#: refresh token handed to a remote app was: ``{(storage, provider, digest): user_id}``
HANDED_OUT = "_flask_oauthlib_contrib_sqla_consumer_tokens"


class NamedRemote(Protocol):
    """A remote app, of which the storage reads only its ``name``.

    .. versionadded:: 1.1
    """

    @property
    def name(self) -> str: ...


class ConsumerTokenStorage:
    """Tokens of a client app's users in the table of ``model``, per user and remote app.

    :param session: a SQLAlchemy 2 ``Session``, ``scoped_session`` or Flask-SQLAlchemy
        ``db.session``. Each save and delete commits it (a refreshed token must outlive
        a request that fails afterwards: its refresh token may be the only one left).
    :param model: a mapped class with :class:`~.consumer_models.ConsumerTokenMixin` (or
        its ``provider``, ``user_id`` and ``token`` columns).
    :param user_id: a function returning the current user's id, or ``None`` when nobody
        is logged in.
    :param current_user: instead, a function returning the current user, or a proxy
        such as ``flask_login.current_user``; its id is ``get_id()`` or ``id``.
    :param encrypt: a function from the token's JSON text to the text stored; with
        ``decrypt``, its inverse. Both or neither (then the JSON is stored as it is).
    :raises TypeError: for a model without the columns, ``encrypt`` without ``decrypt``
        (or the reverse), both ``user_id`` and ``current_user``, or neither while
        Flask-Login is not installed.

    With neither ``user_id`` nor ``current_user``, the user is Flask-Login's
    ``current_user`` (the app must have a ``LoginManager``). Nobody logged in, or
    Flask-Login's anonymous user, has no token.

    :ivar session: the session given.
    :ivar model: the model given.
    :ivar current_user_id: a function returning the current user's id, ``None`` when
        nobody is logged in (a :class:`~.consumer_users.CurrentUserId`).

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        session: Any,
        model: type[Any],
        *,
        user_id: Callable[[], Any] | None = None,
        current_user: Any = None,
        encrypt: Callable[[str], str] | None = None,
        decrypt: Callable[[str], str] | None = None,
    ) -> None:
        columns = getattr(getattr(model, "__table__", None), "c", None)
        if columns is None or not {"provider", "user_id", "token"} <= set(columns.keys()):
            raise TypeError(
                "the token model needs the provider, user_id and token columns of"
                " ConsumerTokenMixin"
            )
        if (encrypt is None) != (decrypt is None):
            raise TypeError("pass both encrypt= and decrypt=, or neither")
        self.session = session
        self.model = model
        self.current_user_id = CurrentUserId(user_id, current_user)
        self._encrypt = encrypt
        self._decrypt = decrypt

    # -- the API ---------------------------------------------------------------------------

    def get(self, provider: str | NamedRemote, user_id: Any = None) -> dict[str, Any] | None:
        """The token of a user for ``provider``, or ``None``.

        :param provider: the remote app, or its name.
        :param user_id: the user; the current user by default (``None`` when nobody is
            logged in).
        :raises flask_oauthlib_core.StorageUnavailable: when the database fails.
        :raises ValueError: when the stored text is no JSON object (a wrong ``decrypt``).
        """
        name = _name(provider)
        owner = self._owner(user_id)
        if owner is None:
            return None
        row = self._guarded(f"reading a token of {name}", lambda: self._row(name, owner))
        if row is None:
            return None
        token = self._decode(name, row.token)
        self._remember(name, token, owner)
        return token

    def save(
        self, provider: str | NamedRemote, token: Mapping[str, Any], user_id: Any = None
    ) -> None:
        """Store ``token`` as a user's token for ``provider``, replacing theirs, and commit.

        Call it in the callback view with what ``authorized_response()`` returned, once
        the user is logged in (after Flask-Login's ``login_user()`` for an app that logs
        users in with this remote app).

        :param provider: the remote app, or its name.
        :param token: the token, a dict (JSON values only).
        :param user_id: the user; the current user by default.
        :raises NoCurrentUser: when nobody is logged in.
        :raises TypeError: for a token that is no dict or has values JSON cannot hold.
        :raises flask_oauthlib_core.StorageUnavailable: when the database fails.
        """
        name = _name(provider)
        owner = self._owner(user_id)
        if owner is None:
            raise NoCurrentUser(f"nobody is logged in to keep a token of {name} for")
        self._store(name, owner, self._encode(token))
        self._remember(name, token, owner)

    def delete(self, provider: str | NamedRemote, user_id: Any = None) -> bool:
        """Forget a user's token for ``provider`` (at logout, or to unlink an account),
        and commit; ``True`` if there was one.

        :param provider: the remote app, or its name.
        :param user_id: the user; the current user by default.
        :raises flask_oauthlib_core.StorageUnavailable: when the database fails.
        """
        name = _name(provider)
        owner = self._owner(user_id)
        if owner is None:
            return False

        def remove() -> bool:
            row = self._row(name, owner)
            if row is not None:
                self.session.delete(row)
                self.session.commit()
            return row is not None

        return bool(self._guarded(f"deleting a token of {name}", remove))

    def bind(self, remote: Any) -> None:
        """Register ``remote``'s ``tokengetter`` and ``tokensaver`` on this storage.

        The getter returns the current user's token. The saver keeps a refreshed token
        in the row of the token it replaces: the one this storage handed out in the
        request (so a token passed as ``token=`` for another user stays theirs), else
        the current user's if it is that. A refreshed token of nobody's row is not saved
        (a warning is logged). A remote app whose saver is not told the refreshed token
        (the ``contrib`` client) saves it for the current user.

        :param remote: a remote app of ``flask_oauthlib_client`` or its ``contrib``.
        """
        name = str(remote.name)

        def get_token() -> dict[str, Any] | None:
            return self.get(name)

        def save_refreshed(token: dict[str, Any], previous: Any = None) -> None:
            self._save_refreshed(name, token, previous)

        remote.tokengetter(get_token)
        tokensaver = getattr(remote, "tokensaver", None)
        if tokensaver is not None:
            tokensaver(save_refreshed)

    # -- refreshed tokens ------------------------------------------------------------------

    def _save_refreshed(
        self, name: str, token: dict[str, Any], previous: Mapping[str, Any] | None
    ) -> None:
        """Save a refreshed ``token`` for the owner of ``previous`` (the current user
        when unknown); log a warning and save nothing when nobody owns it."""
        owner = self.current_user_id() if previous is None else self._owner_of(name, previous)
        if owner is None:
            log.warning(
                "%s: a refreshed token was not saved: it belongs to no stored token of the"
                " current user (pass such tokens to save() yourself)",
                name,
            )
            return
        owner = self._column_id(owner)
        self._store(name, owner, self._encode(token))
        self._remember(name, token, owner)

    def _owner_of(self, name: str, previous: Mapping[str, Any]) -> Any:
        """Whose stored token ``previous`` is: the user it was handed out for in this app
        context, else the current user if it is theirs, else ``None``."""
        refresh = previous.get("refresh_token")
        if isinstance(refresh, str) and has_app_context():
            owner = _handed_out().get((id(self), name, _digest(refresh)))
            if owner is not None:
                return owner
        owner = self.current_user_id()
        if owner is None:
            return None
        stored = self.get(name, owner)
        if stored is None or any(
            stored.get(key) != previous.get(key) for key in ("access_token", "refresh_token")
        ):
            return None
        return owner

    def _remember(self, name: str, token: Mapping[str, Any], owner: Any) -> None:
        """Remember, for this app context, that ``token`` was handed out as ``owner``'s."""
        refresh = token.get("refresh_token")
        if isinstance(refresh, str) and has_app_context():
            _handed_out()[(id(self), name, _digest(refresh))] = owner

    # -- the table -------------------------------------------------------------------------

    def _owner(self, user_id: Any) -> Any:
        """``user_id`` (the current user's when ``None``) as the column holds it."""
        owner = self.current_user_id() if user_id is None else user_id
        return None if owner is None else self._column_id(owner)

    def _column_id(self, user_id: Any) -> Any:
        """``user_id`` converted to the type of the ``user_id`` column (Flask-Login's ids
        are strings; a column pointing at an integer or UUID key wants one)."""
        try:
            kind = self.model.__table__.c.user_id.type.python_type
        except NotImplementedError:
            return user_id
        if kind in (int, str, uuid.UUID) and not isinstance(user_id, kind):
            return kind(user_id) if kind is not uuid.UUID else uuid.UUID(str(user_id))
        return user_id

    def _row(self, name: str, owner: Any) -> Any:
        """The row of ``owner`` for ``name``, read from the database (another worker may
        have saved a refreshed token since the session loaded it)."""
        model = self.model
        query = (
            select(model)
            .where(model.provider == name, model.user_id == owner)
            .execution_options(populate_existing=True)
        )
        return self.session.execute(query).scalar_one_or_none()

    def _store(self, name: str, owner: Any, text: str) -> None:
        """Insert or update the row of ``owner`` for ``name``, and commit; a row another
        request inserted meanwhile is updated."""

        def upsert() -> None:
            row = self._row(name, owner)
            if row is None:
                self.session.add(self.model(provider=name, user_id=owner, token=text))
            else:
                row.token = text
            self.session.commit()

        doing = f"saving a token of {name}"
        failure: StorageUnavailable | None = None
        try:
            upsert()
        except IntegrityError:  # another request inserted the row meanwhile: update it
            self.session.rollback()
        except SQLAlchemyError as exc:
            failure = self._unavailable(doing, exc)
        else:
            log.debug("%s: saved a token", name)
            return
        if failure is not None:
            raise failure  # out of the except block: no __context__
        self._guarded(doing, upsert)
        log.debug("%s: saved a token", name)

    def _guarded(self, doing: str, action: Callable[[], T]) -> T:
        """``action()``; a database failure is raised as :class:`StorageUnavailable`
        outside the ``except`` block, so that it carries no context (``__context__``)."""
        try:
            return action()
        except SQLAlchemyError as exc:
            failure = self._unavailable(doing, exc)
        raise failure

    def _unavailable(self, doing: str, exc: SQLAlchemyError) -> StorageUnavailable:
        """Roll back after ``exc`` and return the error to raise, linked to nothing: a
        database's message can quote the row or the SQL parameters, the token among them."""
        try:
            self.session.rollback()
        except SQLAlchemyError as failed:
            log.warning("rollback failed after a database error: %s", type(failed).__name__)
        log.warning("token storage failed %s: %s", doing, type(exc).__name__)
        return StorageUnavailable(f"the token storage database failed {doing}")

    # -- JSON ------------------------------------------------------------------------------

    def _encode(self, token: Mapping[str, Any]) -> str:
        if not isinstance(token, Mapping):
            raise TypeError(f"a token to save is a dict, not a {type(token).__name__}")
        text = json.dumps(dict(token), sort_keys=True, separators=(",", ":"))
        return text if self._encrypt is None else self._encrypt(text)

    def _decode(self, name: str, text: str) -> dict[str, Any]:
        if self._decrypt is not None:
            text = self._decrypt(text)
        try:
            token = json.loads(text)
        except ValueError:
            token = None
        if not isinstance(token, dict):
            raise ValueError(f"a stored token of {name} is no JSON object (a wrong decrypt=?)")
        return token


def bind_consumer_tokens(
    remote: Any,
    session: Any,
    model: type[Any],
    *,
    user_id: Callable[[], Any] | None = None,
    current_user: Any = None,
    encrypt: Callable[[str], str] | None = None,
    decrypt: Callable[[str], str] | None = None,
) -> ConsumerTokenStorage:
    """Keep the tokens of ``remote`` (a remote app, or every remote app of an ``OAuth``
    registry) in the table of ``model``, per user; return the storage.

    Registers the ``tokengetter`` and ``tokensaver`` of each remote app (see
    :meth:`ConsumerTokenStorage.bind`; one registered afterwards replaces the bound
    one). Save the token of a login in the callback view with
    :meth:`ConsumerTokenStorage.save`::

        tokens = bind_consumer_tokens(oauth, db.session, OAuthToken)  # Flask-Login
        tokens = bind_consumer_tokens(github, db.session, OAuthToken,
                                      user_id=lambda: session.get("user_id"))

    :param remote: an ``OAuthRemoteApp`` (or ``contrib`` client app), or the ``OAuth``
        registry whose remote apps are registered now.
    :param session: see :class:`ConsumerTokenStorage`, as the other arguments.
    :raises ValueError: for a registry with no remote apps yet.
    :raises TypeError: see :class:`ConsumerTokenStorage`.

    .. versionadded:: 1.1
    """
    storage = ConsumerTokenStorage(
        session,
        model,
        user_id=user_id,
        current_user=current_user,
        encrypt=encrypt,
        decrypt=decrypt,
    )
    for each in _remote_apps(remote):
        storage.bind(each)
    return storage


def _remote_apps(target: Any) -> list[Any]:
    """``target`` if it is a remote app, else the remote apps of the registry it is."""
    if hasattr(target, "tokengetter"):
        return [target]
    remote_apps = getattr(target, "remote_apps", None)
    if remote_apps is None:
        raise TypeError(f"expected a remote app or an OAuth registry, not {target!r}")
    if not remote_apps:
        raise ValueError(
            "the OAuth registry has no remote apps yet: create them with remote_app()"
            " first, or bind each later with ConsumerTokenStorage.bind(remote)"
        )
    return list(remote_apps.values())


def _name(provider: str | NamedRemote) -> str:
    return provider if isinstance(provider, str) else str(provider.name)


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()


def _handed_out() -> dict[tuple[int, str, str], Any]:
    """The tokens handed out in this app context (see :data:`HANDED_OUT`)."""
    handed: dict[tuple[int, str, str], Any] | None = g.get(HANDED_OUT)
    if handed is None:
        handed = {}
        setattr(g, HANDED_OUT, handed)
    return handed
