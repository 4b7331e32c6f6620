"""Registering the storage functions of an OAuth 2 provider.

Each decorator keeps the function in the provider's registry; the validator of every
app is built from them (:meth:`~.OAuth2Provider._build_validator`), and registering
one again makes the next request build it anew.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context

from flask_oauthlib_core import ProviderBase, StorageUnavailable

from . import signals
from .config import OAuth2Settings
from .pushed_requests import MemoryPushedRequestStore, PushedRequestStore
from .replay import MemoryReplayStore, ReplayStore
from .server import Server
from .storage import CG, CLG, CS, DG, DS, GG, GS, LG, RP, TG, TS, UG
from .token_cache import RevocationListener, RevokedTokens, TokenCache

__all__ = ["StorageFunctionsMixin"]

log = logging.getLogger(__name__)

RL = TypeVar("RL", bound=RevocationListener)


class StorageFunctionsMixin(ProviderBase[Server, OAuth2Settings, Any]):
    """``clientgetter``, ``grantgetter``, ``grantsetter``, ``tokengetter``,
    ``tokensetter``, ``usergetter``, ``devicegetter``, ``devicesetter``,
    ``logingetter``, ``claimsgetter``, ``clientsetter``, ``registration_policy``,
    ``replay_store``, ``token_cache`` and ``revocation_listener`` of
    :class:`~.OAuth2Provider`."""

    def clientgetter(self, f: CG) -> CG:
        """Register ``f(client_id)`` returning a client object or ``None``.

        A client has ``client_id``, ``client_secret``, ``redirect_uris``,
        ``default_redirect_uri``, ``default_scopes`` and ``is_confidential``, and may have
        ``allowed_grant_types``, ``allowed_response_types``, ``validate_scopes(scopes)``,
        ``allowed_resources`` (the resources it may name, RFC 8707) and, for the client
        credentials grant, ``user``.
        """
        return self._register("clientgetter", f)

    def grantgetter(self, f: GG) -> GG:
        """Register ``f(client_id, code)`` returning a grant with ``client_id``,
        ``redirect_uri``, ``scopes``, ``user``, ``expires`` and ``delete()`` (and, to have
        PKCE enforced, ``code_challenge`` and ``code_challenge_method``)."""
        return self._register("grantgetter", f)

    def grantsetter(self, f: GS) -> GS:
        """Register ``f(client_id, code, request, *args, **kwargs)`` saving a grant.

        ``code["code"]`` is the code; ``request`` carries ``user``, ``scopes``,
        ``redirect_uri``, ``code_challenge`` and ``code_challenge_method``, and for an
        OpenID request ``nonce``, ``auth_time`` (seconds since the epoch) and
        ``claims`` (a dict or ``None``): store them and expose them on the grant as
        attributes of the same names. With resource indicators (RFC 8707) it also
        carries ``resources`` (a list of URIs): keep them as the grant's ``resources``,
        or codes asked for resources are refused.
        """
        return self._register("grantsetter", f)

    def tokengetter(self, f: TG) -> TG:
        """Register ``f(access_token=None, refresh_token=None)`` returning a token with
        ``access_token``, ``refresh_token``, ``client_id``, ``scopes``, ``expires`` and
        ``user`` (and ``delete()`` for revocation)."""
        return self._register("tokengetter", f)

    def tokensetter(self, f: TS) -> TS:
        """Register ``f(token, request, *args, **kwargs)`` saving a bearer token dict
        (``access_token``, ``token_type``, ``expires_in``, ``scope`` and maybe
        ``refresh_token``) for ``request.client`` and ``request.user``; at the token
        endpoint ``getattr(request, "resources", None)`` is the token's audience (RFC
        8707): keep it as the token's ``resources``, or tokens for resources are
        refused."""
        return self._register("tokensetter", f)

    def usergetter(self, f: UG) -> UG:
        """Register ``f(username, password, client, request, *args, **kwargs)`` returning
        the user for the password grant, or ``None``."""
        return self._register("usergetter", f)

    def devicegetter(self, f: DG) -> DG:
        """Register ``f(device_code=...)`` returning a device authorization (RFC 8628): a
        dict or object with ``client_id``, ``scopes``, ``expires``, ``status``
        (``"pending"``, ``"authorized"`` or ``"denied"``, set by your verification page),
        ``user``, and ``redeem()`` or ``delete()`` to make it single use.

        .. versionadded:: 1.0
        """
        return self._register("devicegetter", f)

    def devicesetter(self, f: DS) -> DS:
        """Register ``f(device, request)`` saving a new device authorization; ``device``
        has ``device_code``, ``user_code``, ``client_id``, ``scopes``, ``expires`` and
        ``status="pending"``. The validator calls it
        (:meth:`~.rfc8628.DeviceMixin.save_device_authorization`).

        .. versionadded:: 1.0
        """
        return self._register("devicesetter", f)

    def logingetter(self, f: LG) -> LG:
        """Register ``f()`` returning ``(user, auth_time)`` of the end-user logged in at
        the provider, or ``None`` when nobody is (OpenID Connect). ``auth_time`` is when
        they last authenticated: a datetime (naive is UTC), seconds since the epoch, or
        ``None`` if unknown. It decides ``prompt=none``, ``prompt=login`` and
        ``max_age``, and gives ID tokens their ``auth_time``::

            @oauth.logingetter
            def current_login():
                if not current_user.is_authenticated:
                    return None
                return current_user, session["login_time"]

        .. versionadded:: 1.1
        """
        return self._register("logingetter", f)

    def claimsgetter(self, f: CLG) -> CLG:
        """Register ``f(user, request)`` returning the user's OpenID claims, a dict of
        standard claim names (``sub``, ``name``, ``email``, ``email_verified``,
        ``address`` ...). Clients get ``sub``, the claims of their token's scopes
        (``profile``, ``email``, ``address``, ``phone``) and those the ``claims``
        parameter named. Without it, the user's attributes of those names are read
        (``sub`` from ``user.sub`` or ``user.id``).

        .. versionadded:: 1.1
        """
        return self._register("claimsgetter", f)

    def clientsetter(self, f: CS) -> CS:
        """Register ``f(client_id, client, request, *args, **kwargs)`` saving a client
        registered dynamically (RFC 7591), or updated by its configuration endpoint (RFC
        7592); ``client`` is ``None`` to delete it (and, if you can, its tokens and
        codes). Dynamic client registration is offered only with one::

            @oauth.clientsetter
            def save_client(client_id, client, request, *args, **kwargs):
                if client is None:
                    clients.pop(client_id, None)
                    return None
                stored = clients.setdefault(client_id, Client(client_id))
                for name, value in client.items():
                    setattr(stored, name, value)  # hash client_secret in real storage
                return stored

        ``client`` is a dict, the same keys on registration and on update, read back by
        your ``clientgetter`` as attributes of the same names: ``client_id``,
        ``is_confidential``, ``token_endpoint_auth_method``, ``redirect_uris``,
        ``default_scopes``, ``allowed_grant_types``, ``allowed_response_types``,
        ``post_logout_redirect_uris``, ``client_id_issued_at``,
        ``client_secret_expires_at`` (seconds since the epoch, ``0``: never) and
        ``client_metadata`` (a dict of what describes the client: ``client_name``,
        ``client_uri``, ``logo_uri``, ``contacts``, ``tos_uri``, ``policy_uri``,
        ``software_id``, ``software_version``). Two keys are there only when they change,
        keep what you have otherwise: ``client_secret`` (the plaintext secret, ``None``
        for a public client: store it hashed and offer ``check_client_secret(secret)``)
        and ``registration_access_token_hash`` (the SHA-256 hex digest of the
        registration access token, ``flask_oauthlib_core.hash_secret``; the token itself
        is never stored). ``request`` carries ``initial_access_token``,
        ``software_statement`` and ``client`` (the client being updated or deleted).

        .. versionadded:: 1.1
        """
        return self._register("clientsetter", f)

    def registration_policy(self, f: RP) -> RP:
        """Register ``f(metadata, request)`` deciding whether a client may register, or
        update its registration, with ``metadata``: return ``True`` to accept. Without
        one, registration is open to anyone.

        ``metadata`` is the checked metadata (a dict of RFC 7591 names:
        ``redirect_uris``, ``grant_types``, ``scope`` ...), which the policy may narrow
        (it is checked again); ``request.initial_access_token`` is the request's bearer
        token (``None`` without one), ``request.client`` the client being updated
        (``None`` at registration), ``request.software_statement`` the unverified
        ``software_statement``. Refusing a registration answers 401 ``invalid_token``
        (an initial access token is missing or not good enough), refusing an update 400
        ``invalid_client_metadata``; raise ``InvalidRedirectURI`` or
        ``InvalidClientMetadata`` (:mod:`.rfc7591`), or any oauthlib ``OAuth2Error``, to
        answer otherwise. Open only for loopback redirect URIs::

            @oauth.registration_policy
            def may_register(metadata, request):
                if request.initial_access_token in initial_tokens:
                    return True
                uris = metadata["redirect_uris"]
                return bool(uris) and all(is_loopback_uri(uri) for uri in uris)

        .. versionadded:: 1.1
        """
        return self._register("registration_policy", f)

    def jwt_bearer_usergetter(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``f(issuer, subject, client, request)`` returning the user a trusted
        issuer's assertion names (the JWT bearer grant, RFC 7523 2.1), or ``None`` to
        refuse it. The grant is offered only with one and
        ``OAUTH2_PROVIDER_JWT_BEARER_ISSUERS`` (:mod:`.rfc7523_grant`)::

            @oauth.jwt_bearer_usergetter
            def user_of(issuer, subject, client, request):
                return User.query.filter_by(idp=issuer, idp_subject=subject).first()

        .. versionadded:: 1.1
        """
        return self._register("jwt_bearer_usergetter", f)

    def jwt_usergetter(self, f: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``f(sub, claims)`` returning the user of a JWT access token
        (RFC 9068) that ``require_oauth`` verified without storage: ``sub`` is the user's
        OpenID subject (``user.sub`` or ``user.id``, or the claimsgetter's ``sub``).
        Without one, ``request.oauth.user`` is ``None`` for such tokens and the view
        reads ``request.oauth.access_token.sub`` (:mod:`.rfc9068`).

        .. versionadded:: 1.1
        """
        return self._register("jwt_usergetter", f)

    def replay_store(self, store: ReplayStore) -> ReplayStore:
        """Register the :class:`~.replay.ReplayStore` recording one-time values (DPoP
        proof and client assertion ``jti`` values) for every app of this provider; the
        validator finds it as ``validator.replay_store``.

        Without one, each provider keeps a :class:`~.replay.MemoryReplayStore` of its
        own (kept when servers are rebuilt), which protects one process only: an app
        served by several processes or machines registers a shared store::

            from flask_oauthlib_contrib_cache import bind_cache_replay

            bind_cache_replay(app, oauth)  # Redis or memcached, from OAUTH2_CACHE_*

        :raises TypeError: if ``store`` has no ``first_use(key, expires_in)``.

        .. versionadded:: 1.1
        """
        if not isinstance(store, ReplayStore):
            raise TypeError(
                f"a replay store needs first_use(key, expires_in), not {type(store).__name__}"
            )
        self._register("replay_store", cast(Any, store))
        return store

    def _replay_store(self) -> ReplayStore:
        """The registered replay store, else this provider's own memory store (created
        once, so what it recorded survives a rebuilt server)."""
        registered = self._getters.get("replay_store")
        if registered is not None:
            return cast(ReplayStore, registered)
        default = self.__dict__.get("_default_replay_store")
        if default is None:
            # dict.setdefault is atomic: two first requests at once still share one store
            default = self.__dict__.setdefault("_default_replay_store", MemoryReplayStore())
        return cast(ReplayStore, default)

    def _attach_replay_store(self, validator: Any) -> None:
        """Give ``validator`` the replay store; a validator the app assigned
        (``oauth._validator``) keeps one it has unless a store was registered."""
        assigned = validator is self._custom_validator
        keep = assigned and getattr(validator, "replay_store", None) is not None
        if "replay_store" in self._getters or not keep:
            validator.replay_store = self._replay_store()

    def pushed_request_store(self, store: PushedRequestStore) -> PushedRequestStore:
        """Register the :class:`~.pushed_requests.PushedRequestStore` keeping pushed
        authorization requests (RFC 9126) for every app of this provider; the validator
        finds it as ``validator.pushed_request_store``.

        Without one, each provider keeps a
        :class:`~.pushed_requests.MemoryPushedRequestStore` of its own, which serves one
        process only: an app served by several processes registers a shared store::

            from flask_oauthlib_contrib_cache import bind_cache_pushed_requests

            bind_cache_pushed_requests(app, oauth)  # Redis, memcached, from OAUTH2_CACHE_*

        :raises TypeError: if ``store`` lacks ``save``, ``peek`` or ``take``.

        .. versionadded:: 1.1
        """
        if not isinstance(store, PushedRequestStore):
            raise TypeError(
                f"a pushed request store needs save, peek and take, not {type(store).__name__}"
            )
        self._register("pushed_request_store", cast(Any, store))
        return store

    def _attach_pushed_request_store(self, validator: Any) -> None:
        """Give ``validator`` the registered pushed request store, else this provider's
        own memory store (created once, so pushed requests survive a rebuilt server)."""
        store = self._getters.get("pushed_request_store")
        if store is None:
            store = self.__dict__.get("_default_pushed_request_store")
            if store is None:
                store = self.__dict__.setdefault(
                    "_default_pushed_request_store", MemoryPushedRequestStore()
                )
        validator.pushed_request_store = store

    # -- the token cache and revocation listeners --------------------------------------------

    def token_cache(self, cache: TokenCache, app: Flask | None = None) -> TokenCache:
        """Register the :class:`~.token_cache.TokenCache` answering ``require_oauth``'s
        token lookups (the tokengetter by ``access_token``) for ``app``, or for every app
        of this provider that has none of its own; its ``revoked()`` is told of every
        revocation in those apps. None by default::

            from flask_oauthlib_contrib_cache import bind_cache_token_cache

            bind_cache_token_cache(app, oauth)  # Redis or memcached, from OAUTH2_CACHE_*

        :raises TypeError: if ``cache`` has no ``lookup`` and ``revoked``.

        .. versionadded:: 1.1
        """
        if not isinstance(cache, TokenCache):
            raise TypeError(
                f"a token cache needs lookup(access_token, load) and revoked(revoked), not"
                f" {type(cache).__name__}"
            )
        if app is None:
            self._register("token_cache", cast(Any, cache))
        else:
            self._app_token_caches()[app] = cache
            self._reset()
        return cache

    def _app_token_caches(self) -> MutableMapping[Flask, TokenCache]:
        caches: MutableMapping[Flask, TokenCache] = self.__dict__.setdefault(
            "_token_caches_by_app", weakref.WeakKeyDictionary()
        )
        return caches

    def _token_cache_of(self, app: Flask | None) -> TokenCache | None:
        """The token cache of ``app`` (its own, else the provider's), if any."""
        own = self._app_token_caches().get(app) if app is not None else None
        return own or cast("TokenCache | None", self._getters.get("token_cache"))

    def revocation_listener(self, f: RL) -> RL:
        """Register ``f(revoked)``, told with a :class:`~.token_cache.RevokedTokens`
        whenever the provider revokes tokens in storage: at the revocation endpoint (RFC
        7009), when a refresh token is exchanged (rotation) or reused, and when a code is
        replayed::

            @oauth.revocation_listener
            def forget(revoked):
                for digest in revoked.access_token_hashes:
                    my_cache.delete(digest)

        A listener that fails is logged and the others still run: the tokens are revoked
        in storage already.

        .. versionadded:: 1.1
        """
        self._listeners().append(f)
        self._reset()
        return f

    def tokens_revoked(self, revoked: RevokedTokens) -> None:
        """Tell the token cache and the revocation listeners that the app revoked tokens
        itself (an admin page, a command), so that no worker accepts them from a cache
        (the current app's cache; outside an app context, every cache of this provider)::

            token.revoke()
            oauth.tokens_revoked(RevokedTokens.of(token, "admin"))

        Then :data:`~.signals.token_revoked` is sent (:mod:`.signals`).

        .. versionadded:: 1.1
        """
        if has_app_context():  # the app's cache
            found = self._token_cache_of(current_app._get_current_object())  # type: ignore[attr-defined]
            caches = [found] if found is not None else []
        else:  # a command with no app: every cache of this provider
            provider_wide = cast("TokenCache | None", self._getters.get("token_cache"))
            caches = [*self._app_token_caches().values(), *filter(None, [provider_wide])]
        listeners: list[RevocationListener] = [cache.revoked for cache in caches]
        for listener in [*listeners, *self._listeners()]:
            try:
                listener(revoked)
            except StorageUnavailable as exc:
                log.warning(
                    "revoked tokens could not be forgotten by a cache (%s): other workers may"
                    " accept them until their cache entries expire",
                    exc,
                )
            except Exception:
                log.exception("a revocation listener failed")
        signals.send_revoked(revoked)

    def _listeners(self) -> list[RevocationListener]:
        listeners: list[RevocationListener] = self.__dict__.setdefault("_revocation_listeners", [])
        return listeners

    def _attach_token_cache(self, validator: Any, app: Flask) -> None:
        """Give ``validator`` the token cache registered for ``app``, and
        :meth:`tokens_revoked` as its ``revocation_hook`` when anything listens; a
        validator the app assigned (``oauth._validator``) keeps a cache it has unless one
        was registered."""
        cache = self._token_cache_of(app)
        if cache is not None or validator is not self._custom_validator:
            validator.token_cache = cache
        listening = cache is not None or bool(self._listeners())
        validator.revocation_hook = self.tokens_revoked if listening else None
