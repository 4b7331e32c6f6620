"""Token caches: ``require_oauth``'s token lookups answered from a cache, and the news
that tokens were revoked.

A :class:`TokenCache` registered with :meth:`~.OAuth2Provider.token_cache` answers the
lookup of the token a protected request sends (the tokengetter by ``access_token``)
instead of storage; every other lookup (refresh, revocation, introspection, the
read-backs after a token is saved) still asks the tokengetter. None is registered by
default. ``bind_cache_token_cache`` of ``flask-oauthlib-contrib-cache`` keeps one in
Redis or memcached.

Whenever the provider revokes tokens in storage (the revocation endpoint, RFC 7009; a
refresh token rotated or reused; a replayed code) it tells the token cache and the
:meth:`~.OAuth2Provider.revocation_listener` functions with :class:`RevokedTokens`, so a
cache shared by every worker forgets them at once. An app that revokes tokens itself
(an admin page, a command) tells them with :meth:`~.OAuth2Provider.tokens_revoked`.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from flask_oauthlib_core import hash_secret

__all__ = ["RevocationListener", "RevokedTokens", "TokenCache"]


@dataclass(frozen=True)
class RevokedTokens:
    """Tokens just revoked in storage, as the provider tells a token cache and the
    revocation listeners: never a token itself, only hashes.

    :param access_token_hashes: the SHA-256 hex digests
        (``flask_oauthlib_core.hash_secret``) of the access tokens known to be revoked.
    :param client_id: the client they were issued to.
    :param user: their user (``None`` for none, or unknown).
    :param family: whether more access tokens of this client and user may have been
        revoked than those listed: a refresh token's family, the tokens issued from a
        replayed code, or tokens whose access token the storage object does not show.
        A cache forgets every token of the client and user then.
    :param reason: ``"revocation"`` (RFC 7009), ``"rotation"`` (a refresh token
        exchanged), ``"refresh_token_reuse"``, ``"code_replay"``, or an app's own word.
    :param scopes: the scopes of the token or grant revoked (for
        :data:`~.signals.token_revoked`).

    .. versionadded:: 1.1
    """

    access_token_hashes: tuple[str, ...] = ()
    client_id: str | None = None
    user: Any = None
    family: bool = False
    reason: str = "revocation"
    scopes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        stored: Any,
        reason: str,
        *,
        family: bool = False,
        access_token: str | None = None,
        client_id: str | None = None,
    ) -> RevokedTokens:
        """What revoking the storage object ``stored`` (a token or grant) revoked: the
        ``access_token`` given and the object's own access token (its ``access_token``,
        else its ``access_token_hash``), for its ``client_id`` (or the one given) and
        ``user`` and ``scopes``; ``family`` when asked, or when no access token is known::

            oauth.tokens_revoked(RevokedTokens.of(token, "admin"))
        """
        hashes = [hash_secret(access_token)] if access_token else []
        own = getattr(stored, "access_token", None)
        if isinstance(own, str) and own:
            hashes.append(hash_secret(own))
        else:
            digest = getattr(stored, "access_token_hash", None)
            if isinstance(digest, str) and digest:
                hashes.append(digest)
        scopes = getattr(stored, "scopes", None) or ()
        return cls(
            access_token_hashes=tuple(dict.fromkeys(hashes)),
            client_id=getattr(stored, "client_id", None) or client_id,
            user=getattr(stored, "user", None),
            family=family or not hashes,
            reason=reason,
            scopes=tuple(scopes.split() if isinstance(scopes, str) else map(str, scopes)),
        )


#: ``f(revoked)``, told of every revocation (:meth:`~.OAuth2Provider.revocation_listener`)
RevocationListener = Callable[[RevokedTokens], object]


@runtime_checkable
class TokenCache(Protocol):
    """Where ``require_oauth`` looks tokens up before storage.

    .. versionadded:: 1.1
    """

    def lookup(self, access_token: str, load: Callable[[], Any]) -> Any:
        """The token ``access_token`` names, as the tokengetter would return it (or an
        object with the members the provider reads: ``client_id``, ``scopes``,
        ``expires``, ``user``, ``revoked``, ``dpop_jkt``, ``resources``); ``None`` for
        an unknown token. ``load()`` calls the tokengetter: on a miss, or whenever the
        cache cannot answer. A token the cache returns is checked as any other (expiry,
        revocation, scopes, binding)."""
        ...

    def revoked(self, revoked: RevokedTokens) -> None:
        """Forget the tokens :class:`RevokedTokens` names, in every process sharing the
        cache."""
        ...
