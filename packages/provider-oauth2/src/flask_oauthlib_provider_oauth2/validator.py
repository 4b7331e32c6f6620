"""The oauthlib request validator built on the app's storage functions.

:class:`OAuth2RequestValidator` puts together the mixins of each part of the protocol
(client authentication, PKCE, the device flow, tokens, revocation, introspection,
bearer tokens) and keeps RFC 6749's own rules: redirect URIs, scopes, grant and response
types, authorization codes and the password grant.
"""

from __future__ import annotations

import logging
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from oauthlib.common import Request as OAuthlibRequest

from flask_oauthlib_core import is_expired

from . import signals
from .client_id_metadata import ClientIDMetadataMixin
from .clientauth import (
    CLIENT_SECRET_BASIC,
    CLIENT_SECRET_POST,
    NONE,
    ClientAuthenticationMixin,
    basic_credentials,
    is_confidential,
    secret_matches,
)
from .oidc.validator import OpenIDMixin
from .rfc6750 import TOKEN_SYNTAX, BearerMixin
from .rfc7009 import RevocationMixin
from .rfc7523 import CLIENT_SECRET_JWT, PRIVATE_KEY_JWT
from .rfc7523_grant import JWTBearerMixin
from .rfc7591 import RegistrationMixin
from .rfc7636 import PKCEMixin
from .rfc7662 import IntrospectionMixin
from .rfc8628 import DeviceMixin
from .rfc8707 import ResourceIndicatorsMixin
from .rfc9068 import JWTAccessTokenMixin
from .rfc9449 import DPoPMixin
from .validation import drop_wire_user, refuse_duplicates, scopes_match

__all__ = [
    "TOKEN_SYNTAX",
    "OAuth2RequestValidator",
    "basic_credentials",
    "is_confidential",
    "loopback_match",
    "refuse_duplicates",
    "scopes_match",
    "secret_matches",
]

log = logging.getLogger(__name__)


def loopback_match(registered: str, given: str) -> bool:
    """RFC 8252 7.3: a loopback redirect URI may differ from the registered one in port only."""
    reg, got = urlsplit(registered), urlsplit(given)
    if reg.scheme != "http" or got.scheme != "http":
        return False
    try:
        if got.port == 0:
            return False
    except ValueError:  # a port out of range
        return False
    try:
        if not ip_address(reg.hostname or "").is_loopback:
            return False
    except ValueError:
        return False
    return (reg.hostname, reg.path, reg.query) == (got.hostname, got.path, got.query) and (
        got.fragment == ""
    )


