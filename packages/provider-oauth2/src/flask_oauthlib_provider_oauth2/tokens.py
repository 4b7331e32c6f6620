"""Issuing and refreshing tokens (RFC 6749 5, 6): the validator's token storage rules.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from typing import Any

from oauthlib.oauth2.rfc6749 import errors

from . import signals
from .validation import ValidatorBase, drop_wire_user

__all__ = ["TokenMixin"]

log = logging.getLogger(__name__)


class TokenMixin(ValidatorBase):
    """Saving bearer tokens, refresh token checks and rotation."""

    def save_token(self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> Any:
        """Save the token (what every grant calls: :meth:`save_bearer_token`), then send
        :data:`~.signals.token_issued` or :data:`~.signals.token_refreshed`.

        .. versionadded:: 1.1
        """
        answer = self.save_bearer_token(token, request, *args, **kwargs)
        signals.send_token_saved(self, token, request)
        return answer

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Save the new token with the tokensetter.

        On a refresh that issued a new refresh token, the one just used is rotated first
        (when the storage can: ``rotate()``); a reuse revokes its family. With rotation
        switched off (``OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS``) the client keeps its
        refresh token: it is passed on in ``token["refresh_token"]`` and stays valid.
        """
        if self._tokensetter is None:
            raise RuntimeError("register a tokensetter to issue tokens")
        drop_wire_user(request)
        old = getattr(request, "refresh_token_object", None)
        if old is not None and not token.get("refresh_token"):
            token["refresh_token"] = request.refresh_token
        elif old is not None:
            rotate = getattr(old, "rotate", None)
            if rotate is not None and not rotate():
                self.revoke_stored(old, "revoke_family", "refresh_token_reuse")
                raise errors.InvalidGrantError(request=request, description="Refresh token reused.")
            if rotate is not None:  # the old pair is revoked: its access token may be cached
                self.tokens_revoked(old, "rotation")
        self._tokensetter(token, request, *args, **kwargs)
        return getattr(request.client, "default_redirect_uri", None)

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The refresh token must belong to ``client`` and not be revoked; presenting a
        rotated one revokes its family when the storage supports it."""
        tok = self._tokengetter(refresh_token=refresh_token)
        if not tok or tok.client_id != client.client_id:
            return False
        if getattr(tok, "revoked", False):
            log.warning("a used or revoked refresh token was presented; revoking its family")
            self.revoke_stored(tok, "revoke_family", "refresh_token_reuse")
            return False
        request.client_id = tok.client_id
        request.user = tok.user
        request.refresh_token_object = tok
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        """The scopes the refresh token was issued with."""
        tok = getattr(request, "refresh_token_object", None) or self._tokengetter(
            refresh_token=refresh_token
        )
        return list(tok.scopes)

    def confirm_scopes(
        self, refresh_token: str, scopes: list[str], request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Whether ``scopes`` equal the refresh token's (kept for old oauthlib callers)."""
        if not scopes:
            return True
        tok = self._tokengetter(refresh_token=refresh_token)
        return bool(tok) and set(tok.scopes) == set(scopes)

    def _find_token(self, token: str, token_type_hint: str | None) -> tuple[Any, str | None]:
        """The stored token ``token`` is the access or refresh token of, and which."""
        kinds = ["access_token", "refresh_token"]
        if token_type_hint == kinds[1]:
            kinds.reverse()
        for kind in kinds:
            found = self._tokengetter(**{kind: token})
            if found:
                return found, kind
        return None, None
