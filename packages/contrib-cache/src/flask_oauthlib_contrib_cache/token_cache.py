"""``bind_cache_token_cache``: ``require_oauth``'s token lookups answered from a cache
shared by every worker, and forgotten by all of them when the provider revokes tokens.

Entries are JSON under a SHA-256 of the access token (the cache never holds a token):

- a token found, unrevoked and unexpired: its ``client_id``, ``scopes``, ``expires``,
  ``dpop_jkt``, ``resources``, ``token_type`` and a signed reference to its user (see
  :mod:`.users`), signed as a whole with the app's ``SECRET_KEY``; kept
  ``TOKEN_CACHE_TIMEOUT`` seconds, never past the token's expiry;
- a token the tokengetter does not know: kept ``TOKEN_CACHE_NEGATIVE_TIMEOUT`` seconds;
- a revoked token: a mark that makes every worker ask the tokengetter again, written
  over its entry when the provider revokes it.

When the provider revokes tokens it cannot name one by one (a refresh token's family,
what a replayed code issued), the client and user get a mark with the time: their
entries written before it are not used any more. A hit reads two keys (the entry and
that mark), then loads the user again (:mod:`.users`); ``request.oauth.client`` comes
from the clientgetter. Entries are only added (Redis ``SET NX``, memcached ``add``), so
a lookup that raced a revocation cannot write over the revocation's mark.

.. versionadded:: 1.1
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Flask

from flask_oauthlib_core import StorageUnavailable, as_utc, equal_secrets, hash_secret

from .backends import Backend, SimpleBackend
from .cache import Cache
from .users import _PROCESS_KEY, UserStore

if TYPE_CHECKING:
    from flask_oauthlib_provider_oauth2 import RevokedTokens

__all__ = [
    "CLOCK_SKEW",
    "CacheTokenCache",
    "CachedToken",
    "bind_cache_token_cache",
    "token_cache_key",
]

log = logging.getLogger(__name__)

#: seconds the clocks of two workers may differ: entries loaded that close to a family's
#: revocation are not trusted, nor written when the tokengetter took longer than this
CLOCK_SKEW = 2.0
#: the attributes of :class:`CachedToken` never fetched from the stored token
_NOT_FROM_STORAGE = frozenset({"client"})
_UNLOADED: Any = object()
#: what a lookup found in the cache, besides a token
_MISS, _PASS, _UNKNOWN = "miss", "pass", "unknown"
_ENTRY_PREFIX = "access-token:"
_REVOKED = json.dumps({"kind": "revoked"})


def token_cache_key(access_token: str, namespace: str = "") -> str:
    """The cache key of ``access_token``'s entry: a SHA-256 (hex) of it, after a digest
    of the ``namespace`` (the storage the token comes from) when there is one."""
    return _ENTRY_PREFIX + _namespace_tag(namespace) + hash_secret(access_token)


def _namespace_tag(namespace: str) -> str:
    if not namespace:
        return ""
    return hashlib.sha256(namespace.encode("utf-8")).hexdigest()[:16] + ":"


def _subject(user: Any) -> str:
    """The user a family mark is for: its ``id`` (else ``get_id()``) as text."""
    if user is None:
        return ""
    value = getattr(user, "id", None)
    if value is None and callable(getattr(user, "get_id", None)):
        value = user.get_id()
    return "" if value is None else str(value)


def _family_key(client_id: str, subject: str, namespace: str = "") -> str:
    digest = hashlib.sha256(f"{client_id}\x00{subject}".encode()).hexdigest()
    return "access-tokens-revoked:" + _namespace_tag(namespace) + digest


def _epoch(expires: Any) -> float | None:
    """The expiry of a stored token in seconds since the epoch (naive is UTC); ``None``
    for a token that never expires (anything but a datetime, as the provider reads it)."""
    return as_utc(expires).timestamp() if isinstance(expires, datetime) else None


class CachedToken:
    """A token answered from the cache, with what ``require_oauth`` reads:
    ``access_token``, ``client_id``, ``scopes``, ``expires`` (UTC), ``user``,
    ``revoked`` (``False``), ``dpop_jkt``, ``resources`` and ``token_type``.

    Any other public attribute (``refresh_token``, ``delete`` ...) comes from the stored
    token, loaded with the tokengetter on first use; ``client`` is never an attribute
    (the provider loads ``request.oauth.client`` with the clientgetter).

    .. versionadded:: 1.1
    """

    revoked = False

    def __init__(
        self, access_token: str, entry: dict[str, Any], user: Any, load: Callable[[], Any]
    ) -> None:
        self.access_token = access_token
        self.client_id: str = entry["client_id"]
        self.scopes: list[str] = list(entry["scopes"])
        expires = entry["expires"]
        self.expires = None if expires is None else datetime.fromtimestamp(expires, timezone.utc)
        self.user = user
        self.dpop_jkt: str | None = entry["dpop_jkt"]
        self.resources: list[str] = list(entry["resources"])
        self.token_type: str = entry["token_type"]
        self._load = load
        self._stored = _UNLOADED

    def stored(self) -> Any:
        """The token as the tokengetter returns it now (loaded once)."""
        if self._stored is _UNLOADED:
            self._stored = self._load()
        return self._stored

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in _NOT_FROM_STORAGE:
            raise AttributeError(name)
        stored = self.stored()
        if stored is None:
            raise AttributeError(name)
        return getattr(stored, name)

    def __repr__(self) -> str:
        return f"<CachedToken of {self.client_id!r}>"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _valid_entry(entry: dict[str, Any]) -> bool:
    """Whether a found token's entry has every field, of its type."""
    get = entry.get
    return (
        _number(get("until"))
        and _number(get("loaded_at"))
        and (get("expires") is None or _number(get("expires")))
        and all(isinstance(get(name), str) for name in ("client_id", "subject", "token_type"))
        and (get("dpop_jkt") is None or isinstance(get("dpop_jkt"), str))
        and (get("user") is None or isinstance(get("user"), dict))
        and _texts(get("scopes"))
        and _texts(get("resources"))
    )


