"""``bind_cache_grant``: authorization codes in a cache shared by every worker."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask

from flask_oauthlib_core import as_utc, granting_user, utcnow

from .backends import Backend
from .cache import Cache
from .users import UserStore

__all__ = ["CachedGrant", "Grant", "OnReplay", "UserRef", "bind_cache_grant", "code_hash"]

log = logging.getLogger(__name__)

#: ``on_replay(client_id, code_hash)``, called when a used code comes back
OnReplay = Callable[[str, str], object]


class UserRef:
    """Stands for a user when no ``user_loader`` is given: it only knows the ``id``."""

    def __init__(self, id: Any) -> None:
        self.id = id

    def __repr__(self) -> str:
        return f"<UserRef {self.id!r}>"

    def __eq__(self, other: object) -> bool:
        return bool(getattr(other, "id", object()) == self.id)

    def __hash__(self) -> int:
        return hash(self.id)


def code_hash(client_id: str, code: str) -> str:
    """A SHA-256 (hex) of a client's code: what the cache key holds instead of the code,
    and what ``on_replay`` receives (see :func:`bind_cache_grant`)."""
    return hashlib.sha256(f"{client_id}\x00{code}".encode()).hexdigest()


def grant_key(client_id: str, code: str) -> str:
    """The cache key of a code: a hash, so the cache never holds a usable code."""
    return "grant:" + code_hash(client_id, code)


class Grant:
    """A code kept in the cache, as 0.9.6's ``flask_oauthlib.contrib.oauth2.Grant``.

    ``dict(grant)`` gives ``client_id``, ``code``, ``redirect_uri``, ``scopes`` and
    ``user`` (:meth:`keys` and item access); :meth:`delete` removes it from ``cache``
    (anything with ``delete(key)``: a backend or a :class:`~.Cache`'s ``cache``).

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        cache: Any = None,
        client_id: str | None = None,
        code: str | None = None,
        redirect_uri: str | None = None,
        scopes: list[str] | None = None,
        user: Any = None,
    ) -> None:
        self._cache = cache
        self.client_id = client_id
        self.code = code
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self._user = user

    @property
    def user(self) -> Any:
        """The user who authorized the code."""
        return self._user

    @user.setter
    def user(self, user: Any) -> None:
        self._user = user

    @property
    def code_hash(self) -> str:
        """The hash of client id and code (:func:`code_hash`): a tokensetter can keep it
        with the tokens it saves (``request.grant.code_hash``), to find them again."""
        return code_hash(self.client_id or "", self.code or "")

    @property
    def key(self) -> str:
        """The cache key of the code (a hash: the cache never holds a usable code)."""
        return grant_key(self.client_id or "", self.code or "")

    def keys(self) -> list[str]:
        """The fields ``dict(grant)`` gives."""
        return ["client_id", "code", "redirect_uri", "scopes", "user"]

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)

    def delete(self) -> None:
        """Remove the code from the cache."""
        if self._cache is not None:
            self._cache.delete(self.key)


