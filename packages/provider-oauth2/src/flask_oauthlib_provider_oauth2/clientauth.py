"""Client authentication (RFC 6749 2.3): a registry of methods that both the validator
and the metadata document read.

A method says whether a request uses it and with which credentials; the validator
authenticates with the one method a request uses (two at once count as none, RFC 6749
2.3), and the metadata lists the registered names. A new method (``private_key_jwt``,
say) is one more :class:`ClientAuthMethod` in the validator's ``client_auth_methods``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from flask_oauthlib_core import equal_secrets, utcnow

from .signals import send_client_authentication_failed as failed
from .validation import ValidatorBase

__all__ = [
    "CLIENT_SECRET_BASIC",
    "CLIENT_SECRET_POST",
    "DEFAULT_METHODS",
    "NONE",
    "ClientAuthMethod",
    "ClientAuthenticationMixin",
    "basic_credentials",
    "is_confidential",
    "registered_method",
    "secret_expired",
    "secret_matches",
]

log = logging.getLogger(__name__)


def is_confidential(client: Any) -> bool:
    """Whether ``client`` is confidential: ``is_confidential``, else ``client_type``."""
    if hasattr(client, "is_confidential"):
        return bool(client.is_confidential)
    client_type = getattr(client, "client_type", None)
    if client_type:
        return bool(client_type == "confidential")
    return True


def basic_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Client id and secret from an HTTP Basic ``Authorization`` header (RFC 6749 2.3.1)."""
    auth = headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None, None
    client_id, secret = unquote(client_id), unquote(secret)
    if "\x00" in client_id or "\x00" in secret:
        return None, None
    return client_id, secret


def secret_matches(client: Any, secret: str | None) -> bool:
    """Whether ``secret`` is the client's secret, compared in constant time.

    A client without a secret never matches, whatever was sent: it cannot authenticate
    (RFC 6749 2.3.1), so it can only be identified as a public client. Clients may
    provide ``check_client_secret(secret)`` (the ready models compare hashes).
    """
    if not secret:
        return False
    check = getattr(client, "check_client_secret", None)
    if check is not None:
        return bool(check(secret))
    return equal_secrets(secret, getattr(client, "client_secret", None) or None)


def secret_expired(client: Any) -> bool:
    """Whether the client's secret has expired: its ``client_secret_expires_at``
    (seconds since the epoch, RFC 7591; ``0`` or missing: never) has passed.

    .. versionadded:: 1.1
    """
    expires_at = getattr(client, "client_secret_expires_at", None)
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool) or expires_at <= 0:
        return False
    return bool(utcnow().timestamp() >= expires_at)


def registered_method(client: Any) -> str | None:
    """The one authentication method the client registered (its
    ``token_endpoint_auth_method``, RFC 7591), or ``None`` when any offered method will do.

    .. versionadded:: 1.1
    """
    method = getattr(client, "token_endpoint_auth_method", None)
    return method if isinstance(method, str) and method else None


class ClientAuthMethod(Protocol):
    """One way for a client to authenticate, named as in RFC 8414's
    ``token_endpoint_auth_methods_supported``."""

    @property
    def name(self) -> str:
        """The registered name (``client_secret_basic`` ...)."""

    @property
    def authenticates(self) -> bool:
        """Whether it proves the client is who it says (``none`` does not)."""

    def credentials(self, request: Any) -> tuple[str | None, str | None] | None:
        """``(client_id, secret)`` if ``request`` uses this method, else ``None``."""

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        """Whether the credentials prove ``client``."""


@dataclass(frozen=True)
class ClientSecretBasic:
    """``client_secret_basic``: id and secret in an HTTP Basic header."""

    name: str = "client_secret_basic"
    authenticates: bool = True

    def credentials(self, request: Any) -> tuple[str | None, str | None] | None:
        client_id, secret = basic_credentials(request.headers)
        return None if client_id is None else (client_id, secret)

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        return secret_matches(client, secret) and not secret_expired(client)


@dataclass(frozen=True)
class ClientSecretPost:
    """``client_secret_post``: ``client_id`` and ``client_secret`` in the form body."""

    name: str = "client_secret_post"
    authenticates: bool = True

    def credentials(self, request: Any) -> tuple[str | None, str | None] | None:
        if request.client_secret is None:
            return None
        return request.client_id, request.client_secret

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        return secret_matches(client, secret) and not secret_expired(client)


