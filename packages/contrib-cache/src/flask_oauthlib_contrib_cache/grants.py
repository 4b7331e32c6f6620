"""``bind_cache_grant``: authorization codes in a cache shared by every worker."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask

from .backends import Backend
from .cache import Cache

__all__ = ["CachedGrant", "UserRef", "bind_cache_grant"]

log = logging.getLogger(__name__)


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


def grant_key(client_id: str, code: str) -> str:
    """The cache key of a code: a hash, so the cache never holds a usable code."""
    return "grant:" + hashlib.sha256(f"{client_id}\x00{code}".encode()).hexdigest()


class CachedGrant:
    """A code read back from the cache, shaped as the provider expects a grant.

    Stored as JSON: ``client_id``, ``redirect_uri``, ``scopes``, ``user_id``,
    ``expires`` (a UNIX time), ``code_challenge`` and ``code_challenge_method``; the
    code itself only as part of the hashed key.
    """

    def __init__(
        self,
        backend: Backend,
        key: str,
        code: str,
        data: dict[str, Any],
        user_loader: Callable[[Any], Any] | None,
    ) -> None:
        self._backend = backend
        self.key = key
        self.code = code
        self.client_id: str = data["client_id"]
        self.redirect_uri: str | None = data.get("redirect_uri")
        self.scopes: list[str] = list(data.get("scopes") or [])
        self.expires = datetime.fromtimestamp(float(data["expires"]), timezone.utc)
        self.code_challenge: str | None = data.get("code_challenge")
        self.code_challenge_method: str | None = data.get("code_challenge_method")
        self.user_id = data.get("user_id")
        self._user_loader = user_loader

    @property
    def user(self) -> Any:
        """The user who authorized the code, from the ``user_loader``."""
        if self.user_id is None:
            return None
        if self._user_loader is not None:
            return self._user_loader(self.user_id)
        return UserRef(self.user_id)

    def redeem(self) -> bool:
        """Take the code out of the cache, atomically: ``False`` if another request did."""
        return self._backend.take(self.key) is not None

    def delete(self) -> None:
        """Remove the code."""
        self._backend.delete(self.key)


def bind_cache_grant(
    app: Flask,
    provider: Any,
    current_user: Callable[[], Any],
    config_prefix: str = "OAUTH2",
    user_loader: Callable[[Any], Any] | None = None,
) -> Cache:
    """Keep the provider's authorization codes in the cache ``<PREFIX>_CACHE_TYPE`` names.

    Registers the grantgetter and grantsetter::

        app.config["OAUTH2_CACHE_TYPE"] = "redis"
        bind_cache_grant(app, oauth, current_user, user_loader=lambda id: User.get(id))

    :param app: the Flask app whose config is read.
    :param provider: the :class:`OAuth2Provider`.
    :param current_user: returns the logged-in user when a code is issued.
    :param config_prefix: the prefix of the config keys.
    :param user_loader: ``f(user_id)`` returning the user; only the id (``user.id``) is
        stored. Without it ``grant.user`` is a :class:`UserRef` with that ``id``.

    Codes are single use even when several workers race for one (Redis ``GETDEL``,
    memcached ``cas``, a lock for the others) and expire after
    ``<PREFIX>_CACHE_DEFAULT_TIMEOUT`` seconds (100). The ``null`` cache stores nothing,
    so its codes can never be redeemed.

    With the ``filesystem`` cache, ``<PREFIX>_CACHE_DIR`` must belong to the app's user
    and be writable by nobody else (a missing one is created with mode ``0o700``);
    otherwise this raises :exc:`RuntimeError`.

    .. versionchanged:: 1.0
        Grants are stored as JSON with the user's id instead of a pickled user, and no
        backend unpickles anything (the files of the ``filesystem`` cache are JSON too).
    """
    cache = Cache(app, config_prefix)
    backend = cache.cache

    def set_grant(
        client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> None:
        user = current_user()
        lifetime = backend.default_timeout
        data = {
            "client_id": client_id,
            "redirect_uri": request.redirect_uri,
            "scopes": list(request.scopes or ()),
            "user_id": getattr(user, "id", None),
            "expires": (datetime.now(timezone.utc) + timedelta(seconds=lifetime)).timestamp(),
            "code_challenge": request.code_challenge,
            "code_challenge_method": request.code_challenge_method,
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
            return CachedGrant(backend, key, code, data, user_loader)
        except (ValueError, TypeError, KeyError):
            log.warning("ignored a malformed grant in the cache")
            return None

    provider.grantsetter(set_grant)
    provider.grantgetter(get_grant)
    return cache
