"""OpenID Connect Core 1.0 on the authorization code grant, as a feature.

With ``OAUTH2_PROVIDER_OIDC_ENABLED`` the ``openid`` scope turns the code flow into an
OpenID flow, built on oauthlib's ``oauthlib.openid`` grants: the authentication request
is checked (``nonce``, ``prompt``, ``max_age``, ``id_token_hint``, ``claims``), the code
remembers the nonce, the login time and the claims asked for, and the token response
carries an ``id_token`` signed with the newest key (:mod:`..jwks`). A refresh whose
scopes include ``openid`` returns a new ID token. Requests without ``openid``, and every
request while the switch is off, are plain OAuth 2.

The feature wraps the grants the RFC 6749 features installed: the code grant keeps its
PKCE rules and single-use codes, and nothing is installed while OpenID Connect is off.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core.exceptions import RequestNotSupported, RequestURINotSupported
from oauthlib.openid.connect.core.grant_types import (
    AuthorizationCodeGrant as OpenIDAuthorizationCodeGrant,
)
from oauthlib.openid.connect.core.grant_types import (
    RefreshTokenGrant as OpenIDRefreshTokenGrant,
)

from ..config import OAuth2Settings
from ..features import Feature
from ..jwks import ALGORITHMS, NoSigningKey, key_set
from ..validation import field
from .claims import ID_TOKEN_CLAIMS, SCOPE_CLAIMS, parse_claims_request
from .context import OpenIDContext, openid_context
from .interaction import forget_first_seen, login_required
from .validator import OpenIDMixin

if TYPE_CHECKING:
    from ..server import Server

__all__ = ["MAX_NONCE_LENGTH", "OpenIDConnect", "is_openid"]

log = logging.getLogger(__name__)

#: the longest ``nonce`` kept with a code
MAX_NONCE_LENGTH = 512
#: the most digits of a ``max_age`` (ten: over 300 years)
MAX_AGE_DIGITS = 10
#: the ``prompt`` values the provider acts on (see :mod:`.interaction`)
PROMPT_VALUES = ("none", "login", "consent")


def is_openid(request: Any) -> bool:
    """Whether an oauthlib ``request`` asks for the ``openid`` scope."""
    return "openid" in (request.scopes or ())


def knows_logins(validator: Any) -> bool:
    """Whether ``validator`` can say who is logged in (a ``logingetter``, or a subclass
    that overrides ``current_login``)."""
    own = type(validator).current_login is not OpenIDMixin.current_login
    return own or validator._logingetter is not None


def _invalid(request: Any, description: str) -> errors.OAuth2Error:
    return errors.InvalidRequestError(request=request, description=description)


class OpenIDCode(OpenIDAuthorizationCodeGrant):
    """oauthlib's OpenID code grant around the server's own code grant (its PKCE rules
    and custom validators stay), with this provider's checks of the authentication
    request."""

    def __init__(self, grant: Any, settings: OAuth2Settings) -> None:
        self.proxy_target = grant
        self.settings = settings
        validators = grant.custom_validators
        validators.post_auth.append(self.authentication_request)
        validators.pre_token.insert(0, self.put_context)
        validators.post_token.append(self.from_grant)
        grant.register_code_modifier(self.check_login)
        grant.register_token_modifier(self.add_id_token)

    def put_context(self, request: Any) -> dict[str, Any]:
        request.openid = OpenIDContext(self.settings)
        return {}

    def authentication_request(self, request: Any) -> dict[str, Any]:
        """Check an OpenID authentication request (a ``post_auth`` validator, so errors
        go to the validated redirect URI); what it returns reaches the authorization
        view: ``nonce``, ``prompt``, ``max_age``, ``login_hint``, ``id_token_hint``,
        ``claims``, ``display``, ``ui_locales`` and ``login_required``."""
        if not is_openid(request):
            return {}
        validator = self.request_validator
        if not isinstance(validator, OpenIDMixin) or not knows_logins(validator):
            log.error(
                "OpenID Connect needs an OAuth2RequestValidator and a logingetter registered"
                " with @oauth.logingetter"
            )
            raise errors.ServerError(
                request=request, description="The provider cannot authenticate users."
            )
        self.put_context(request)
        context = openid_context(request)
        try:
            context.keys.signing_key(context.algorithm(request.client))
        except (NoSigningKey, ValueError, ImportError) as exc:
            log.error("OpenID Connect is on but ID tokens cannot be signed: %s", exc)
            raise errors.ServerError(
                request=request, description="The provider cannot sign ID tokens."
            ) from exc
        self._check_parameters(request)
        info: dict[str, Any] = self.openid_authorization_validator(request)
        info["prompt"] = " ".join(sorted(info.get("prompt") or ()))
        info["max_age"] = request.max_age_seconds
        login = validator.current_login(request)
        request.auth_time = login[1] if login else None
        info["login_required"] = login_required(validator, login, request, record=True)
        return info

    def _check_parameters(self, request: Any) -> None:
        nonce = request.nonce
        if not nonce and self.settings.oidc_require_nonce:
            raise _invalid(request, "An OpenID request needs a nonce.")
        if nonce and len(nonce) > MAX_NONCE_LENGTH:
            raise _invalid(request, f"The nonce is longer than {MAX_NONCE_LENGTH} characters.")
        # request objects (Core 6) are resolved before the grant sees the request
        # (rfc9101, rfc9126): one that reaches it was not, and is refused
        if getattr(request, "request", None) is not None:
            raise RequestNotSupported(request=request)
        if getattr(request, "request_uri", None) is not None:
            raise RequestURINotSupported(request=request)
        request.max_age_seconds = None
        if request.max_age not in (None, ""):
            text = str(request.max_age)
            # ASCII digits only ("²".isdigit() is true), and no more than fit a lifetime
            if not (text.isascii() and text.isdigit()) or len(text) > MAX_AGE_DIGITS:
                raise _invalid(request, "max_age must be a number of seconds.")
            request.max_age_seconds = int(text)
        try:
            request.claims = parse_claims_request(request.claims)
        except ValueError as exc:
            raise _invalid(request, f"Malformed claims parameter: {exc}.") from exc

    def check_login(self, grant: dict[str, Any], token_handler: Any, request: Any) -> Any:
        """When the code is issued: someone is logged in, as recently as ``prompt=login``
        and ``max_age`` ask (a code modifier). ``request.auth_time`` is then the login's
        time, for the grantsetter."""
        request.auth_time = None
        if not is_openid(request):
            return grant
        validator = self.request_validator
        login = validator.current_login(request)
        if login_required(validator, login, request, record=False):
            raise errors.LoginRequired(
                request=request, description="The end-user must log in (again) first."
            )
        request.auth_time = login[1] if login else None
        forget_first_seen(request)
        return grant

    def from_grant(self, request: Any) -> dict[str, Any]:
        """At the token endpoint, what the code stored: ``request.nonce``,
        ``request.auth_time`` and ``request.claims`` (for the ID token and for the
        tokensetter), never the token request's own parameters."""
        grant = vars(request).get("grant")
        request.nonce = field(grant, "nonce")
        request.auth_time = field(grant, "auth_time")
        request.claims = field(grant, "claims")
        return {}