class CachedGrant(Grant):
    """A code read back from the cache, shaped as the provider expects a grant.

    Stored as JSON: ``client_id``, ``redirect_uri``, ``scopes``, ``user`` (a signed
    reference, see :mod:`.users`), ``expires`` (a UNIX time), ``code_challenge`` and
    ``code_challenge_method``, ``resources`` (RFC 8707, a list), and for OpenID Connect
    ``nonce``, ``auth_time`` (seconds since the epoch) and ``claims`` (the ``claims``
    parameter, a dict), each ``None`` when absent; the code itself only as part of the
    hashed key. With
    ``on_replay``, a redeemed code is replaced by a marker, ``{"used": true,
    "client_id": ..., "expires": ...}``, until it expires: read back, it is a grant whose
    :meth:`redeem` fails and whose :meth:`revoke_issued_tokens` calls ``on_replay``.
    """

    def __init__(
        self,
        backend: Backend,
        key: str,
        code: str,
        data: dict[str, Any],
        users: UserStore,
        on_replay: OnReplay | None = None,
    ) -> None:
        super().__init__(
            backend,
            data["client_id"],
            code,
            data.get("redirect_uri"),
            list(data.get("scopes") or []),
        )
        self.expires = datetime.fromtimestamp(float(data["expires"]), timezone.utc)
        self.code_challenge: str | None = data.get("code_challenge")
        self.code_challenge_method: str | None = data.get("code_challenge_method")
        nonce, auth_time, claims = data.get("nonce"), data.get("auth_time"), data.get("claims")
        #: the OpenID request's ``nonce``
        self.nonce: str | None = nonce if isinstance(nonce, str) else None
        #: when the end-user authenticated, in seconds since the epoch (OpenID)
        self.auth_time: int | None = _epoch(auth_time)
        #: the OpenID ``claims`` parameter, as a dict
        self.claims: dict[str, Any] | None = claims if isinstance(claims, dict) else None
        #: the resources (RFC 8707) the code was granted for; empty: any
        self.resources: list[str] = _resource_list(data.get("resources"))
        #: the DPoP key thumbprint the code is bound to (RFC 9449 10), or ``None``
        jkt = data.get("dpop_jkt")
        self.dpop_jkt: str | None = jkt if isinstance(jkt, str) and jkt else None
        self.user_id = data.get("user_id")
        self._user_ref = data.get("user")
        self._users = users
        self._loaded = False
        self.used = data.get("used") is True
        self._on_replay = on_replay

    @property
    def user(self) -> Any:
        """The user who authorized the code, loaded on first use (see :mod:`.users`)."""
        if not self._loaded:
            self._loaded = True
            if self._user_ref is not None:
                self._user = self._users.load(self._user_ref)
            elif self.user_id is not None:  # stored by 1.0: the id alone
                loader = self._users.user_loader
                self._user = loader(self.user_id) if loader else UserRef(self.user_id)
        return self._user

    @user.setter
    def user(self, user: Any) -> None:
        self._user, self._loaded = user, True

    def redeem(self) -> bool:
        """Take the code out of the cache, atomically: ``False`` if another request did
        or it is marked used. With ``on_replay`` the used-code marker takes its place."""
        if self.used:
            return False
        lifetime = math.ceil(self._expires_at - time.time())
        if self._on_replay is None or lifetime <= 0:
            taken = self._backend.take(self.key)
        else:  # the marker takes the code's place in the same atomic step
            marker = {"used": True, "client_id": self.client_id, "expires": self._expires_at}
            taken = self._backend.take(self.key, replacement=json.dumps(marker), timeout=lifetime)
        return taken is not None and not _is_marker(taken)

    def revoke_issued_tokens(self) -> None:
        """Called by the provider when the code is replayed: passes client id and
        :attr:`code_hash` to ``on_replay``, if :func:`bind_cache_grant` was given one."""
        if self._on_replay is not None:
            self._on_replay(self.client_id or "", self.code_hash)

    @property
    def _expires_at(self) -> float:
        return self.expires.timestamp()

    @property
    def _backend(self) -> Backend:
        backend: Backend = self._cache
        return backend


def _epoch(moment: Any) -> int | None:
    """Seconds since the epoch of a datetime (naive is UTC) or a number; else ``None``."""
    if isinstance(moment, datetime):
        return int(as_utc(moment).timestamp())
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        return int(moment)
    return None


def _openid_fields(request: Any) -> dict[str, Any]:
    """The ``nonce``, ``auth_time`` and ``claims`` the provider put on an OpenID request
    (``None`` each for a plain OAuth 2 request, whose ``nonce`` went unchecked)."""
    if "openid" not in (request.scopes or ()):
        return {"nonce": None, "auth_time": None, "claims": None}
    nonce = getattr(request, "nonce", None)
    claims = getattr(request, "claims", None)
    return {
        "nonce": nonce if isinstance(nonce, str) and nonce else None,
        "auth_time": _epoch(getattr(request, "auth_time", None)),
        "claims": claims if isinstance(claims, dict) else None,
    }


