"""``bind_sqlalchemy``: the provider's getters and setters on SQLAlchemy 2 models.

The binding touches neither the provider nor the models beyond registering the getters
and setters: it is kept in a table of this module, by provider (:func:`binding_for`, which
the ``flask oauth2`` commands use), and a grant it loads learns the token model on the
object itself (see :meth:`SQLAlchemyBinding.get_grant`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import appcontext_tearing_down
from sqlalchemy import delete, inspect, select
from sqlalchemy.exc import NoInspectionAvailable, SQLAlchemyError

from flask_oauthlib_core import StorageUnavailable, granting_user, resolve_user, utcnow

from . import claims
from .hashing import hash_secret
from .kept import commit_keeping, recall, remember
from .openid_fields import grant_openid, mapped_openid, token_openid
from .registered_clients import can_register, save_client
from .resources import resource_columns, resources_of

__all__ = ["SQLAlchemyBinding", "bind_sqlalchemy", "binding_for"]

log = logging.getLogger(__name__)

#: authorization codes live this long (RFC 6749 4.1.2 recommends at most 10 minutes)
GRANT_LIFETIME = timedelta(seconds=100)

#: the binding ``bind_sqlalchemy`` last made for each provider; weak, so a provider that
#: goes away takes its binding along
_BINDINGS: weakref.WeakKeyDictionary[Any, SQLAlchemyBinding] = weakref.WeakKeyDictionary()

#: a grant model without ``__token_model__`` (0.9.6 style): nothing to give it
_NOT_DECLARED = object()


def _hashed(model: Any, column: str) -> bool:
    """Whether ``model`` stores ``column`` hashed (the ready mixins) or in plaintext."""
    return model is not None and hasattr(model, column + "_hash")


def _user_fields(user: Any) -> dict[str, Any]:
    """``user=`` for a mapped user object, ``user_id=`` for a stand-in with an ``id``
    (such as the cache binding's ``UserRef``)."""
    if user is None:
        return {}
    try:
        inspect(user)
    except NoInspectionAvailable:
        return {"user_id": user.id}
    return {"user": user}


def _keyed_by_client_id(model: Any) -> bool:
    """Whether ``model``'s primary key is its ``client_id`` alone (the ready
    :class:`~.models.ClientMixin`), so ``Session.get`` finds a client by it."""
    try:
        mapper = inspect(model)
        (key,) = mapper.primary_key
        return bool(mapper.get_property_by_column(key).key == "client_id")
    except (NoInspectionAvailable, ValueError, AttributeError):
        return False


def _construct(model: Any, fields: dict[str, Any]) -> Any:
    """Build a 0.9.6-style model: with all ``fields`` if its constructor takes them,
    else with the mapped ones (``scope`` goes to a ``_scopes`` column if that is what the
    model has)."""
    try:
        return model(**fields)
    except TypeError:
        mapped = set(inspect(model).attrs.keys())
        if "scope" not in mapped and "_scopes" in mapped and "scope" in fields:
            fields["_scopes"] = fields.pop("scope")
        return model(**{key: value for key, value in fields.items() if key in mapped})


def _new_refresh_hash(token: dict[str, Any], request: Any) -> str | None:
    """The hash of the token's refresh token, unless it is the one the client refreshed
    with (rotation switched off): that one stays on its own row."""
    refresh = token.get("refresh_token")
    if not refresh or refresh == getattr(request, "refresh_token", None):
        return None
    return hash_secret(refresh)


class SQLAlchemyBinding:
    """The getters and setters ``bind_sqlalchemy`` registers, one per model given.

    Works with the ready mixins of :mod:`.models` (hashed credentials, codes marked
    redeemed, tokens revoked and rotated) and with models written as the 0.9.6 docs
    show (plaintext columns; used codes and old tokens are deleted).

    :param session: a ``Session``, ``scoped_session`` or Flask-SQLAlchemy ``db.session``.
    """

    def __init__(
        self,
        session: Any,
        user: Any = None,
        client: Any = None,
        token: Any = None,
        grant: Any = None,
        current_user: Any = None,
    ) -> None:
        self.session = session
        self.user_model = user
        self.client_model = client
        self.token_model = token
        self.grant_model = grant
        self.current_user = current_user
        self._client_by_key = _keyed_by_client_id(client)
        # weakly: the receiver goes with the binding (the provider holds its methods)
        appcontext_tearing_down.connect(self._release_claim)

    # -- plumbing ---------------------------------------------------------------------------

    def _first(self, model: Any, **filters: Any) -> Any:
        """The first row matching ``filters``; ``None`` without asking the database when
        a value holds a NUL byte, which no stored value can (PostgreSQL refuses it)."""
        if any(isinstance(value, str) and "\x00" in value for value in filters.values()):
            log.debug("lookup with a NUL byte answered as not found")
            return None
        return self.session.execute(select(model).filter_by(**filters)).scalars().first()

    def _token_and_client(self, digest: str) -> Any:
        """The ready token whose access token hashes to ``digest``, read in one SELECT
        with its client (outer joined, into the session, where :meth:`get_client` finds
        it) and the users both load with."""
        token, client = self.token_model, self.client_model
        if not self._client_by_key:
            return self._first(token, access_token_hash=digest)
        statement = (
            select(token, client)
            .outerjoin(client, client.client_id == token.client_id)
            .where(token.access_token_hash == digest)
        )
        row = self.session.execute(statement).first()
        if row is None:
            return None
        if row[1] is not None:  # held for the request: the session keeps it only weakly
            remember(self, ("client", row[1].client_id), row[1])
        return row[0]

    def _release_claim(self, sender: Any, **extra: Any) -> None:
        claims.release(self.session)

    def _single_use(self, obj: Any, method: str) -> Any:
        """Give a row of a 0.9.6-style model (which has only ``delete()``) the atomic
        ``redeem()``/``rotate()`` the provider uses for single use: a conditional DELETE
        whose row count says which of several concurrent requests won, committed with the
        new token (see :mod:`.claims`).

        The row's attributes are loaded and the object detached first, so the winner
        can still read ``user``, ``scopes`` and ``redirect_uri`` after the row is gone.
        """
        if obj is None or hasattr(obj, method):
            return obj
        session = self.session

        def take() -> bool:
            mapper = inspect(obj).mapper
            for attr in (*mapper.column_attrs, *mapper.relationships):
                getattr(obj, attr.key)
            key = inspect(obj).identity
            session.expunge(obj)
            where = [column == value for column, value in zip(mapper.primary_key, key, strict=True)]
            return claims.claim(session, delete(mapper.class_).where(*where)) == 1

        setattr(obj, method, take)
        return obj

    def _user_for(self, request: Any) -> Any:
        user = getattr(request, "user", None)
        if user is None and request.grant_type is None:
            # the implicit grant: the token is issued to the logged-in user. At the token
            # endpoint the user comes from the grant, the refresh token, the password or
            # the client's owner, never from a session cookie that came along.
            user = resolve_user(self.current_user)
        return user

    # -- users and clients ------------------------------------------------------------------

    def get_user(self, username: str, password: str, *args: Any, **kwargs: Any) -> Any:
        """The user named ``username`` if ``user.check_password(password)``."""
        user = self._first(self.user_model, username=username)
        if user is not None and user.check_password(password):
            return user
        return None

    def get_client(self, client_id: str) -> Any:
        """The client with ``client_id``; one this session loaded already (earlier in
        the request, or with a token) is not read again."""
        if self._client_by_key and isinstance(client_id, str) and "\x00" not in client_id:
            return self.session.get(self.client_model, client_id)
        return self._first(self.client_model, client_id=client_id)

    def set_client(self, client_id: str, client: Any, request: Any, *args: Any, **kw: Any) -> Any:
        """Save a dynamically registered client, or delete it with its tokens and codes
        when ``client`` is ``None`` (:func:`.registered_clients.save_client`)."""
        return save_client(self, client_id, client)

    # -- grants ----------------------------------------------------------------------------

    def get_grant(self, client_id: str, code: str) -> Any:
        """The code issued to ``client_id``.

        A grant of a model with a ``__token_model__`` of ``None`` (the ready
        :class:`~.models.GrantMixin`) gets this binding's token model on the object, so
        that a replay of its code revokes the tokens it issued; the class is left as it
        is, and a ``__token_model__`` set on it wins.

        .. versionchanged:: 1.1
            The token model is given to each grant loaded, instead of being set on the
            grant class by :func:`bind_sqlalchemy`.
        """
        model = self.grant_model
        if _hashed(model, "code"):
            digest = hash_secret(code)
            grant = recall(self, ("grant", client_id, digest), self.session) or self._first(
                model, client_id=client_id, code_hash=digest
            )
        else:
            grant = self._single_use(self._first(model, client_id=client_id, code=code), "redeem")
        return self._with_token_model(grant)

    def _with_token_model(self, grant: Any) -> Any:
        """``grant``, told this binding's token model if its class declares
        ``__token_model__`` but leaves it ``None``."""
        if (
            self.token_model is not None
            and getattr(grant, "__token_model__", _NOT_DECLARED) is None
        ):
            grant.__token_model__ = self.token_model
        return grant

    def set_grant(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Store a new code for the current user, with its ``resources`` (RFC 8707);
        for an OpenID request with its ``nonce``, ``auth_time`` and ``claims``. A code
        with resources a model has no column for is not stored (the provider refuses it).
        """
        model = self.grant_model
        user = granting_user(self.current_user, request)
        resources = resources_of(request)
        kept = resource_columns(model, resources)
        if resources and not kept:
            log.warning("%s has no resources column: the code is not stored", model.__name__)
            return None
        fields: dict[str, Any] = {
            "client_id": request.client.client_id,
            "redirect_uri": request.redirect_uri,
            "scope": " ".join(request.scopes or ()),
            **_user_fields(user),
            **kept,
        }
        openid = grant_openid(request)
        if _hashed(model, "code"):
            digest = hash_secret(code["code"])
            grant = model(
                code_hash=digest,
                expires=utcnow() + GRANT_LIFETIME,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                dpop_jkt=getattr(request, "dpop_jkt", None) or None,
                **openid,
                **fields,
            )
        else:
            expires = (utcnow() + GRANT_LIFETIME).replace(tzinfo=None)
            fields.update(mapped_openid(model, openid))
            grant = _construct(model, dict(fields, code=code["code"], expires=expires))
            self.session.add(grant)
            self.session.commit()
            return grant
        self.session.add(grant)
        commit_keeping(self.session, grant, request.client, user)
        remember(self, ("grant", grant.client_id, digest), grant)
        return grant

    # -- tokens ----------------------------------------------------------------------------

    def get_token(self, access_token: str | None = None, refresh_token: str | None = None) -> Any:
        """The token with this access or refresh token."""
        model = self.token_model
        hashed = _hashed(model, "access_token")
        if access_token:
            if hashed:
                digest = hash_secret(access_token)
                return recall(self, ("token", digest), self.session) or self._token_and_client(
                    digest
                )
            return self._first(model, access_token=access_token)
        if refresh_token:
            if hashed:
                return self._first(model, refresh_token_hash=hash_secret(refresh_token))
            return self._single_use(self._first(model, refresh_token=refresh_token), "rotate")
        return None

    def set_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> Any:
        """Store a new token for the request's client and user, with its audience
        (``resources``, RFC 8707) and the ``auth_time`` and ``claims`` of the code or
        refresh token it comes from (OpenID Connect). A token with resources a model has
        no column for is not stored (the provider refuses it, nothing is written)."""
        model = self.token_model
        user = self._user_for(request)
        client = request.client
        expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in") or 3600))
        old = getattr(request, "refresh_token_object", None)
        resources = resources_of(request, old)
        kept = resource_columns(model, resources)
        if resources and not kept:
            log.warning("%s has no resources column: the token is not stored", model.__name__)
            return None
        if _hashed(model, "access_token"):
            grant = getattr(request, "grant", None)
            tok = model(
                client_id=client.client_id,
                **_user_fields(user),
                token_type=token.get("token_type", "Bearer"),
                access_token_hash=hash_secret(token["access_token"]),
                refresh_token_hash=_new_refresh_hash(token, request),
                scope=token.get("scope", ""),
                expires=expires_at,
                family=old.family if old is not None else secrets.token_hex(16),
                grant_id=getattr(grant, "id", None),
                dpop_jkt=getattr(request, "dpop_jkt", None) or None,
                **token_openid(request, old),
                **kept,
            )
            self.session.add(tok)
            # the new token, its client and user stay loaded: the response and the
            # provider's read-back of resources and dpop_jkt cost no SELECT
            claims.commit(self.session, tok, client, user)
            remember(self, ("token", tok.access_token_hash), tok)
            return tok
        tok = self._legacy_token(model, token, client, user, expires_at)
        openid = mapped_openid(model, token_openid(request, old))
        for key, value in {**openid, **kept}.items():
            setattr(tok, key, value)
        self.session.add(tok)
        claims.commit(self.session)
        return tok

    def _legacy_token(
        self, model: Any, token: dict[str, Any], client: Any, user: Any, expires_at: datetime
    ) -> Any:
        """0.9.6 behaviour: one token per client and user; the old ones are deleted."""
        if user is not None:
            self.session.execute(
                delete(model).where(model.client_id == client.client_id, model.user_id == user.id)
            )
        tok = _construct(model, dict(token))
        tok.expires = expires_at.replace(tzinfo=None)
        tok.client_id = client.client_id
        if user is not None:
            tok.user_id = user.id
        return tok


def storage_guard(binding: SQLAlchemyBinding, f: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``f``; a database failure rolls back and becomes ``StorageUnavailable``."""

    @functools.wraps(f)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except SQLAlchemyError as exc:
            try:
                binding.session.rollback()
            except SQLAlchemyError:
                log.warning("rollback failed after a database error", exc_info=True)
            log.debug("database error in %s: %s", f.__name__, type(exc).__name__)
            raise StorageUnavailable("the OAuth storage database failed") from exc

    return guarded


def bind_sqlalchemy(
    provider: Any,
    session: Any,
    user: Any = None,
    client: Any = None,
    token: Any = None,
    grant: Any = None,
    current_user: Any = None,
) -> SQLAlchemyBinding:
    """Register getters and setters on ``provider`` for the SQLAlchemy models given.

    A model left out leaves its functions to you, and a function registered after this
    call replaces the bound one::

        bind_sqlalchemy(oauth, db.session, user=User, client=Client, token=Token,
                        grant=Grant, current_user=current_user)

    :param provider: the :class:`OAuth2Provider`.
    :param session: a SQLAlchemy 2 ``Session``, ``scoped_session`` or Flask-SQLAlchemy
        ``db.session``.
    :param user: the user model (``username`` and ``check_password(password)``), for the
        password grant; a model without ``check_password`` leaves that grant unsupported.
    :param client: the client model (one that stores a registration access token hash,
        as the ready :class:`~.models.ClientMixin` does, also gets the ``clientsetter``
        of dynamic client registration).
    :param token: the token model.
    :param grant: the grant (authorization code) model.
    :param current_user: a function returning the logged-in user, or Flask-Login's
        ``current_user`` itself (an anonymous user is no user: no code is issued); needed
        with ``grant`` and for the
        implicit grant.
    :returns: the binding, whose methods are the registered functions;
        :func:`binding_for` finds it again from the provider.

    Database failures roll the session back and are answered with
    ``temporarily_unavailable`` (503) by the provider.

    Nothing is set on the provider or on the models: a replayed code of the ready
    :class:`~.models.GrantMixin` revokes its tokens because
    :meth:`SQLAlchemyBinding.get_grant` gives each grant it loads the token model.

    .. versionchanged:: 1.1
        No longer sets ``Grant.__token_model__`` on the grant class, nor an attribute on
        the provider.
    """
    binding = SQLAlchemyBinding(session, user, client, token, grant, current_user)
    with contextlib.suppress(TypeError):  # a provider no weak reference can name
        _BINDINGS[provider] = binding
    # the password grant needs a way to check passwords: without one it stays off
    checks_passwords = callable(getattr(user, "check_password", None))
    registrations: list[tuple[Any, str, Callable[..., Any]]] = [
        (user if checks_passwords else None, "usergetter", binding.get_user),
        (client, "clientgetter", binding.get_client),
        (token, "tokengetter", binding.get_token),
        (token, "tokensetter", binding.set_token),
        (grant, "grantgetter", binding.get_grant),
        (grant, "grantsetter", binding.set_grant),
        (client if can_register(client) else None, "clientsetter", binding.set_client),
    ]
    for model, decorator, function in registrations:
        if model is not None:
            getattr(provider, decorator)(storage_guard(binding, function))
    return binding


def binding_for(provider: Any) -> SQLAlchemyBinding | None:
    """The binding :func:`bind_sqlalchemy` last made for ``provider``, or ``None``.

    It is kept in this module, weakly by provider, rather than on the provider or in an
    app's ``extensions``: one call binds a provider for every app it serves, often before
    any app exists. The ``flask oauth2`` commands find their models and session here::

        binding = binding_for(current_app.extensions["oauthlib.provider.oauth2"])
        binding.session.execute(select(binding.client_model))

    .. versionadded:: 1.1
    """
    try:
        return _BINDINGS.get(provider)
    except TypeError:  # None, or anything else no weak reference can name
        return None