class OpenIDRefresh(OpenIDRefreshTokenGrant):
    """oauthlib's OpenID refresh grant around the server's own refresh grant: a refresh
    whose scopes include ``openid`` returns a new ID token with the original
    ``auth_time`` (as the refresh token stored it) and no ``nonce``."""

    def __init__(self, grant: Any, settings: OAuth2Settings) -> None:
        self.proxy_target = grant
        self.settings = settings
        grant.custom_validators.pre_token.insert(0, self.put_context)
        grant.custom_validators.post_token.append(self.from_token)
        grant.register_token_modifier(self.add_id_token)

    def put_context(self, request: Any) -> dict[str, Any]:
        request.openid = OpenIDContext(self.settings)
        return {}

    def from_token(self, request: Any) -> dict[str, Any]:
        token = vars(request).get("refresh_token_object")
        request.nonce = None
        request.auth_time = field(token, "auth_time")
        request.claims = field(token, "claims")
        return {}


class OpenIDConnect(Feature):
    """The ``openid`` scope of the code flow and of refreshes, while
    ``OAUTH2_PROVIDER_OIDC_ENABLED`` is on, and the OpenID entries of the metadata
    document (served at ``/.well-known/openid-configuration`` with
    ``oauth.metadata_handler``).

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        settings = server.settings
        if not settings.oidc_enabled:
            return
        if not isinstance(server.request_validator, OpenIDMixin):
            log.error("OpenID Connect needs a validator derived from OAuth2RequestValidator")
            return
        if server.auth_grant is not None:
            server.openid_code_grant = OpenIDCode(server.auth_grant, settings)
        if server.refresh_grant is not None:
            server.openid_refresh_grant = OpenIDRefresh(server.refresh_grant, settings)

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        settings = server.settings
        if not settings.oidc_enabled or getattr(server, "openid_code_grant", None) is None:
            return {}
        try:
            algorithms = key_set(settings.oidc_keys).algorithms()
        except (ValueError, ImportError) as exc:
            log.error("the signing keys cannot be read: %s", exc)
            algorithms = []
        if settings.oidc_id_token_alg in algorithms:  # the default first
            algorithms.remove(settings.oidc_id_token_alg)
            algorithms.insert(0, settings.oidc_id_token_alg)
        standard = [name for names in SCOPE_CLAIMS.values() for name in names]
        return {
            "scopes_supported": ["openid", *SCOPE_CLAIMS],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [a for a in algorithms if a in ALGORITHMS],
            "claims_supported": [*ID_TOKEN_CLAIMS, *standard],
            "claim_types_supported": ["normal"],
            "claims_parameter_supported": True,
            "prompt_values_supported": list(PROMPT_VALUES),
        }
