"""The storage contract as typing Protocols: the objects the getters return and the
signatures of the functions an app registers.

:class:`StoredClient`, :class:`StoredGrant` and :class:`StoredToken` name what the
provider reads from every client, grant and token (the optional members it uses when
they are there are listed on :class:`~.OAuth2RequestValidator`); the ready SQLAlchemy
models satisfy them. The registration decorators of :class:`~.OAuth2Provider` are typed
with the function Protocols, so ``mypy --strict`` on an app catches a getter or setter
with the wrong parameters or one that returns the wrong kind of object::

    @oauth.clientgetter
    def load_client(client_id: str) -> Client | None:
        return db.session.get(Client, client_id)

Setters may take more positional arguments than they use: write them as the 0.9.6 docs
do, ``def save_token(token, request, *args, **kwargs)``.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

__all__ = [
    "StoredClient",
    "StoredGrant",
    "StoredToken",
    "ClaimsGetter",
    "ClientGetter",
    "ClientSetter",
    "DeviceGetter",
    "DeviceSetter",
    "GrantGetter",
    "GrantSetter",
    "LoginGetter",
    "RegistrationPolicy",
    "TokenGetter",
    "TokenSetter",
    "UserGetter",
]


class StoredClient(Protocol):
    """A client: at least its ``client_id``. The provider also reads, when present,
    ``client_secret`` (or ``check_client_secret(secret)``), ``redirect_uris``,
    ``default_redirect_uri``, ``default_scopes``, ``is_confidential`` (or
    ``client_type``), ``allowed_grant_types``, ``allowed_response_types``,
    ``validate_scopes(scopes)``, ``validate_redirect_uri(uri)``, ``user`` and
    ``allowed_resources`` (the resources it may name, RFC 8707; ``None``: any). A client
    registered dynamically (RFC 7591) also has ``token_endpoint_auth_method`` (the one
    method it may authenticate with), ``client_secret_expires_at`` (an expired secret
    proves nothing), ``client_id_issued_at``, ``registration_access_token_hash`` (or
    ``check_registration_access_token(token)``) and ``client_metadata``.

    .. versionadded:: 1.1
    """

    @property
    def client_id(self) -> str: ...


class StoredGrant(Protocol):
    """An authorization code: the ``user`` who granted it and its ``scopes``. Also read
    when present: ``client_id``, ``redirect_uri``, ``expires``, ``code_challenge``,
    ``code_challenge_method``, and ``delete()`` or ``redeem()`` (with
    ``revoke_issued_tokens()``) to make it single use. With OpenID Connect: ``nonce``,
    ``auth_time`` (a datetime or seconds since the epoch) and ``claims`` (the ``claims``
    parameter, a dict or its JSON text), as the grantsetter found them on the request.
    With resource indicators (RFC 8707): ``resources``, the ``request.resources`` the
    grantsetter got (a list, or space-separated text).

    .. versionadded:: 1.1
    """

    @property
    def user(self) -> Any: ...

    @property
    def scopes(self) -> Sequence[str]: ...


class StoredToken(Protocol):
    """A token: its ``client_id``, ``scopes`` and ``user``. Also read when present:
    ``access_token``, ``refresh_token``, ``expires``, ``revoked``, ``client``, and
    ``delete()``, ``revoke()``, ``rotate()`` and ``revoke_family()``. With OpenID
    Connect: ``auth_time`` and ``claims``, as the tokensetter found them on the request
    (for ID tokens on refresh and the userinfo endpoint). With resource indicators (RFC
    8707): ``resources``, the token's audience, as the tokensetter found it on the
    request (a list, or space-separated text).

    .. versionadded:: 1.1
    """

    @property
    def client_id(self) -> str: ...

    @property
    def scopes(self) -> Sequence[str]: ...

    @property
    def user(self) -> Any: ...


class ClientGetter(Protocol):
    """``f(client_id)`` returning a client object or ``None``."""

    def __call__(self, client_id: str, /) -> StoredClient | None: ...


class ClientSetter(Protocol):
    """``f(client_id, client, request, *args, **kwargs)`` saving a client registered
    dynamically (a dict of its fields), or deleting it when ``client`` is ``None``.

    .. versionadded:: 1.1
    """

    def __call__(self, client_id: str, client: dict[str, Any] | None, request: Any, /) -> Any: ...


class RegistrationPolicy(Protocol):
    """``f(metadata, request)`` returning whether a client may register, or update its
    registration, with ``metadata`` (a dict of RFC 7591 names).

    .. versionadded:: 1.1
    """

    def __call__(self, metadata: dict[str, Any], request: Any, /) -> bool: ...


class TokenGetter(Protocol):
    """``f(access_token=None, refresh_token=None)`` returning a token or ``None``."""

    def __call__(
        self, access_token: str | None = ..., refresh_token: str | None = ...
    ) -> StoredToken | None: ...


class GrantGetter(Protocol):
    """``f(client_id, code)`` returning a grant (authorization code) or ``None``."""

    def __call__(self, client_id: str, code: str) -> StoredGrant | None: ...


class GrantSetter(Protocol):
    """``f(client_id, code, request, *args, **kwargs)`` saving a grant."""

    def __call__(self, client_id: str, code: dict[str, Any], request: Any, /) -> Any: ...


class TokenSetter(Protocol):
    """``f(token, request, *args, **kwargs)`` saving a bearer token."""

    def __call__(self, token: dict[str, Any], request: Any, /) -> Any: ...


class UserGetter(Protocol):
    """``f(username, password, client, request, *args, **kwargs)`` returning the user of
    the password grant or ``None``."""

    def __call__(self, username: str, password: str, client: Any, request: Any, /) -> Any: ...


class DeviceGetter(Protocol):
    """``f(device_code=...)`` returning a device authorization or ``None``."""

    def __call__(self, *, device_code: str) -> Any: ...


class DeviceSetter(Protocol):
    """``f(device, request)`` saving a new device authorization."""

    def __call__(self, device: dict[str, Any], request: Any, /) -> Any: ...


class ClaimsGetter(Protocol):
    """``f(user, request)`` returning the user's OpenID claims: a dict of standard claim
    names (``sub``, ``name``, ``email`` ...).

    .. versionadded:: 1.1
    """

    def __call__(self, user: Any, request: Any, /) -> dict[str, Any]: ...


class LoginGetter(Protocol):
    """``f()`` returning ``(user, auth_time)`` of the end-user logged in at the provider
    (``auth_time`` a datetime, seconds since the epoch, or ``None``), or ``None`` when
    nobody is.

    .. versionadded:: 1.1
    """

    def __call__(self) -> tuple[Any, Any] | None: ...


CG = TypeVar("CG", bound=ClientGetter)
CS = TypeVar("CS", bound=ClientSetter)
RP = TypeVar("RP", bound=RegistrationPolicy)
TG = TypeVar("TG", bound=TokenGetter)
GG = TypeVar("GG", bound=GrantGetter)
GS = TypeVar("GS", bound=GrantSetter)
TS = TypeVar("TS", bound=TokenSetter)
UG = TypeVar("UG", bound=UserGetter)
DG = TypeVar("DG", bound=DeviceGetter)
DS = TypeVar("DS", bound=DeviceSetter)
CLG = TypeVar("CLG", bound=ClaimsGetter)
LG = TypeVar("LG", bound=LoginGetter)
