"""The oauthlib server a provider drives, built once per app from its config."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Config
from oauthlib.oauth2 import (
    AuthorizationCodeGrant,
    AuthorizationEndpoint,
    BearerToken,
    ClientCredentialsGrant,
    ImplicitGrant,
    RefreshTokenGrant,
    ResourceEndpoint,
    ResourceOwnerPasswordCredentialsGrant,
    RevocationEndpoint,
    TokenEndpoint,
)

from flask_oauthlib_core import import_callable

from . import rfc7636, rfc8628
from .rfc7662 import IntrospectionEndpoint
from .validator import OAuth2RequestValidator, refuse_duplicates

__all__ = ["Server", "build_server", "random_token"]


def random_token(request: Any) -> str:
    """The default access and refresh token: 256 random bits, one ``secrets`` call."""
    return secrets.token_urlsafe(32)


class Server(
    AuthorizationEndpoint,
    IntrospectionEndpoint,
    TokenEndpoint,
    ResourceEndpoint,
    RevocationEndpoint,
):
    """All the endpoints of one provider, with the grants its config allows.

    Unlike oauthlib's ``Server`` it leaves out the implicit and password grants when the
    config switches them off, so a request for them is answered as unsupported.
    """

    def __init__(
        self,
        request_validator: OAuth2RequestValidator,
        token_expires_in: Any = None,
        token_generator: Any = None,
        refresh_token_generator: Any = None,
        *,
        allow_implicit: bool = True,
        allow_password: bool = True,
        allow_plain_pkce: bool = False,
        rotate_refresh_tokens: bool = True,
    ) -> None:
        self.auth_grant = AuthorizationCodeGrant(request_validator)
        self.auth_grant.custom_validators.post_auth.append(
            lambda request: rfc7636.check_challenge(request, allow_plain_pkce)
        )
        self.auth_grant.custom_validators.pre_token.append(rfc7636.check_verifier)
        self.auth_grant.custom_validators.pre_auth.append(refuse_duplicates)
        self.implicit_grant = ImplicitGrant(request_validator)
        self.password_grant = ResourceOwnerPasswordCredentialsGrant(request_validator)
        self.credentials_grant = ClientCredentialsGrant(request_validator)
        self.refresh_grant = RefreshTokenGrant(
            request_validator, issue_new_refresh_tokens=rotate_refresh_tokens
        )
        for grant in (
            self.auth_grant,
            self.password_grant,
            self.credentials_grant,
            self.refresh_grant,
        ):
            grant.custom_validators.pre_token.append(refuse_duplicates)
        self.bearer = BearerToken(
            request_validator, token_generator, token_expires_in, refresh_token_generator
        )
        response_types: dict[str, Any] = {"code": self.auth_grant, "none": self.auth_grant}
        if allow_implicit:
            response_types["token"] = self.implicit_grant
        grant_types: dict[str, Any] = {
            "authorization_code": self.auth_grant,
            "client_credentials": self.credentials_grant,
            "refresh_token": self.refresh_grant,
        }
        if allow_password:
            grant_types["password"] = self.password_grant
        if rfc8628.SUPPORTED and request_validator._devicegetter is not None:
            self.device_code_grant = rfc8628.DeviceCodeGrant(request_validator)
            grant_types[rfc8628.DEVICE_GRANT_TYPE] = self.device_code_grant
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types=response_types,
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types=grant_types,
            default_token_type=self.bearer,
        )
        ResourceEndpoint.__init__(self, "Bearer", {"Bearer": self.bearer})
        RevocationEndpoint.__init__(self, request_validator)
        IntrospectionEndpoint.__init__(self, request_validator)
        self.request_validator = request_validator


def build_server(validator: OAuth2RequestValidator, config: Config) -> Server:
    """Build the server for one app from its ``OAUTH2_PROVIDER_*`` config."""
    required = config["OAUTH2_PROVIDER_PKCE_REQUIRED"]
    if required is True:
        required = "all"
    elif required is False or required is None:
        required = "none"
    if required not in ("public", "all", "none"):
        raise ValueError(
            f"OAUTH2_PROVIDER_PKCE_REQUIRED must be 'public', 'all' or 'none', not {required!r}"
        )
    validator.pkce_required_for = required
    return Server(
        validator,
        token_expires_in=config["OAUTH2_PROVIDER_TOKEN_EXPIRES_IN"],
        token_generator=import_callable(config["OAUTH2_PROVIDER_TOKEN_GENERATOR"]) or random_token,
        refresh_token_generator=import_callable(config["OAUTH2_PROVIDER_REFRESH_TOKEN_GENERATOR"]),
        allow_implicit=bool(config["OAUTH2_PROVIDER_ALLOW_IMPLICIT"]),
        allow_password=bool(config["OAUTH2_PROVIDER_ALLOW_PASSWORD"]),
        allow_plain_pkce=bool(config["OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN"]),
        rotate_refresh_tokens=bool(config["OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS"]),
    )