@dataclass(frozen=True)
class NoAuthentication:
    """``none``: a public client names itself with ``client_id`` and proves nothing."""

    name: str = "none"
    authenticates: bool = False

    def credentials(self, request: Any) -> tuple[str | None, str | None] | None:
        return None

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        return False


CLIENT_SECRET_BASIC = ClientSecretBasic()
CLIENT_SECRET_POST = ClientSecretPost()
NONE = NoAuthentication()
#: the methods a validator offers unless its ``client_auth_methods`` says otherwise
DEFAULT_METHODS: tuple[ClientAuthMethod, ...] = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, NONE)


class ClientAuthenticationMixin(ValidatorBase):
    """The validator's client authentication, from :attr:`client_auth_methods`."""

    #: the client authentication methods, in the order they are tried; also what the
    #: metadata document advertises
    client_auth_methods: tuple[ClientAuthMethod, ...] = DEFAULT_METHODS

    def _used_method(
        self, request: Any
    ) -> tuple[ClientAuthMethod | None, tuple[str | None, str | None]]:
        """The one method ``request`` authenticates with and its credentials. With two
        methods at once (RFC 6749 2.3), or credentials of a method this validator does
        not offer, none counts and no secret is returned."""
        offered = self.client_auth_methods
        methods = [*offered, *(m for m in DEFAULT_METHODS if m not in offered)]
        used = [
            (method, found)
            for method in methods
            if (found := method.credentials(request)) is not None
        ]
        if len(used) > 1 or (used and used[0][0] not in offered):
            log.debug("client authentication with %s refused", [m.name for m, _ in used])
            return None, (used[0][1][0], None)
        if used:
            return used[0]
        return None, (request.client_id, None)

    def _client_credentials(self, request: Any) -> tuple[str | None, str | None]:
        return self._used_method(request)[1]

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Confidential clients always authenticate: for every grant (RFC 6749 3.2.1)
        and to revoke or introspect tokens."""
        client_id, _ = self._client_credentials(request)
        if not client_id:
            return False
        client = self._client(client_id, request)
        return client is not None and is_confidential(client)

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Authenticate a client with the one registered method the request uses (the
        client's own ``token_endpoint_auth_method`` if it registered one); secrets are
        compared in constant time, and an expired secret proves nothing. A failure sends
        :data:`~.signals.client_authentication_failed`."""
        method, (client_id, secret) = self._used_method(request)
        name = method.name if method is not None else None
        if method is None or not client_id:
            return failed(request, client_id, name, "no_credentials")
        client = self._client(client_id, request)
        if client is None:
            return failed(request, client_id, name, "unknown_client")
        if registered_method(client) not in (None, method.name):
            log.debug("client authentication with %s refused: not its method", method.name)
            return failed(request, client_id, name, "wrong_method")
        if not method.verify(client, secret, request):
            log.debug("client authentication failed")
            return failed(request, client_id, name, "invalid_credentials")
        request.client = client
        request.client_id = client.client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Identify a public client by its id alone, if the validator offers ``none``; a
        secret it presents anyway must be its stored one. A failure sends
        :data:`~.signals.client_authentication_failed`."""
        if NONE not in self.client_auth_methods:
            return failed(request, client_id, None, "no_credentials")
        if client_id is None:
            client_id, _ = self._client_credentials(request)
        client = self._client(client_id, request)
        if client is None:
            return failed(request, client_id, NONE.name, "unknown_client")
        if is_confidential(client) or registered_method(client) not in (None, NONE.name):
            # a confidential client must authenticate; its id alone proves nothing
            return failed(request, client_id, NONE.name, "no_credentials")
        sent = [m.credentials(request) for m in (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)]
        secrets = [found[1] for found in sent if found is not None]
        if len(secrets) > 1 or (any(secrets) and not secret_matches(client, secrets[0])):
            # a secret a public client presents must be its own (0.9.6's example
            # client stores one and sends it); any other secret, or two methods at
            # once (RFC 6749 2.3), is not from the client it names
            log.debug("a public client presented a secret that is not its own: refused")
            return failed(request, client_id, None, "invalid_credentials")
        request.client = client
        return True

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Whether ``client_id`` names a known client."""
        return self._client(client_id, request) is not None
