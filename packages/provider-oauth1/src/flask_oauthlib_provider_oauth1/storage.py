"""The signatures of the storage functions an OAuth 1 app registers, as typing
Protocols.

The registration decorators of :class:`~.OAuth1Provider` are typed with them, so
``mypy --strict`` on an app catches a function with the wrong parameters. The provider
calls the getters and ``verifiersetter`` with keyword arguments, so the parameter names
matter; the other setters get ``(token, request)`` positionally. Functions written as
the 0.9.6 docs show them (``def save_verifier(token, verifier, *args, **kwargs)``) fit.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = [
    "ClientGetter",
    "GrantGetter",
    "GrantSetter",
    "NonceGetter",
    "NonceSetter",
    "TokenGetter",
    "TokenSetter",
    "VerifierGetter",
    "VerifierSetter",
]


class ClientGetter(Protocol):
    """``f(client_key)`` returning a client or ``None``."""

    def __call__(self, *, client_key: str) -> Any: ...


class TokenGetter(Protocol):
    """``f(client_key, token)`` returning an access token or ``None``."""

    def __call__(self, *, client_key: str, token: str) -> Any: ...


class TokenSetter(Protocol):
    """``f(token, request)`` saving an access token."""

    def __call__(self, token: dict[str, Any], request: Any, /) -> Any: ...


class GrantGetter(Protocol):
    """``f(token)`` returning a request token or ``None``."""

    def __call__(self, *, token: str) -> Any: ...


class GrantSetter(Protocol):
    """``f(token, request)`` saving a request token."""

    def __call__(self, token: dict[str, Any], request: Any, /) -> Any: ...


class NonceGetter(Protocol):
    """``f(client_key, timestamp, nonce, request_token, access_token)``: truthy when
    the nonce was used already."""

    def __call__(
        self,
        *,
        client_key: str,
        timestamp: Any,
        nonce: str,
        request_token: str | None,
        access_token: str | None,
    ) -> Any: ...


class NonceSetter(NonceGetter, Protocol):
    """``f(client_key, timestamp, nonce, request_token, access_token)`` storing the
    nonce (the noncegetter's parameters); ``False`` when another request stored it
    first."""


class VerifierGetter(Protocol):
    """``f(verifier, token)`` returning the verifier (with ``user``) or ``None``."""

    def __call__(self, *, verifier: str, token: str) -> Any: ...


class VerifierSetter(Protocol):
    """``f(token, verifier, request)`` saving the verifier with the current user."""

    def __call__(self, *, token: str, verifier: dict[str, str], request: Any) -> Any: ...


CG = TypeVar("CG", bound=ClientGetter)
TG = TypeVar("TG", bound=TokenGetter)
TS = TypeVar("TS", bound=TokenSetter)
GG = TypeVar("GG", bound=GrantGetter)
GS = TypeVar("GS", bound=GrantSetter)
NG = TypeVar("NG", bound=NonceGetter)
NS = TypeVar("NS", bound=NonceSetter)
VG = TypeVar("VG", bound=VerifierGetter)
VS = TypeVar("VS", bound=VerifierSetter)
