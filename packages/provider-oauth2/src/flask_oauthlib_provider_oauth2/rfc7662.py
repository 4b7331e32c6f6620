"""RFC 7662: token introspection, for authenticated confidential clients only.

oauthlib's endpoint lets a public client identify itself by ``client_id`` alone, as for
revocation. Introspection tells who a token belongs to and what it may do, so RFC 7662
2.1 requires the caller to be authorized: here only a confidential client that
authenticates may ask, and it sees its own tokens unless it is a resource server
(:meth:`IntrospectionMixin.may_introspect`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from oauthlib.oauth2 import IntrospectEndpoint
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import as_utc, is_expired

from .clientauth import is_confidential
from .features import EndpointCall, Feature
from .rfc8707 import stored_resources
from .tokens import TokenMixin
from .validation import refuse_duplicates

if TYPE_CHECKING:
    from .server import Server

__all__ = ["Introspection", "IntrospectionEndpoint", "IntrospectionMixin"]


class IntrospectionEndpoint(IntrospectEndpoint):
    """oauthlib's introspection endpoint, closed to public and unauthenticated clients."""

    def __init__(self, request_validator: Any, supported_token_types: Any = None) -> None:
        """oauthlib's constructor, with the signature spelled out for type checkers."""
        IntrospectEndpoint.__init__(self, request_validator, supported_token_types)

    def validate_introspect_request(self, request: Any) -> None:
        """Check the method, the body and the token, then authenticate the client."""
        self._raise_on_bad_method(request)
        self._raise_on_bad_post_request(request)
        self._raise_on_missing_token(request)
        validator = self.request_validator
        if not validator.authenticate_client(request) or not is_confidential(request.client):
            raise errors.InvalidClientError(request=request)
        self._raise_on_unsupported_token(request)


class IntrospectionMixin(TokenMixin):
    """The validator's part of introspection."""

    def may_introspect(self, client: Any, token: Any) -> bool:
        """Whether ``client`` may learn about ``token`` by introspection: its own tokens,
        and every token when the client is a resource server (``is_resource_server``
        true on the client object). Override to decide otherwise.

        .. versionadded:: 1.1
        """
        if getattr(client, "is_resource_server", False):
            return True
        return bool(getattr(token, "client_id", None) == getattr(client, "client_id", object()))

    def introspect_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        """Claims of an active token (RFC 7662), or ``None`` if it is not active or the
        authenticated client may not see it (:meth:`may_introspect`). A token with
        resources (RFC 8707) has them as ``aud``: a string for one, else a list. Only an
        access token has ``token_type`` (and ``exp``): a refresh token has neither.

        .. versionchanged:: 1.1
            ``aud``; no ``token_type`` for a refresh token.
        """
        refuse_duplicates(request)
        tok, kind = self._find_token(token, token_type_hint)
        # ``expires`` is the access token's: a refresh token lives until it is revoked
        expires = getattr(tok, "expires", None) if kind == "access_token" else None
        if not tok or getattr(tok, "revoked", False) or is_expired(expires):
            return None
        if not self.may_introspect(request.client, tok):
            return None
        claims: dict[str, Any] = {"client_id": tok.client_id, "scope": " ".join(tok.scopes or ())}
        jkt = getattr(tok, "dpop_jkt", None)
        if kind == "access_token":
            # a refresh token has no type of RFC 6749 5.1: a resource server must never
            # take it for an access token (it is the authorization server's alone)
            claims["token_type"] = "DPoP" if jkt else "Bearer"  # RFC 9449 6.2
        if expires is not None:
            claims["exp"] = int(as_utc(expires).timestamp())
        user = getattr(tok, "user", None)
        username = getattr(user, "username", None)
        if username is not None:
            claims["username"] = str(username)
        if jkt:
            claims["cnf"] = {"jkt": jkt}
        audience = stored_resources(tok)
        if audience:
            claims["aud"] = audience[0] if len(audience) == 1 else audience
        return claims


class Introspection(Feature):
    """The introspection endpoint (``oauth.introspect_handler``) and its metadata."""

    endpoints: ClassVar[Mapping[str, str]] = {"introspection": "introspection_endpoint"}

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        return server.create_introspect_response  # type: ignore[no-any-return]

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if "introspection_endpoint" not in urls:
            return {}
        methods = [m.name for m in server.client_auth_methods() if m.authenticates]
        return {"introspection_endpoint_auth_methods_supported": methods}