class CacheTokenCache:
    """A token cache (``flask_oauthlib_provider_oauth2.TokenCache``) on a cache backend
    (see the module docs for what it stores).

    :param backend: the backend of a :class:`~.Cache`.
    :param users: how users are referenced and loaded again; entries are signed with its
        app's ``SECRET_KEY``.
    :param timeout: seconds a token is kept (``0``: found tokens are not kept).
    :param negative_timeout: seconds an unknown token is kept (``0``: not kept).
    :param namespace: what tells this storage's tokens from those of other apps sharing
        the cache (entries and revocation marks are kept under a digest of it).

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        backend: Backend,
        users: UserStore,
        timeout: int = 30,
        negative_timeout: int = 5,
        namespace: str = "",
    ) -> None:
        if timeout < 0 or negative_timeout < 0:
            raise ValueError("token cache timeouts are seconds, 0 or more")
        self.namespace = namespace
        self.backend = backend
        self.users = users
        self.timeout = timeout
        self.negative_timeout = negative_timeout
        self._warned: set[str] = set()

    # -- signing ---------------------------------------------------------------------------

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            log.warning(message)

    def _sign(self, key: str, body: dict[str, Any]) -> str:
        secret = self.users.app.secret_key
        if not secret:
            self._warn_once(
                "secret",
                "the token cache signs its entries with SECRET_KEY, which this app lacks: each"
                " process only trusts the tokens it cached itself",
            )
        secret = secret or _PROCESS_KEY
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        message = b"flask-oauthlib token cache\x00" + key.encode() + b"\x00" + text.encode()
        secret_bytes = secret.encode() if isinstance(secret, str) else secret
        return hmac.new(secret_bytes, message, hashlib.sha256).hexdigest()

    def _decode(self, key: str, raw: str) -> dict[str, Any] | None:
        """The entry ``raw`` holds; ``None`` when it is not one of ours (not JSON, not
        signed by this app, fields missing or of another type)."""
        try:
            entry = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(entry, dict) or entry.get("kind") not in ("token", "unknown", "revoked"):
            return None
        if entry["kind"] != "token":
            return entry
        sig = entry.pop("sig", None)
        if not isinstance(sig, str) or not equal_secrets(sig, self._sign(key, entry)):
            return None
        return entry if _valid_entry(entry) else None

    # -- lookups ---------------------------------------------------------------------------

    def lookup(self, access_token: str, load: Callable[[], Any]) -> Any:
        """The token from the cache, else from ``load()`` (the tokengetter), then kept.
        A cache that does not answer, or holds something else, is asked nothing more:
        the tokengetter answers."""
        key = token_cache_key(access_token, self.namespace)
        try:
            found = self._read(key, access_token, load)
        except StorageUnavailable as exc:
            log.warning("the token cache is unavailable (%s); asking the tokengetter", exc)
            return load()
        if isinstance(found, CachedToken):
            return found
        if found == _UNKNOWN:
            return None
        loaded_at = time.time()
        tok = load()
        if found == _MISS:
            try:
                self._remember(key, tok, loaded_at)
            except StorageUnavailable as exc:
                log.warning("the token cache is unavailable (%s); the token is not kept", exc)
        return tok

    def _read(self, key: str, access_token: str, load: Callable[[], Any]) -> Any:
        """A :class:`CachedToken`, or ``_UNKNOWN``, ``_MISS`` (load and keep) or ``_PASS``
        (load, keep nothing: the entry is a revocation's or not one of ours)."""
        raw = self.backend.get(key)
        if raw is None:
            return _MISS
        entry = self._decode(key, raw)
        if entry is None:
            log.debug("ignored a token cache entry that is not one of ours")
            return _PASS
        if entry["kind"] == "unknown":
            return _UNKNOWN
        if entry["kind"] == "revoked":
            return _PASS
        now = time.time()
        expires = entry["expires"]
        if entry["until"] <= now or (expires is not None and expires <= now):
            return _PASS
        mark = self.backend.get(_family_key(entry["client_id"], entry["subject"], self.namespace))
        if mark is not None and not self._after(entry["loaded_at"], mark):
            return _PASS
        user = None
        if entry["user"] is not None:
            user = self.users.load(entry["user"])
            if user is None:
                return _PASS
        return CachedToken(access_token, entry, user, load)

    @staticmethod
    def _after(loaded_at: float, mark: str) -> bool:
        """Whether an entry loaded at ``loaded_at`` is newer than the family ``mark``."""
        try:
            revoked_at = json.loads(mark)
        except ValueError:
            return False
        return _number(revoked_at) and loaded_at > revoked_at + CLOCK_SKEW

    def _remember(self, key: str, tok: Any, loaded_at: float) -> None:
        """Keep what the tokengetter answered: an unknown token, or a valid one whose user
        can be loaded again."""
        if not tok:
            if self.negative_timeout:
                entry = json.dumps({"kind": "unknown"})
                self.backend.add(key, entry, timeout=self.negative_timeout)
            return
        now = time.time()
        expires = _epoch(getattr(tok, "expires", None))
        until = loaded_at + self.timeout
        if expires is not None:
            until = min(until, expires)
        lifetime = math.floor(until - now)
        if getattr(tok, "revoked", False) or lifetime < 1 or now - loaded_at > CLOCK_SKEW:
            return
        body = self._body(tok, expires, until, loaded_at)
        if body is not None:
            body["sig"] = self._sign(key, body)
            self.backend.add(key, json.dumps(body), timeout=lifetime)

    def _body(
        self, tok: Any, expires: float | None, until: float, loaded_at: float
    ) -> dict[str, Any] | None:
        """The entry of ``tok``; ``None`` when it cannot be kept exactly."""
        user = getattr(tok, "user", None)
        if user is not None and not self.users.reloadable(user):
            self._warn_once(
                "user",
                "the token cache keeps no token whose user cannot be loaded again: pass"
                " user_loader= to bind_cache_token_cache (or use Flask-Login's user_loader,"
                " or SQLAlchemy users)",
            )
            return None
        client_id = getattr(tok, "client_id", None)
        scopes = list(getattr(tok, "scopes", None) or ())
        resources = getattr(tok, "resources", None) or []
        if isinstance(resources, str):
            resources = resources.split()
        jkt = getattr(tok, "dpop_jkt", None) or None
        token_type = getattr(tok, "token_type", None) or ("DPoP" if jkt else "Bearer")
        values = [client_id, *scopes, *resources, token_type]
        if not all(isinstance(value, str) for value in values) or not (
            jkt is None or isinstance(jkt, str)
        ):
            return None
        try:
            ref = self.users.dump(user)
        except (AttributeError, TypeError):  # a user without the id its loader needs
            return None
        body = {
            "kind": "token",
            "client_id": client_id,
            "scopes": scopes,
            "expires": expires,
            "until": until,
            "loaded_at": loaded_at,
            "user": ref,
            "subject": _subject(user),
            "dpop_jkt": jkt,
            "resources": list(resources),
            "token_type": token_type,
        }
        try:
            json.dumps(body)
        except (TypeError, ValueError):  # a user id JSON cannot hold
            return None
        return body

    # -- revocation ------------------------------------------------------------------------

    def revoked(self, revoked: RevokedTokens) -> None:
        """Forget the tokens a ``RevokedTokens`` names, in every worker sharing the cache:
        each access token's entry is replaced by a revocation mark, and for a family the
        client and user get a mark with the time (both kept longer than any entry they
        hide).

        :raises flask_oauthlib_core.StorageUnavailable: when the cache does not answer
            (the provider logs it; entries then live until they expire).
        """
        for digest in revoked.access_token_hashes:
            self._mark(_ENTRY_PREFIX + _namespace_tag(self.namespace) + digest, _REVOKED)
        if not revoked.family:
            return
        if revoked.client_id is None:
            log.warning("revoked tokens of an unknown client: cached ones live until they expire")
            return
        key = _family_key(str(revoked.client_id), _subject(revoked.user), self.namespace)
        self._mark(key, json.dumps(time.time()))

    def forget(self, access_token: str) -> None:
        """Forget ``access_token`` in every worker, as when the provider revokes it.

        :raises flask_oauthlib_core.StorageUnavailable: when the cache does not answer.
        """
        self._mark(token_cache_key(access_token, self.namespace), _REVOKED)

    def _mark(self, key: str, value: str) -> None:
        """Write a revocation's mark, kept longer than any entry it hides."""
        self.backend.set(key, value, timeout=self.timeout + math.ceil(CLOCK_SKEW) + 1)


def bind_cache_token_cache(
    app: Flask,
    provider: Any,
    config_prefix: str = "OAUTH2",
    user_loader: Callable[[Any], Any] | None = None,
    timeout: int | None = None,
    negative_timeout: int | None = None,
) -> CacheTokenCache:
    """Answer ``require_oauth``'s token lookups from the cache ``<PREFIX>_CACHE_TYPE``
    names (the ``<PREFIX>_CACHE_*`` keys of :class:`~.Cache`), registered with
    ``provider.token_cache``; without it (the default) every protected request asks the
    tokengetter::

        app.config["OAUTH2_CACHE_TYPE"] = "redis"
        app.config["OAUTH2_CACHE_REDIS_URL"] = "redis://cache:6379/0"
        bind_cache_token_cache(app, oauth, user_loader=User.get)

    A found token is kept ``<PREFIX>_CACHE_TOKEN_CACHE_TIMEOUT`` seconds (``30``), never
    past its own expiry, an unknown one ``<PREFIX>_CACHE_TOKEN_CACHE_NEGATIVE_TIMEOUT``
    seconds (``5``); ``timeout`` and ``negative_timeout`` override them. Tokens the
    provider revokes (revocation endpoint, rotation, reuse, code replay) are forgotten
    at once by every worker sharing the cache; tokens the app revokes itself are
    forgotten with ``provider.tokens_revoked(RevokedTokens.of(token, "admin"))``.

    :param user_loader: ``f(user_id)`` returning the user (only ``user.id`` is kept);
        without it Flask-Login's loader or a SQLAlchemy user's class and primary key
        bring the user back. A token whose user none of them can bring back is not kept.

    The cache answers for ``app`` only (another app of the same provider binds its own).
    Its entries are kept apart from other apps' sharing the cache by
    ``<PREFIX>_CACHE_TOKEN_CACHE_NAMESPACE``: by default the app's
    ``SQLALCHEMY_DATABASE_URI`` and ``SQLALCHEMY_BINDS`` (as a digest), so apps of other
    databases never take each other's entries; apps whose tokens live elsewhere and that
    share a cache should set one each (every worker of one app the same).

    The ``simple`` cache is one process's: a token revoked in another process is
    accepted here until its entry expires. Use Redis or memcached with several workers.

    :raises ValueError: for a negative timeout.

    .. versionadded:: 1.1
    """
    cache = Cache(app, config_prefix)
    positive = int(cache._config("TOKEN_CACHE_TIMEOUT")) if timeout is None else timeout
    negative = negative_timeout
    if negative is None:
        negative = int(cache._config("TOKEN_CACHE_NEGATIVE_TIMEOUT"))
    if isinstance(cache.cache, SimpleBackend):
        log.warning(
            "the simple token cache is this process's: a token revoked by another process is"
            " accepted here for up to %s seconds; use redis or memcache with several workers",
            positive,
        )
    namespace = cache._config("TOKEN_CACHE_NAMESPACE")
    if namespace is None:  # the app's database: apps on other databases never meet
        databases = (app.config.get("SQLALCHEMY_DATABASE_URI"), app.config.get("SQLALCHEMY_BINDS"))
        namespace = repr(databases) if any(databases) else ""
    users = UserStore(app, user_loader)
    store = CacheTokenCache(cache.cache, users, positive, negative, str(namespace))
    provider.token_cache(store, app=app)
    return store
