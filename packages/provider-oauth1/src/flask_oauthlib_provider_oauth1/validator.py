"""The oauthlib OAuth 1 request validator built on the user's getters and setters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_app_context
from oauthlib.oauth1 import RequestValidator
from oauthlib.oauth1.rfc5849 import errors
from oauthlib.oauth1.rfc5849.utils import UNICODE_ASCII_CHARACTER_SET

from flask_oauthlib_core import StorageUnavailable, equal_secrets

from .config import EXTENSION_KEY, OAuth1Settings
from .deferred_nonce import PENDING_NONCE, nonce_is_deferred, nonce_stored_after_validation

__all__ = ["OAuth1RequestValidator", "nonce_stored_after_validation"]

log = logging.getLogger(__name__)

#: nonces of this length range are accepted (clients differ: 20 to 40 characters)
NONCE_LENGTH = (16, 64)
#: the characters of client keys, tokens and nonces (oauthlib's, built once)
SAFE_CHARACTERS = frozenset(UNICODE_ASCII_CHARACTER_SET)


def _client_key_of(obj: Any) -> Any:
    """The client key a request token or verifier belongs to, if it tells."""
    if hasattr(obj, "client_key"):
        return obj.client_key
    client = getattr(obj, "client", None)
    return getattr(client, "client_key", None)


def _loaded(value: Any) -> Any:
    """An object a getter loaded earlier in this request, never a query parameter.

    oauthlib fills ``request.client``, ``request.access_token`` and
    ``request.request_token`` from same-named request parameters; only objects count.
    """
    return None if isinstance(value, str | bytes) else value


class OAuth1RequestValidator(RequestValidator):
    """oauthlib's OAuth 1 ``RequestValidator`` on top of the provider's getters and setters.

    :param clientgetter: ``f(client_key)`` returning a client with ``client_key``,
        ``client_secret``, ``redirect_uris``, ``default_realms`` (and ``rsa_key`` for
        RSA-SHA1).
    :param tokengetter: ``f(client_key, token)`` returning an access token.
    :param tokensetter: ``f(token, request)`` saving an access token.
    :param grantgetter: ``f(token)`` returning a request token.
    :param grantsetter: ``f(token, request)`` saving a request token.
    :param noncegetter: ``f(client_key, timestamp, nonce, request_token, access_token)``
        returning something truthy if the nonce was seen.
    :param noncesetter: the same arguments; stores the nonce. It may return ``False``
        when another request stored the same nonce first (an atomic add), which
        rejects this one; any other result (``None`` too) counts as stored. The
        provider calls it only for a request that passed every check.
    :param verifiergetter: ``f(verifier, token)`` returning the verifier (with ``user``).
    :param verifiersetter: ``f(token, verifier, request)`` saving the verifier.
    :param config: the provider's :class:`~.config.OAuth1Settings`, or (as in 0.9.6) a
        mapping with ``OAUTH1_PROVIDER_*`` keys such as ``app.config``, read once, when the
        validator first needs a setting; missing keys take their defaults.

    .. versionchanged:: 1.1
        ``config`` may be :class:`~.config.OAuth1Settings`; a mapping is read once, on
        first use, not on every request.
    """

    def __init__(
        self,
        clientgetter: Callable[..., Any],
        tokengetter: Callable[..., Any],
        tokensetter: Callable[..., Any],
        grantgetter: Callable[..., Any],
        grantsetter: Callable[..., Any],
        noncegetter: Callable[..., Any],
        noncesetter: Callable[..., Any],
        verifiergetter: Callable[..., Any],
        verifiersetter: Callable[..., Any],
        config: OAuth1Settings | Mapping[str, Any] | None = None,
    ) -> None:
        self._clientgetter = clientgetter
        self._tokengetter = tokengetter
        self._tokensetter = tokensetter
        self._grantgetter = grantgetter
        self._grantsetter = grantsetter
        self._noncegetter = noncegetter
        self._noncesetter = noncesetter
        self._verifiergetter = verifiergetter
        self._verifiersetter = verifiersetter
        self._settings: OAuth1Settings | None = None
        #: the config as 0.9.6 kept it, for subclasses that read ``self._config``
        self._config: Mapping[str, Any]
        if isinstance(config, OAuth1Settings):
            self._settings = config
            self._config = config.as_config()
        else:
            self._config = config if config is not None else {}

    @property
    def settings(self) -> OAuth1Settings:
        """The settings this validator enforces, resolved from ``config`` on first use;
        a validator given no config (assigned to ``oauth._validator``, perhaps shared by
        several apps) enforces the current app's.

        .. versionadded:: 1.1
        """
        settings: OAuth1Settings | None = getattr(self, "_settings", None)
        if settings is not None:
            return settings
        config = getattr(self, "_config", None)  # (a subclass's __init__ may not call ours)
        if not config and has_app_context():
            provider = current_app.extensions.get(EXTENSION_KEY)
            if provider is not None:  # an assigned validator without a config: the app's
                return provider.settings  # type: ignore[no-any-return]
        settings = self._settings = OAuth1Settings.from_config(config or {})
        return settings

    # -- policy ------------------------------------------------------------------------------

    @property
    def allowed_signature_methods(self) -> tuple[str, ...]:
        """``OAUTH1_PROVIDER_SIGNATURE_METHODS`` (HMAC-SHA1, HMAC-SHA256, RSA-SHA1)."""
        return self.settings.signature_methods

    @property
    def enforce_ssl(self) -> bool:
        """``OAUTH1_PROVIDER_ENFORCE_SSL`` (``True``)."""
        return self.settings.enforce_ssl

    @property
    def realms(self) -> list[str]:
        """``OAUTH1_PROVIDER_REALMS``: every realm a client may ask for."""
        return list(self.settings.realms)

    @property
    def timestamp_lifetime(self) -> int:
        """``OAUTH1_PROVIDER_TIMESTAMP_WINDOW`` (600 seconds)."""
        return self.settings.timestamp_window

    @property
    def timestamp_skew(self) -> int:
        """``OAUTH1_PROVIDER_TIMESTAMP_SKEW`` (60 seconds): how far ahead of the server's
        clock a request's ``oauth_timestamp`` may be."""
        return self.settings.timestamp_skew

    @property
    def client_key_length(self) -> tuple[int, int]:
        """``OAUTH1_PROVIDER_KEY_LENGTH`` ((20, 30)), also for request and access tokens."""
        return self.settings.key_length

    request_token_length = client_key_length
    access_token_length = client_key_length

    @property
    def nonce_length(self) -> tuple[int, int]:
        return NONCE_LENGTH

    @property
    def safe_characters(self) -> frozenset[str]:
        """oauthlib's characters of keys, tokens and nonces (ASCII letters and digits),
        as one set built once instead of on each of the checks of every request."""
        return SAFE_CHARACTERS

    @property
    def dummy_client(self) -> str:
        return "dummy_client"

    @property
    def dummy_request_token(self) -> str:
        return "dummy_request_token"

    @property
    def dummy_access_token(self) -> str:
        return "dummy_access_token"

    # -- lookups -----------------------------------------------------------------------------

    def _client(self, client_key: str, request: Any) -> Any:
        client = _loaded(request.client)
        if client is None:
            client = request.client = self._clientgetter(client_key=client_key)
        return client

    def _request_token(self, token: str, request: Any) -> Any:
        tok = _loaded(request.request_token)
        if tok is None or getattr(tok, "token", token) != token:
            tok = self._grantgetter(token=token)
        return tok

    def get_client_secret(self, client_key: str, request: Any) -> str | None:
        """The client's ``client_secret`` (a dummy for unknown clients)."""
        client = self._client(client_key, request)
        return client.client_secret if client else "dummy-secret"

    def get_request_token_secret(self, client_key: str, token: str, request: Any) -> str | None:
        """The ``secret`` of the client's request token."""
        tok = self._request_token(token, request)
        if tok and _client_key_of(tok) in (None, client_key):
            request.request_token = tok
            return tok.secret  # type: ignore[no-any-return]
        return "dummy-secret"

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str | None:
        """The ``secret`` of the client's access token."""
        tok = _loaded(request.access_token) or self._tokengetter(client_key=client_key, token=token)
        if tok:
            request.access_token = tok
            return tok.secret  # type: ignore[no-any-return]
        return "dummy-secret"

    def get_default_realms(self, client_key: str, request: Any) -> list[str]:
        """The client's ``default_realms``."""
        client = self._client(client_key, request)
        return list(getattr(client, "default_realms", None) or [])

    def get_realms(self, token: str, request: Any) -> list[str]:
        """The realms of a request token."""
        tok = self._request_token(token, request)
        if not tok:
            return []
        request.request_token = tok
        return list(getattr(tok, "realms", None) or [])

    def get_redirect_uri(self, token: str, request: Any) -> str | None:
        """The callback URI of a request token."""
        tok = self._request_token(token, request)
        return getattr(tok, "redirect_uri", None)

    def get_rsa_key(self, client_key: str, request: Any) -> str | None:
        """The client's ``rsa_key`` (its public key), for RSA-SHA1."""
        client = self._client(client_key, request)
        return getattr(client, "rsa_key", None)

    # -- validation ----------------------------------------------------------------------------

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        """Whether the client exists."""
        return bool(self._client(client_key, request))

    def validate_request_token(self, client_key: str, token: str, request: Any) -> bool:
        """Whether the request token exists for this client."""
        tok = self._request_token(token, request)
        if tok and _client_key_of(tok) in (None, client_key):
            request.request_token = tok
            return True
        return False

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        """Whether the access token exists for this client."""
        tok = _loaded(request.access_token) or self._tokengetter(client_key=client_key, token=token)
        if not tok:
            return False
        request.access_token = tok
        return True

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        """Reject a timestamp ahead of the server's clock by more than
        :attr:`timestamp_skew`, and a nonce seen before with the same timestamp and
        credentials (the noncegetter).

        oauthlib calls this before it checks the client key and the signature, so in the
        provider's endpoints nothing is stored here: the endpoint stores the nonce with
        :meth:`record_nonce` once the request is valid. Called from anywhere else (one of
        oauthlib's own endpoints) it stores the nonce at once, as in 0.9.6.

        :raises oauthlib.oauth1.rfc5849.errors.InvalidRequestError: for a timestamp too
            far ahead, as oauthlib raises for one outside the window.

        .. versionchanged:: 1.1
            Read-only in the provider's endpoints.
        """
        self._check_not_ahead(timestamp)
        key = {
            "client_key": client_key,
            "timestamp": timestamp,
            "nonce": nonce,
            "request_token": request_token,
            "access_token": access_token,
        }
        if self._noncegetter(**key):
            log.info("rejected a replayed nonce")
            return False
        if nonce_is_deferred():
            setattr(request, PENDING_NONCE, key)
            return True
        return self._store_nonce(key)

    def record_nonce(self, request: Any) -> bool:
        """Store the nonce :meth:`validate_timestamp_and_nonce` checked for ``request``
        (the provider's endpoints call this once the request is valid).

        :returns: ``False`` when the noncesetter reports that another request stored the
            nonce first (a concurrent replay, which is refused); ``True`` once stored, or
            when there is nothing to store (a subclass whose
            ``validate_timestamp_and_nonce`` stored it already).

        .. versionadded:: 1.1
        """
        key = getattr(request, PENDING_NONCE, None)
        if key is None:
            return True
        delattr(request, PENDING_NONCE)
        return self._store_nonce(key)

    def _store_nonce(self, key: dict[str, Any]) -> bool:
        if self._noncesetter(**key) is False:
            log.info("rejected a nonce that another request stored first")
            return False
        return True

    def _check_not_ahead(self, timestamp: str) -> None:
        """oauthlib accepts a timestamp up to the window on either side of the server's
        clock; one further ahead than the skew would outlive the nonces kept for it."""
        try:
            ahead = int(timestamp) - time.time()
        except (TypeError, ValueError):
            raise errors.InvalidRequestError(description="Timestamp must be an integer.") from None
        if ahead > self.timestamp_skew:
            raise errors.InvalidRequestError(
                description="Timestamp given is ahead of the server clock by over"
                f" {self.timestamp_skew} seconds."
            )

    def validate_redirect_uri(self, client_key: str, redirect_uri: str, request: Any) -> bool:
        """The callback must be one of the client's ``redirect_uris`` exactly."""
        client = self._client(client_key, request)
        if not client:
            return False
        registered = list(getattr(client, "redirect_uris", None) or [])
        if not registered and redirect_uri is None:
            return True
        request.redirect_uri = redirect_uri
        return redirect_uri in registered

    def validate_requested_realms(self, client_key: str, realms: list[str], request: Any) -> bool:
        """A client may ask for its ``default_realms`` unless it has ``validate_realms``."""
        client = self._client(client_key, request)
        if not client:
            return False
        if hasattr(client, "validate_realms"):
            return bool(client.validate_realms(realms))
        return set(getattr(client, "default_realms", None) or []).issuperset(realms)

    def validate_realms(
        self,
        client_key: str,
        token: str,
        request: Any,
        uri: str | None = None,
        realms: list[str] | None = None,
    ) -> bool:
        """The access token must carry every realm the resource asks for."""
        tok = _loaded(request.access_token) or self._tokengetter(client_key=client_key, token=token)
        if not tok:
            return False
        request.access_token = tok
        return set(getattr(tok, "realms", None) or []).issuperset(realms or [])

    def validate_verifier(self, client_key: str, token: str, verifier: str, request: Any) -> bool:
        """The verifier must exist for this request token (and client) and name a user."""
        data = self._verifiergetter(verifier=verifier, token=token)
        if not data:
            return False
        if not hasattr(data, "user") or data.user is None:
            log.debug("a verifier needs a user")
            return False
        stored = getattr(data, "verifier", None)
        if isinstance(stored, str) and not equal_secrets(stored, verifier):
            return False
        bound_to = getattr(data, "token", None)
        if isinstance(bound_to, str) and not equal_secrets(bound_to, token):
            return False
        owner = _client_key_of(data)
        if owner is not None and owner != client_key:
            return False
        request.user = data.user
        return True

    def verify_request_token(self, token: str, request: Any) -> bool:
        """Whether the request token exists (at the authorization step)."""
        tok = self._request_token(token, request)
        if not tok:
            return False
        request.request_token = tok
        return True

    def verify_realms(self, token: str, realms: list[str], request: Any) -> bool:
        """The realms the user authorized must be the request token's."""
        tok = self._request_token(token, request)
        if not tok:
            return False
        request.request_token = tok
        if not hasattr(tok, "realms"):
            return True
        return set(tok.realms or []) == set(realms)

    def redeem_request_token(self, request: Any) -> bool:
        """Use up the request token of a valid access-token request, before the access
        token is created, when the request token has ``redeem()``.

        ``redeem()`` must mark the request token used atomically and return ``False``
        when it was used already: then concurrent exchanges of one request token give one
        access token. Without ``redeem()`` the token is deleted (or its verifier cleared)
        after the access token is issued, see :meth:`invalidate_request_token`.

        :returns: ``False`` when ``redeem()`` returned ``False`` (the exchange is refused).

        .. versionadded:: 1.1
        """
        redeem = getattr(_loaded(request.request_token), "redeem", None)
        if redeem is None or redeem() is not False:
            return True
        log.warning("refused a second exchange of a request token")
        return False

    # -- storage -------------------------------------------------------------------------------

    def save_access_token(self, token: dict[str, Any], request: Any) -> None:
        """Save the access token with the tokensetter."""
        self._tokensetter(token, request)

    def save_request_token(self, token: dict[str, Any], request: Any) -> None:
        """Save the request token with the grantsetter."""
        self._grantsetter(token, request)

    def save_verifier(self, token: str, verifier: dict[str, Any], request: Any) -> None:
        """Save the verifier with the verifiersetter (which attaches the current user)."""
        self._verifiersetter(token=token, verifier=verifier, request=request)

    def invalidate_request_token(self, client_key: str, request_token: str, request: Any) -> None:
        """Make the used request token unusable: request tokens are single use.

        It is deleted when it has ``delete()``; one with only ``redeem()`` was marked
        used by :meth:`redeem_request_token` already. The request-token model of the
        0.9.6 docs has neither: its verifier is then cleared through the verifiersetter,
        so the verifier no longer matches and a second exchange is refused.
        """
        tok = self._grantgetter(token=request_token)
        if not tok:
            return
        delete = getattr(tok, "delete", None)
        if delete is not None:
            delete()
            return
        if hasattr(tok, "redeem"):
            return
        try:
            self._verifiersetter(
                token=request_token, verifier={"oauth_verifier": ""}, request=request
            )
        except StorageUnavailable:
            raise
        except Exception:  # noqa: BLE001 - the app's setter; the token is already issued
            log.warning(
                "could not clear the verifier of a used request token; give request"
                " tokens a delete() method so they are single use"
            )
