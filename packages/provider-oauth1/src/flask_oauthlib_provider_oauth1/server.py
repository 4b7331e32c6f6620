"""oauthlib's OAuth 1 endpoints, storing a nonce only for a request that passed every check.

oauthlib checks (and its validator used to store) the nonce before the client key and the
signature. These endpoints let :class:`~.validator.OAuth1RequestValidator` only check it
then, and store it once oauthlib found the whole request valid; a nonce another request
stored first (a concurrent replay) makes the request invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oauthlib.oauth1 import WebApplicationServer
from oauthlib.oauth1.rfc5849 import endpoints

from .validator import OAuth1RequestValidator, nonce_stored_after_validation

__all__ = [
    "AccessTokenEndpoint",
    "OAuth1Server",
    "RequestTokenEndpoint",
    "ResourceEndpoint",
]

Validation = tuple[bool, Any]


class _StoresNonceWhenValid:
    """Runs one of oauthlib's ``validate_*`` methods and stores the nonce if valid."""

    request_validator: Any

    def _validated(self, validate: Callable[..., Validation], *args: Any) -> Validation:
        with nonce_stored_after_validation():
            valid, request = validate(*args)
        validator = self.request_validator
        if valid and isinstance(validator, OAuth1RequestValidator):
            valid = validator.record_nonce(request)
        return valid, request


class RequestTokenEndpoint(_StoresNonceWhenValid, endpoints.RequestTokenEndpoint):
    """oauthlib's request token endpoint; the nonce is stored once the request is valid."""

    def validate_request_token_request(self, request: Any) -> Validation:
        return self._validated(super().validate_request_token_request, request)


class AccessTokenEndpoint(_StoresNonceWhenValid, endpoints.AccessTokenEndpoint):
    """oauthlib's access token endpoint; the nonce is stored once the request is valid,
    then the request token is redeemed
    (:meth:`~.validator.OAuth1RequestValidator.redeem_request_token`)."""

    def validate_access_token_request(self, request: Any) -> Validation:
        valid, request = self._validated(super().validate_access_token_request, request)
        validator = self.request_validator
        if valid and isinstance(validator, OAuth1RequestValidator):
            valid = validator.redeem_request_token(request)
        return valid, request


class ResourceEndpoint(_StoresNonceWhenValid, endpoints.ResourceEndpoint):
    """oauthlib's protected resource endpoint; the nonce is stored once the request is
    valid."""

    def validate_protected_resource_request(
        self,
        uri: str,
        http_method: str = "GET",
        body: Any = None,
        headers: Any = None,
        realms: list[str] | None = None,
    ) -> Validation:
        return self._validated(
            super().validate_protected_resource_request, uri, http_method, body, headers, realms
        )


class OAuth1Server(
    RequestTokenEndpoint, AccessTokenEndpoint, ResourceEndpoint, WebApplicationServer
):
    """oauthlib's ``WebApplicationServer`` built from the endpoints above."""
