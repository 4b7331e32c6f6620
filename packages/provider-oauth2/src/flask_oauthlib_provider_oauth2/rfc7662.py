"""RFC 7662: token introspection, for authenticated confidential clients only.

oauthlib's endpoint lets a public client identify itself by ``client_id`` alone, as for
revocation. Introspection tells who a token belongs to and what it may do, so RFC 7662
2.1 requires the caller to be authorized: here only a confidential client that
authenticates may ask, and it sees its own tokens unless it is a resource server
(:meth:`OAuth2RequestValidator.may_introspect`).
"""

from __future__ import annotations

from typing import Any

from oauthlib.oauth2 import IntrospectEndpoint
from oauthlib.oauth2.rfc6749 import errors

from .validator import is_confidential

__all__ = ["AUTH_METHODS", "IntrospectionEndpoint"]

#: how a client may authenticate at the introspection endpoint (advertised in metadata)
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class IntrospectionEndpoint(IntrospectEndpoint):
    """oauthlib's introspection endpoint, closed to public and unauthenticated clients."""

    def __init__(self, request_validator: Any, supported_token_types: Any = None) -> None:
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