class OAuth2RequestValidator(
    ClientIDMetadataMixin,
    ClientAuthenticationMixin,
    PKCEMixin,
    DeviceMixin,
    DPoPMixin,
    ResourceIndicatorsMixin,
    RevocationMixin,
    IntrospectionMixin,
    JWTAccessTokenMixin,
    BearerMixin,
    RegistrationMixin,
    OpenIDMixin,
    JWTBearerMixin,
):
    """oauthlib's ``RequestValidator`` on top of the provider's getters and setters
    (its parameters are :class:`~.validation.ValidatorBase`'s).

    Subclass it to change one rule and pass the subclass as
    ``OAuth2Provider(validator_class=...)``, or assign an instance to
    ``oauth._validator``. Each part of the protocol is a mixin of its own module
    (:class:`~.clientauth.ClientAuthenticationMixin`, :class:`~.rfc7636.PKCEMixin`,
    :class:`~.rfc8628.DeviceMixin`, :class:`~.rfc8707.ResourceIndicatorsMixin`,
    :class:`~.tokens.TokenMixin`, :class:`~.rfc7009.RevocationMixin`,
    :class:`~.rfc7662.IntrospectionMixin`,
    :class:`~.rfc6750.BearerMixin`, :class:`~.rfc7591.RegistrationMixin`,
    :class:`~.oidc.validator.OpenIDMixin`,
    :class:`~.client_id_metadata.ClientIDMetadataMixin`).

    Storage may opt in to stronger guarantees by giving its objects these optional
    members (the bundled SQLAlchemy models and cache binding do):

    - grants: ``code_challenge`` / ``code_challenge_method`` (PKCE is then enforced) and
      ``redeem()`` returning ``False`` when the code was already used, plus
      ``revoke_issued_tokens()`` called on such a replay;
    - tokens: ``revoked``; ``rotate()`` returning ``False`` when the refresh token was
      already rotated, plus ``revoke_family()`` called on such a reuse;
    - OpenID Connect: grants keep ``nonce``, ``auth_time`` and ``claims`` (the
      grantsetter finds them on the request), tokens ``auth_time`` and ``claims`` (the
      tokensetter finds them on the request), for ID tokens on refresh and userinfo;
    - resource indicators (RFC 8707): grants and tokens keep ``resources`` (the
      grantsetter and tokensetter find them as ``request.resources``); a code or token
      saved with resources is read back, and refused when the storage lost them.

    .. versionchanged:: 1.1
        Takes a ``devicesetter``, a ``claimsgetter`` and a ``logingetter``; composed of
        one mixin per part of the protocol, OpenID Connect's among them. Offers
        ``private_key_jwt`` and ``client_secret_jwt`` (RFC 7523, :mod:`.rfc7523`).
    """

    #: the client authentication methods offered (and listed in the metadata)
    client_auth_methods = (
        CLIENT_SECRET_BASIC,
        CLIENT_SECRET_POST,
        PRIVATE_KEY_JWT,
        CLIENT_SECRET_JWT,
        NONE,
    )

    # -- redirect URIs, scopes, grant and response types ---------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Match ``redirect_uri`` exactly against the client's registered URIs (a loopback
        URI may differ in port only); a client may provide ``validate_redirect_uri``."""
        client = self._client(client_id, request)
        if client is None:
            return False
        if hasattr(client, "validate_redirect_uri"):
            return bool(client.validate_redirect_uri(redirect_uri))
        registered = list(getattr(client, "redirect_uris", None) or [])
        if redirect_uri in registered:
            return True
        return any(loopback_match(uri, redirect_uri) for uri in registered)

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """The client's ``default_redirect_uri``, used when a request names none; a
        client with several registered URIs has none, so its requests must name one
        (RFC 6749 3.1.2.3)."""
        client = self._client(client_id, request)
        if len(getattr(client, "redirect_uris", None) or ()) > 1:
            return None
        return getattr(client, "default_redirect_uri", None)

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Scopes must lie within the client's ``default_scopes`` unless the client
        provides ``validate_scopes``; a scope named twice counts once."""
        scopes = list(dict.fromkeys(scopes))
        request.scopes = scopes
        if hasattr(client, "validate_scopes"):
            return bool(client.validate_scopes(scopes))
        return set(getattr(client, "default_scopes", None) or []).issuperset(scopes)

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        """The client's ``default_scopes``."""
        client = self._client(client_id, request)
        return list(getattr(client, "default_scopes", None) or [])

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Every response type the server offers (its features decide) unless the client
        restricts ``allowed_response_types``."""
        allowed = getattr(client, "allowed_response_types", None)
        if allowed is not None:
            return response_type in allowed
        return True

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Every grant type the server offers (its features decide) unless the client
        restricts ``allowed_grant_types``; the password grant needs a usergetter, and the
        client credentials grant a confidential client (RFC 6749 4.4) with a
        ``client.user``."""
        if grant_type == "password" and not self.checks_passwords():
            return False
        if grant_type == "client_credentials" and not is_confidential(client):
            log.debug("client credentials refused to a public client")
            return False
        allowed = getattr(client, "allowed_grant_types", None)
        if allowed is not None and grant_type not in allowed:
            return False
        if grant_type == "client_credentials":
            if not hasattr(client, "user"):
                log.debug("client credentials need a client.user")
                return False
            request.user = client.user
        return True

    # -- authorization codes -------------------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Pass the new code to the grantsetter, then send
        :data:`~.signals.authorization_granted`."""
        if self._grantsetter is None:
            raise RuntimeError("register a grantsetter to issue authorization codes")
        drop_wire_user(request)
        saved = self._grantsetter(client_id, code, request, *args, **kwargs)
        self.confirm_code_resources(client_id, code, request)
        self.confirm_code_dpop_jkt(client_id, code, request)
        signals.send_authorization_granted(self, request, saved)
        return getattr(request.client, "default_redirect_uri", None)

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The code must exist for this client, be unexpired and unused; a replayed code
        revokes what was issued from it when the storage can tell."""
        grant = self._grant(client.client_id, code, request)
        if not grant:
            return False
        grant_client = getattr(grant, "client_id", None)
        if grant_client is not None and grant_client != client.client_id:
            return False
        if is_expired(getattr(grant, "expires", None)):
            return False
        redeem = getattr(grant, "redeem", None)
        if redeem is not None and not redeem():
            log.warning("an authorization code was replayed")
            self.revoke_stored(grant, "revoke_issued_tokens", "code_replay", client.client_id)
            return False
        request.user = grant.user
        request.scopes = grant.scopes
        request.grant = grant
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """The token request's ``redirect_uri`` must be the one the code was issued for;
        a grant may provide ``validate_redirect_uri``. (``request`` may be left out, as
        0.9.6's signature did.)"""
        if request is None:
            request = OAuthlibRequest(redirect_uri or "http://localhost")
        client = client or self._client(client_id, request)
        grant = self._grant(client.client_id, code, request)
        if not grant:
            return False
        if hasattr(grant, "validate_redirect_uri"):
            return bool(grant.validate_redirect_uri(redirect_uri))
        stored = getattr(grant, "redirect_uri", None)
        if getattr(request, "using_default_redirect_uri", False) and not stored:
            return True
        return bool(stored == redirect_uri)

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        """Delete the used code (storage with ``redeem()`` marked it used already)."""
        grant = self._grant(client_id, code, request)
        if grant and not hasattr(grant, "redeem"):
            grant.delete()

    # -- what the storage can do ----------------------------------------------------------

    def saves_codes(self) -> bool:
        """Whether codes can be issued: a grantsetter is registered, or a subclass saves
        them its own way. The server offers the authorization code grant only then.

        .. versionadded:: 1.1
        """
        own = (
            type(self).save_authorization_code is not OAuth2RequestValidator.save_authorization_code
        )
        return own or self._grantsetter is not None

    def checks_passwords(self) -> bool:
        """Whether passwords can be checked: a usergetter is registered, or a subclass
        checks them its own way. The server offers the password grant only then.

        .. versionadded:: 1.1
        """
        own = type(self).validate_user is not OAuth2RequestValidator.validate_user
        return own or self._usergetter is not None

    # -- the password grant --------------------------------------------------------------

    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Check the password with the usergetter and attach the user to the request."""
        if self._usergetter is None:
            return False
        user = self._usergetter(username, password, client, request, *args, **kwargs)
        if not user:
            return False
        request.user = user
        return True
