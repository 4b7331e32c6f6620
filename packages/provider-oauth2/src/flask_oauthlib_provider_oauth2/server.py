"""The oauthlib server a provider drives, assembled per app from features.

:data:`DEFAULT_FEATURES` lists what every provider offers; a grant type or an endpoint
is one module with a :class:`~.features.Feature` and one line here (or one
:meth:`OAuth2Provider.add_feature` call in an app).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from oauthlib.oauth2 import (
    AuthorizationEndpoint,
    BearerToken,
    ResourceEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749 import errors

from . import (
    client_id_metadata,
    jwks,
    rfc6749,
    rfc7009,
    rfc7523,
    rfc7523_grant,
    rfc7591,
    rfc7592,
    rfc7636,
    rfc7662,
    rfc8628,
    rfc8707,
    rfc9068,
    rfc9101,
    rfc9126,
    rfc9207,
    rfc9449,
    rfc9728,
)
from .clientauth import DEFAULT_METHODS, ClientAuthMethod
from .config import OAuth2Settings
from .features import Feature
from .oidc.feature import OpenIDConnect
from .oidc.logout import EndSession
from .oidc.userinfo import UserInfo
from .rfc7662 import IntrospectionEndpoint

__all__ = ["DEFAULT_FEATURES", "Server", "build_server", "random_token"]

#: the features of every provider, in the order they are installed
DEFAULT_FEATURES: tuple[Feature, ...] = (
    rfc6749.AuthorizationCode(),
    rfc7636.PKCE(),
    rfc6749.Implicit(),
    rfc6749.Password(),
    rfc6749.ClientCredentials(),
    rfc6749.RefreshToken(),
    rfc8628.DeviceFlow(),
    rfc7523_grant.JWTBearer(),
    rfc6749.TokenEndpoint(),
    rfc7009.Revocation(),
    rfc7662.Introspection(),
    rfc7523.ClientAssertions(),
    rfc7591.DynamicRegistration(),
    rfc7592.ClientConfiguration(),
    client_id_metadata.ClientIDMetadataDocuments(),
    rfc9207.IssuerParameter(),
    rfc8707.ResourceIndicators(),
    rfc9449.DPoP(),
    rfc9728.ResourceMetadata(),
    OpenIDConnect(),
    UserInfo(),
    jwks.JWKS(),
    rfc9068.JWTAccessTokens(),
    EndSession(),
    rfc9101.RequestObjects(),
    rfc9126.PushedAuthorizationRequests(),
)


class Unsupported:
    """The handler of a request whose response or grant type no feature offers."""

    def validate_authorization_request(self, request: Any) -> Any:
        raise errors.UnsupportedResponseTypeError(request=request)

    def create_authorization_response(self, request: Any, token_handler: Any) -> Any:
        raise errors.UnsupportedResponseTypeError(request=request)

    def create_token_response(self, request: Any, token_handler: Any) -> Any:
        raise errors.UnsupportedGrantTypeError(request=request)


UNSUPPORTED = Unsupported()


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
    """All the endpoints of one provider on one app, with what its features add.

    Like oauthlib's ``Server`` it is every endpoint at once (``create_token_response``
    ...); unlike it, its grant and response types are those the features installed, so
    a grant the app's settings switch off is answered as unsupported.

    :param request_validator: the validator.
    :param token_expires_in: seconds, or a callable taking the oauthlib request.
    :param token_generator: makes access tokens (:func:`random_token` if ``None``).
    :param refresh_token_generator: makes refresh tokens (the token generator if ``None``).
    :param settings: the app's settings; built from the keyword switches if ``None``.
    :param features: the features to assemble (:data:`DEFAULT_FEATURES` if ``None``).

    .. versionchanged:: 1.1
        Assembled from ``features`` with the app's ``settings``; the keyword switches of
        1.0 (``allow_implicit`` ...) still work when no settings are given.
    """

    auth_grant: Any = None
    implicit_grant: Any = None
    password_grant: Any = None
    credentials_grant: Any = None
    refresh_grant: Any = None
    device_code_grant: Any = None
    openid_code_grant: Any = None
    openid_refresh_grant: Any = None
    #: the provider's token types (``Bearer``, ``DPoP`` ...) for endpoints that take
    #: access tokens, such as userinfo; only ``Bearer`` if ``None``
    protector: Any = None

    def __init__(
        self,
        request_validator: Any,
        token_expires_in: Any = None,
        token_generator: Any = None,
        refresh_token_generator: Any = None,
        *,
        settings: OAuth2Settings | None = None,
        features: Iterable[Feature] | None = None,
        allow_implicit: bool = True,
        allow_password: bool = True,
        allow_plain_pkce: bool = False,
        rotate_refresh_tokens: bool = True,
    ) -> None:
        if settings is None:
            settings = OAuth2Settings(
                allow_implicit=allow_implicit,
                allow_password=allow_password,
                pkce_allow_plain=allow_plain_pkce,
                rotate_refresh_tokens=rotate_refresh_tokens,
            )
        self.request_validator = request_validator
        self.settings = settings
        self.features: Sequence[Feature] = tuple(DEFAULT_FEATURES if features is None else features)
        self.bearer = BearerToken(
            request_validator, token_generator, token_expires_in, refresh_token_generator
        )
        self._building_grants: dict[str, Any] = {}
        self._building_responses: dict[str, Any] = {}
        for feature in self.features:
            feature.install(self)
        AuthorizationEndpoint.__init__(
            self,
            default_response_type="code",
            response_types=self._building_responses,
            default_token_type=self.bearer,
        )
        TokenEndpoint.__init__(
            self,
            default_grant_type="authorization_code",
            grant_types=self._building_grants,
            default_token_type=self.bearer,
        )
        ResourceEndpoint.__init__(self, "Bearer", {"Bearer": self.bearer})
        RevocationEndpoint.__init__(self, request_validator)
        IntrospectionEndpoint.__init__(self, request_validator)

    @property
    def default_response_type_handler(self) -> Any:
        """The grant answering a ``response_type`` no feature offers: the code grant,
        which refuses it after checking the client and redirect URI, or, without it, a
        plain refusal."""
        return self.response_types.get(self.default_response_type) or UNSUPPORTED

    @property
    def default_grant_type_handler(self) -> Any:
        """The grant answering a ``grant_type`` no feature offers: a refusal."""
        return self.grant_types.get(self.default_grant_type) or UNSUPPORTED

    def add_grant_type(self, name: str, grant: Any) -> None:
        """Offer ``grant`` at the token endpoint as ``grant_type=name`` (while features
        are installed)."""
        self._building_grants[name] = grant

    def add_response_type(self, name: str, grant: Any) -> None:
        """Offer ``grant`` at the authorization endpoint as ``response_type=name``
        (while features are installed)."""
        self._building_responses[name] = grant

    def token_grants(self) -> list[Any]:
        """The installed grants that issue tokens at the token endpoint, where features
        add their ``pre_token`` and ``post_token`` checks.

        .. versionadded:: 1.1
        """
        grants = (
            self.auth_grant,
            self.password_grant,
            self.credentials_grant,
            self.refresh_grant,
            self.device_code_grant,
        )
        return [grant for grant in grants if grant is not None]

    def client_auth_methods(self) -> tuple[ClientAuthMethod, ...]:
        """The client authentication methods of the validator (what the metadata
        advertises)."""
        return tuple(getattr(self.request_validator, "client_auth_methods", DEFAULT_METHODS))

    def feature(self, kind: str) -> Feature:
        """The feature that answers the endpoint ``kind``.

        :raises LookupError: if no feature does.
        """
        for feature in self.features:
            if kind in feature.endpoints:
                return feature
        raise LookupError(f"no feature of this provider answers {kind!r} requests")


def build_server(
    validator: Any, settings: OAuth2Settings, features: Iterable[Feature] | None = None
) -> Server:
    """Build the server for one app from its settings; the validator is not changed.

    .. versionchanged:: 1.1
        Takes the resolved settings instead of the app's config.
    """
    return Server(
        validator,
        token_expires_in=settings.token_expires_in,
        token_generator=settings.token_generator or random_token,
        refresh_token_generator=settings.refresh_token_generator,
        settings=settings,
        features=features,
    )
