"""RFC 6749: the grants of the OAuth 2.0 framework and its token endpoint, as features.

Each grant is a :class:`~.features.Feature` that adds itself to the server being built;
the implicit and password grants only when the app's settings allow them.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from oauthlib.oauth2 import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    ImplicitGrant,
    RefreshTokenGrant,
    ResourceOwnerPasswordCredentialsGrant,
)
from oauthlib.oauth2.rfc6749 import errors

from .features import EndpointCall, Feature
from .validation import refuse_duplicates

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "AuthorizationCode",
    "ClientCredentials",
    "Implicit",
    "Password",
    "RefreshToken",
    "TokenEndpoint",
]


def can(validator: Any, ability: str) -> bool:
    """Whether ``validator`` says it can do ``ability`` (``saves_codes`` ...); a
    validator that does not say is trusted to."""
    check = getattr(validator, ability, None)
    return True if check is None else bool(check())


def drop_unusable_refresh_token(token: dict[str, Any], token_handler: Any, request: Any) -> Any:
    """A token modifier: a client whose ``allowed_grant_types`` leave out
    ``refresh_token`` gets no refresh token (the token endpoint would refuse it; a
    registered client's grant types default to ``authorization_code`` alone)."""
    allowed = getattr(request.client, "allowed_grant_types", None)
    if allowed is not None and "refresh_token" not in allowed:
        token.pop("refresh_token", None)
    return token


class AuthorizationCode(Feature):
    """The authorization code grant (RFC 6749 4.1): ``response_type=code`` at the
    authorization endpoint (``oauth.authorize_handler``), ``authorization_code`` at the
    token endpoint. Offered when codes can be saved (a ``grantsetter``)."""

    endpoints: ClassVar[Mapping[str, str]] = {"authorization": "authorization_endpoint"}

    def install(self, server: Server) -> None:
        grant = AuthorizationCodeGrant(server.request_validator)

        def offered_response_type(request: Any) -> dict[str, Any]:
            """oauthlib's code grant takes any ``response_type`` containing ``code`` (and
            ``none``); take only those the server offers, as its metadata says."""
            if request.response_type not in server.response_types:
                raise errors.UnsupportedResponseTypeError(request=request)
            return {}

        grant.custom_validators.pre_auth.append(refuse_duplicates)
        grant.custom_validators.pre_auth.append(offered_response_type)
        grant.custom_validators.pre_token.append(refuse_duplicates)
        grant.register_token_modifier(drop_unusable_refresh_token)
        server.auth_grant = grant
        if can(server.request_validator, "saves_codes"):
            server.add_response_type("code", grant)
            server.add_grant_type("authorization_code", grant)


class Implicit(Feature):
    """The implicit grant (RFC 6749 4.2), unless ``OAUTH2_PROVIDER_ALLOW_IMPLICIT`` is
    false (RFC 9700 advises against it)."""

    def install(self, server: Server) -> None:
        server.implicit_grant = ImplicitGrant(server.request_validator)
        if server.settings.allow_implicit:
            server.add_response_type("token", server.implicit_grant)


class Password(Feature):
    """The resource owner password credentials grant (RFC 6749 4.3), unless
    ``OAUTH2_PROVIDER_ALLOW_PASSWORD`` is false; offered when passwords can be checked
    (a ``usergetter``)."""

    def install(self, server: Server) -> None:
        grant = ResourceOwnerPasswordCredentialsGrant(server.request_validator)
        grant.custom_validators.pre_token.append(refuse_duplicates)
        server.password_grant = grant
        if server.settings.allow_password and can(server.request_validator, "checks_passwords"):
            server.add_grant_type("password", grant)


class ClientCredentials(Feature):
    """The client credentials grant (RFC 6749 4.4), for confidential clients."""

    def install(self, server: Server) -> None:
        grant = ClientCredentialsGrant(server.request_validator)
        grant.custom_validators.pre_token.append(refuse_duplicates)
        server.credentials_grant = grant
        server.add_grant_type("client_credentials", grant)


class RefreshToken(Feature):
    """Refreshing an access token (RFC 6749 6), with rotation unless
    ``OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS`` is false."""

    def install(self, server: Server) -> None:
        grant = RefreshTokenGrant(
            server.request_validator,
            issue_new_refresh_tokens=server.settings.rotate_refresh_tokens,
        )
        grant.custom_validators.pre_token.append(refuse_duplicates)
        server.refresh_grant = grant
        server.add_grant_type("refresh_token", grant)


class TokenEndpoint(Feature):
    """The token endpoint (``oauth.token_handler``): a dict the view returns is passed to
    the tokensetter as extra credentials."""

    endpoints: ClassVar[Mapping[str, str]] = {"token": "token_endpoint"}

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        extra = view_result or {}

        def create(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            return server.create_token_response(uri, method, body, headers, extra)

        return create

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        implicit = "token" in server.response_types
        return {
            "response_types_supported": sorted(server.response_types),
            "response_modes_supported": ["query", "fragment"] if implicit else ["query"],
            "grant_types_supported": sorted(
                [*server.grant_types, *(["implicit"] if implicit else [])]
            ),
            "token_endpoint_auth_methods_supported": [
                method.name for method in server.client_auth_methods()
            ],
        }
