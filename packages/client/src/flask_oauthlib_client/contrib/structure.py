"""The token responses of the contrib client: dicts with attribute shortcuts."""

from __future__ import annotations

from typing import Any

__all__ = ["OAuth1Response", "OAuth2Response"]


class OAuth1Response(dict[str, Any]):
    """The access token answer of an OAuth 1.0a server."""

    @property
    def token(self) -> str:
        """``oauth_token``."""
        return self["oauth_token"]  # type: ignore[no-any-return]

    @property
    def token_secret(self) -> str:
        """``oauth_token_secret``."""
        return self["oauth_token_secret"]  # type: ignore[no-any-return]


class OAuth2Response(dict[str, Any]):
    """The token answer of an OAuth 2 server."""

    @property
    def access_token(self) -> str:
        """``access_token``."""
        return self["access_token"]  # type: ignore[no-any-return]

    @property
    def token_type(self) -> str | None:
        """``token_type``."""
        return self.get("token_type")

    @property
    def refresh_token(self) -> str | None:
        """``refresh_token``, if the server sent one."""
        return self.get("refresh_token")

    @property
    def expires_in(self) -> int | None:
        """``expires_in``, if the server sent it."""
        return self.get("expires_in")

    @property
    def expires_at(self) -> float | None:
        """``expires_at``, computed by oauthlib from ``expires_in``."""
        return self.get("expires_at")
