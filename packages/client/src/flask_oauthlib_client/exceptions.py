"""The one exception type the client raises."""

from __future__ import annotations

from typing import Any

__all__ = ["OAuthException"]


class OAuthException(RuntimeError):
    """An OAuth exchange with a remote application failed.

    :param message: what went wrong, for humans.
    :param type: a short machine-readable kind, for example ``"invalid_state"``,
        ``"invalid_response"``, ``"network_error"``, ``"token_missing"`` or
        ``"refresh_failed"``.
    :param data: what the remote server answered, parsed, when there was an answer.
    """

    def __init__(self, message: str, type: str | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.data = data

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"<OAuthException {self.type or 'error'}: {self.message}>"
