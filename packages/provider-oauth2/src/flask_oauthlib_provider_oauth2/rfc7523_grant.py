"""RFC 7523 2.1: the JWT bearer authorization grant.

``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` with an ``assertion``: a JWT
that an issuer the app trusts signed about one of its users. Off unless
``OAUTH2_PROVIDER_JWT_BEARER_ISSUERS`` names issuers (each with its JWK Set, or the
``https`` URL of one) and a :meth:`~.OAuth2Provider.jwt_bearer_usergetter` maps
``(issuer, sub, client, request)`` to a user::

    app.config["OAUTH2_PROVIDER_JWT_BEARER_ISSUERS"] = {
        "https://idp.example.com": "https://idp.example.com/jwks.json",
    }

    @oauth.jwt_bearer_usergetter
    def user_of(issuer, subject, client, request):
        return User.query.filter_by(idp=issuer, idp_subject=subject).first()

The assertion is checked as RFC 7523 3 asks: the signature with a key of its ``iss``
(asymmetric algorithms only), ``sub`` present, ``aud`` naming this server (its issuer
identifier or token endpoint), ``exp`` required and at most
``OAUTH2_PROVIDER_ASSERTION_MAX_LIFETIME`` seconds away, ``nbf`` and ``iat`` not in the
future, and its ``jti`` accepted once. Every refusal of the assertion is
``invalid_grant``. The client authenticates as for any grant (a confidential client
must, RFC 7523 3.1); the scopes must lie within what the client may ask for. No refresh
token is issued.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.base import GrantTypeBase

from .client_keys import ClientJWTError, verify_client_jwt
from .features import Feature
from .jwks import _jwt
from .rfc7523 import (
    MAX_ASSERTION_LENGTH,
    SIGNING_ALGORITHMS,
    InvalidAssertion,
    assertion_audiences,
    check_assertion_claims,
    first_use,
)
from .validation import ValidatorBase, refuse_duplicates

if TYPE_CHECKING:
    from .config import OAuth2Settings
    from .server import Server

__all__ = ["JWT_BEARER_GRANT", "JWTBearer", "JWTBearerGrant", "JWTBearerMixin"]

log = logging.getLogger(__name__)

#: the ``grant_type`` of the JWT bearer grant (RFC 7523 2.1)
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class JWTBearerMixin(ValidatorBase):
    """The validator's part of the JWT bearer grant: who an assertion's subject is."""

    _jwt_bearer_usergetter: Any = None

    def maps_jwt_bearer_users(self) -> bool:
        """Whether assertion subjects can be mapped to users: a
        ``jwt_bearer_usergetter`` is registered, or a subclass maps them its own way.
        The grant is offered only then.

        .. versionadded:: 1.1
        """
        own = type(self).jwt_bearer_user is not JWTBearerMixin.jwt_bearer_user
        return own or self._jwt_bearer_usergetter is not None

    def jwt_bearer_user(self, issuer: str, subject: str, client: Any, request: Any) -> Any:
        """The user the trusted ``issuer`` calls ``subject``, for ``client``; ``None``
        refuses the grant.

        .. versionadded:: 1.1
        """
        if self._jwt_bearer_usergetter is None:
            return None
        return self._jwt_bearer_usergetter(issuer, subject, client, request)


def _body(request: Any, name: str) -> str | None:
    for key, value in request.decoded_body or ():
        if key == name:
            return str(value)
    return None


class JWTBearerGrant(GrantTypeBase):
    """The JWT bearer grant of RFC 7523 2.1 on oauthlib's grant base.

    :param request_validator: the validator.
    :param settings: the app's settings (its trusted issuers).
    """

    def __init__(self, request_validator: Any, settings: OAuth2Settings, **kwargs: Any) -> None:
        super().__init__(request_validator, **kwargs)
        self.settings = settings

    def create_token_response(self, request: Any, token_handler: Any) -> Any:
        """Check the request and answer a token (no refresh token), or the error."""
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
        except errors.OAuth2Error as exc:
            headers.update(exc.headers)
            return headers, exc.json, exc.status_code
        token = token_handler.create_token(request, refresh_token=False)
        for modifier in self._token_modifiers:
            token = modifier(token, token_handler, request)
        self.request_validator.save_token(token, request)
        return headers, json.dumps(token), 200

    def validate_token_request(self, request: Any) -> None:
        """RFC 7523 2.1 and 3: the client, the assertion, the user, the scopes."""
        for check in self.custom_validators.pre_token:
            check(request)
        if request.grant_type != JWT_BEARER_GRANT:
            raise errors.UnsupportedGrantTypeError(request=request)
        if "assertion" in (request.duplicate_params or ()):
            raise errors.InvalidRequestError(
                request=request, description="Duplicate assertion parameter."
            )
        assertion = _body(request, "assertion")
        if not assertion:
            raise errors.InvalidRequestError(
                request=request, description="Missing assertion parameter."
            )
        validator = self.request_validator
        if validator.client_authentication_required(request):
            if not validator.authenticate_client(request):
                raise errors.InvalidClientError(request=request)
        elif not validator.authenticate_client_id(request.client_id, request):
            raise errors.InvalidClientError(request=request)
        request.client_id = request.client_id or request.client.client_id
        self.validate_grant_type(request)
        issuer, claims = self._verify(assertion, request)
        user = validator.jwt_bearer_user(issuer, claims["sub"], request.client, request)
        if not user:
            raise errors.InvalidGrantError(
                request=request, description="The assertion's subject is not a known user."
            )
        request.user = user
        self.validate_scopes(request)
        for check in self.custom_validators.post_token:
            check(request)

    def _verify(self, assertion: str, request: Any) -> tuple[str, dict[str, Any]]:
        """The trusted issuer and the checked claims of ``assertion``.

        :raises errors.InvalidGrantError: for any assertion that is not acceptable.
        """

        def refuse(description: str) -> errors.InvalidGrantError:
            return errors.InvalidGrantError(request=request, description=description)

        issuers: Mapping[str, Any] = self.settings.jwt_bearer_issuers or {}
        if len(assertion) > MAX_ASSERTION_LENGTH or assertion.count(".") != 2:
            raise refuse("The assertion is not a signed JWT.")
        jwt = _jwt()
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except Exception as exc:  # anything PyJWT raises for what a client sent
            raise refuse("The assertion is not a signed JWT.") from exc
        issuer = unverified.get("iss") if isinstance(unverified, dict) else None
        if not isinstance(issuer, str) or issuer not in issuers:
            raise refuse("The assertion's issuer is not trusted.")
        keys = issuers[issuer]
        owner = SimpleNamespace(
            client_id=issuer,
            jwks=keys if isinstance(keys, Mapping) else None,
            jwks_uri=keys if isinstance(keys, str) else None,
        )
        audiences = assertion_audiences(self.settings)
        try:
            claims = verify_client_jwt(
                owner,
                assertion,
                audience=audiences,
                settings=self.settings,
                algorithms=SIGNING_ALGORITHMS,
            )
            check_assertion_claims(
                claims,
                audiences=audiences,
                max_lifetime=self.settings.assertion_max_lifetime,
                issuer=issuer,
            )
        except (ClientJWTError, InvalidAssertion) as exc:
            raise refuse(str(exc).replace("JWT", "assertion")) from exc
        if not first_use(self.request_validator, "jwt-bearer", issuer, claims):
            log.warning("a JWT bearer assertion was replayed (issuer %r)", issuer)
            raise refuse("The assertion was used already.")
        return issuer, claims


class JWTBearer(Feature):
    """The JWT bearer grant at the token endpoint, while ``OAUTH2_PROVIDER_JWT_BEARER_
    ISSUERS`` names trusted issuers and a ``jwt_bearer_usergetter`` is registered (the
    metadata's ``grant_types_supported`` then lists it).

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        if not server.settings.jwt_bearer_issuers:
            return
        validator = server.request_validator
        maps = getattr(validator, "maps_jwt_bearer_users", None)
        if maps is None or not maps():
            log.warning(
                "OAUTH2_PROVIDER_JWT_BEARER_ISSUERS is set but no jwt_bearer_usergetter is"
                " registered: the JWT bearer grant is not offered"
            )
            return
        grant = JWTBearerGrant(validator, server.settings)
        grant.custom_validators.pre_token.append(refuse_duplicates)
        server.add_grant_type(JWT_BEARER_GRANT, grant)