def _resource_list(value: Any) -> list[str]:
    """Resources as stored (a list of strings); anything else is none."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def _is_marker(raw: str) -> bool:
    """Whether the entry ``raw`` marks a used code."""
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("used") is True


def bind_cache_grant(
    app: Flask,
    provider: Any,
    current_user: Any,
    config_prefix: str = "OAUTH2",
    user_loader: Callable[[Any], Any] | None = None,
    on_replay: OnReplay | None = None,
) -> Cache:
    """Keep the provider's authorization codes in the cache ``<PREFIX>_CACHE_TYPE`` names.

    Registers the grantgetter and grantsetter::

        app.config["OAUTH2_CACHE_TYPE"] = "redis"
        bind_cache_grant(app, oauth, current_user, user_loader=lambda id: User.get(id))

    :param app: the Flask app whose config is read.
    :param provider: the :class:`OAuth2Provider`.
    :param current_user: a function returning the logged-in user when a code is issued,
        or Flask-Login's ``current_user`` itself; an anonymous user is no user (no code is
        stored, the client gets ``access_denied``).
    :param config_prefix: the prefix of the config keys.
    :param user_loader: ``f(user_id)`` returning the user; only the id (``user.id``) is
        stored. Without it the user comes back through the app's Flask-Login user
        loader, its SQLAlchemy class and primary key, or a snapshot of its public
        attributes, in that order (see :mod:`flask_oauthlib_contrib_cache.users`; a
        snapshot never holds attributes whose names look secret).
    :param on_replay: ``f(client_id, code_hash)``, called when a used code is presented
        again, to revoke the tokens issued from it (see below).

    For OpenID Connect the grant keeps the request's ``nonce``, ``auth_time`` and
    ``claims`` and exposes them (:class:`CachedGrant`); the tokensetter stores
    ``auth_time`` and ``claims`` with the tokens. The grant keeps the ``resources`` of
    RFC 8707 as well; tokens for resources need a tokensetter that keeps them too
    (``request.resources``, the token's ``resources``).

    Codes are single use even when several workers race for one (Redis ``GETDEL``,
    memcached ``cas``, a lock for the others) and expire after
    ``<PREFIX>_CACHE_DEFAULT_TIMEOUT`` seconds (100). The ``null`` cache stores nothing,
    so its codes can never be redeemed.

    A replayed code gets ``invalid_grant``, but the cache does not know the tokens issued
    from it, so by itself this binding revokes nothing. Revoking them on replay (RFC 9700
    4.12) takes the ready SQLAlchemy models (``bind_sqlalchemy``), or ``on_replay``
    together with the app's tokensetter: the tokensetter keeps
    ``request.grant.code_hash`` (:func:`code_hash`) with each token it saves from a code
    (and carries it over when it rotates a refresh token), and ``on_replay`` revokes the
    tokens saved with the hash it receives::

        @oauth.tokensetter
        def save_token(token, request, *args, **kwargs):
            grant = getattr(request, "grant", None)  # None for the other grant types
            Token.create(token, request, code_hash=grant.code_hash if grant else None)

        def revoke_issued(client_id, code_hash):
            Token.revoke_where(client_id=client_id, code_hash=code_hash)

        bind_cache_grant(app, oauth, current_user, on_replay=revoke_issued)

    With ``on_replay`` a redeemed code is not deleted but replaced, until it would have
    expired, by a marker holding only ``client_id`` and ``expires``: a replay within the
    code's lifetime calls ``on_replay``, a later one only gets ``invalid_grant``. A
    request that races the first redemption may call it before that token is saved.

    With the ``filesystem`` cache, ``<PREFIX>_CACHE_DIR`` must belong to the app's user
    and be writable by nobody else (a missing one is created with mode ``0o700``);
    otherwise this raises :exc:`RuntimeError`.

    .. versionchanged:: 1.1
        Without ``user_loader`` the whole user comes back (Flask-Login loader, SQLAlchemy
        primary key, or a signed snapshot without secret-looking attributes) instead of
        a stand-in with only ``id``; ``on_replay`` added; OpenID Connect's ``nonce``,
        ``auth_time`` and ``claims``, and the ``resources`` of RFC 8707, are kept.

    .. versionchanged:: 1.0
        Grants are stored as JSON with the user's id instead of a pickled user, and no
        backend unpickles anything (the files of the ``filesystem`` cache are JSON too).
    """
    cache = Cache(app, config_prefix)
    backend = cache.cache
    users = UserStore(app, user_loader)

    def set_grant(
        client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        user = granting_user(current_user, request)
        lifetime = backend.default_timeout
        data = {
            "client_id": client_id,
            "redirect_uri": request.redirect_uri,
            "scopes": list(request.scopes or ()),
            "user": users.dump(user),
            "expires": (utcnow() + timedelta(seconds=lifetime)).timestamp(),
            "code_challenge": request.code_challenge,
            "code_challenge_method": request.code_challenge_method,
            "resources": list(getattr(request, "resources", None) or ()),
            "dpop_jkt": getattr(request, "dpop_jkt", None) or None,
            **_openid_fields(request),
        }
        backend.set(grant_key(client_id, code["code"]), json.dumps(data), timeout=lifetime)
        log.debug("stored a grant for client %s", client_id)

    def get_grant(client_id: str, code: str) -> CachedGrant | None:
        key = grant_key(client_id, code)
        raw = backend.get(key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("a grant is a JSON object")
            grant = CachedGrant(backend, key, code, data, users, on_replay)
        except (ValueError, TypeError, KeyError):
            log.warning("ignored a malformed grant in the cache")
            return None
        if data.get("user") is not None and grant.user is None:
            return None  # its user cannot be loaded (or the reference was tampered with)
        return grant

    provider.grantsetter(set_grant)
    provider.grantgetter(get_grant)
    return cache
