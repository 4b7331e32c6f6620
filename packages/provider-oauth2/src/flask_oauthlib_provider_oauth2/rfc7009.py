"""RFC 7009: token revocation.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .features import EndpointCall, Feature
from .tokens import TokenMixin
from .validation import refuse_duplicates

if TYPE_CHECKING:
    from .server import Server

__all__ = ["Revocation", "RevocationMixin"]


class RevocationMixin(TokenMixin):
    """The validator's part of revocation."""

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Revoke an access or refresh token of the requesting client (RFC 7009); a
        refresh token takes the access tokens issued from the same authorization with it
        (RFC 7009 2.1) when the storage offers ``revoke_family()``."""
        refuse_duplicates(request)
        tok, kind = self._find_token(token, token_type_hint)
        client = getattr(request, "client", None)
        if not tok or (client is not None and tok.client_id != client.client_id):
            request.error_message = "Invalid token supplied."
            return False
        request.client_id = tok.client_id
        request.user = getattr(tok, "user", None)
        family = getattr(tok, "revoke_family", None) if kind == "refresh_token" else None
        revoke = family or getattr(tok, "revoke", None)
        if revoke is not None:
            revoke()
        else:
            tok.delete()
        exact = token if kind == "access_token" else None
        self.tokens_revoked(tok, "revocation", family=family is not None, access_token=exact)
        return True


class Revocation(Feature):
    """The revocation endpoint (``oauth.revoke_handler``) and its metadata."""

    endpoints: ClassVar[Mapping[str, str]] = {"revocation": "revocation_endpoint"}

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        return server.create_revocation_response  # type: ignore[no-any-return]

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if "revocation_endpoint" not in urls:
            return {}
        methods = server.client_auth_methods()
        return {"revocation_endpoint_auth_methods_supported": [m.name for m in methods]}
