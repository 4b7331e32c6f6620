"""The signatures of the storage functions an app registers, as typing Protocols.

The registration decorators of :class:`~.OAuth2Provider` are typed with them, so
``mypy --strict`` on an app catches a getter or setter with the wrong parameters::

    @oauth.clientgetter
    def load_client(client_id: str) -> Client | None:
        return db.session.get(Client, client_id)

Setters may take more positional arguments than they use: write them as the 0.9.6 docs
do, ``def save_token(token, request, *args, **kwargs)``.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = [
    "ClientGetter",
    "DeviceGetter",
    "DeviceSetter",
    "GrantGetter",
    "GrantSetter",
    "TokenGetter",
    "TokenSetter",
    "UserGetter",
]


class ClientGetter(Protocol):
    """``f(client_id)`` returning a client object or ``None``."""

    def __call__(self, client_id: str, /) -> Any: ...


class TokenGetter(Protocol):
    """``f(access_token=None, refresh_token=None)`` returning a token or ``None``."""

    def __call__(self, access_token: str | None = ..., refresh_token: str | None = ...) -> Any: ...


class GrantGetter(Protocol):
    """``f(client_id, code)`` returning a grant (authorization code) or ``None``."""

    def __call__(self, client_id: str, code: str) -> Any: ...


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


CG = TypeVar("CG", bound=ClientGetter)
TG = TypeVar("TG", bound=TokenGetter)
GG = TypeVar("GG", bound=GrantGetter)
GS = TypeVar("GS", bound=GrantSetter)
TS = TypeVar("TS", bound=TokenSetter)
UG = TypeVar("UG", bound=UserGetter)
DG = TypeVar("DG", bound=DeviceGetter)
DS = TypeVar("DS", bound=DeviceSetter)
