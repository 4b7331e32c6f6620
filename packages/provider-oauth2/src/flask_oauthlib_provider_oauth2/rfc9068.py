"""RFC 9068: JWT access tokens, issued by the provider and verified without storage.

With ``OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT = "jwt"`` (or, per client, its
``access_token_format`` attribute: ``"jwt"`` or ``"opaque"``) access tokens are JWTs
signed with the provider's keys (``OAUTH2_PROVIDER_OIDC_KEYS``, :mod:`.jwks`; the JWKS
endpoint publishes them), header ``typ: at+jwt``, claims ``iss``, ``exp``, ``aud`` (the
token's resources, RFC 8707, else ``OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_AUDIENCE``, else
the issuer), ``sub`` (the user's OpenID subject; the client's id for the client
credentials grant), ``client_id``, ``iat``, ``jti``, ``scope``, ``auth_time`` when
known and ``cnf.jkt`` for a DPoP-bound token (``request.dpop_jkt``). They are saved with
the tokensetter as any token, so refresh, revocation and introspection work as before;
refresh tokens stay opaque.

``require_oauth`` verifies a JWT access token of this provider locally (signature,
``typ``, ``iss``, ``exp``, ``aud``, scopes) without calling the tokengetter: ``aud``
must name the resource of the request (``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS``, as for
any token) or, without resource identifiers, the default audience. With
``OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_CHECK_REVOCATION`` the tokengetter is asked as well,
so a revoked token is refused at once. Only a token with two dots whose header says
``at+jwt`` takes this path, and only while keys are configured: opaque tokens are
checked as before. ``request.oauth.access_token`` is then a :class:`JWTAccessToken`
(``client_id``, ``scopes``, ``expires``, ``resources``, ``sub``, ``dpop_jkt``, and
``user`` from a :meth:`~.OAuth2Provider.jwt_usergetter` if one is registered).

A resource server of its own, with no database, verifies the tokens with
:class:`~.jwt_resource_server.JWTAccessTokenVerifier`.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from flask import has_request_context
from flask import request as flask_request

from flask_oauthlib_core import is_expired

from .features import Feature
from .jwks import ALGORITHMS, KeySet, _jwt, key_set
from .oidc.claims import attribute_claims, subject
from .oidc.context import epoch
from .rfc6750 import TOKEN_SYNTAX, BearerMixin, usable_here

if TYPE_CHECKING:
    from .config import OAuth2Settings
    from .server import Server

__all__ = [
    "TYP",
    "InvalidJWTAccessToken",
    "JWTAccessToken",
    "JWTAccessTokenMixin",
    "JWTAccessTokens",
    "decode_access_token",
]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: the ``typ`` header of a JWT access token (RFC 9068 2.1)
TYP = "at+jwt"
#: seconds of clock skew allowed for ``exp``, ``nbf`` and ``iat``
LEEWAY = 30
#: the longest token read, in characters
MAX_TOKEN_LENGTH = 16384
REQUIRED_CLAIMS = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")


class InvalidJWTAccessToken(ValueError):
    """A JWT access token is not acceptable; the message says why, never what it holds.

    .. versionadded:: 1.1
    """


class UnknownKey(InvalidJWTAccessToken):
    """The token names a key the verifier does not have (it may have to fetch them)."""


@dataclass
class JWTAccessToken:
    """A verified JWT access token, shaped like a stored token.

    .. versionadded:: 1.1
    """

    access_token: str = field(repr=False)
    claims: dict[str, Any] = field(repr=False)
    client_id: str
    scopes: list[str]
    expires: datetime
    resources: list[str]
    sub: str
    issuer: str
    jti: str
    dpop_jkt: str | None = None
    auth_time: int | None = None
    user: Any = None
    revoked: bool = False

    @classmethod
    def from_claims(cls, token: str, claims: dict[str, Any], user: Any = None) -> JWTAccessToken:
        aud = claims["aud"]
        cnf = claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        scope = claims.get("scope")
        return cls(
            access_token=token,
            claims=claims,
            client_id=str(claims["client_id"]),
            scopes=scope.split() if isinstance(scope, str) else [],
            expires=datetime.fromtimestamp(float(claims["exp"]), timezone.utc),
            resources=[aud] if isinstance(aud, str) else [str(a) for a in aud],
            sub=str(claims["sub"]),
            issuer=str(claims["iss"]),
            jti=str(claims["jti"]),
            dpop_jkt=jkt if isinstance(jkt, str) else None,
            auth_time=epoch(claims.get("auth_time")),
            user=user,
        )


def _is_access_token_typ(value: Any) -> bool:
    return isinstance(value, str) and value.lower().removeprefix("application/") == TYP


def looks_like_jwt(token: str) -> bool:
    """The cheap test before anything is parsed: two dots, a JWS header's start."""
    return token.count(".") == 2 and token.startswith("eyJ")


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of ``token``, read without any check (to choose the key, or to
    tell a JWT access token from another token); one base64 and one JSON decode.

    :raises InvalidJWTAccessToken: when it is no JSON object.
    """
    head = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise InvalidJWTAccessToken("The access token is malformed.") from exc
    if not isinstance(header, dict):
        raise InvalidJWTAccessToken("The access token is malformed.")
    return header


def decode_access_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    audiences: Collection[str] | None,
    algorithms: Collection[str] = ALGORITHMS,
    leeway: float = LEEWAY,
    header: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The claims of the JWT access token ``token`` after checking its ``typ``, its
    algorithm, its signature with the key of ``keys`` its ``kid`` names, ``iss``,
    ``exp`` (and ``nbf``, ``iat``), the claims RFC 9068 requires and, unless
    ``audiences`` is ``None``, that ``aud`` names one of ``audiences``.

    :param header: the token's :func:`unverified_header`, if read already.
    :raises UnknownKey: when no key of ``keys`` has the token's ``kid``.
    :raises InvalidJWTAccessToken: for every other failure.
    """
    jwt = _jwt()
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2 or not token.isascii():
        raise InvalidJWTAccessToken("The access token is malformed.")
    if header is None:
        header = unverified_header(token)
    if not _is_access_token_typ(header.get("typ")):
        raise InvalidJWTAccessToken("The access token is not a JWT access token.")
    alg = header.get("alg")
    if alg not in algorithms or "crit" in header:
        raise InvalidJWTAccessToken("The access token's algorithm is not accepted.")
    kid = header.get("kid")
    key = next((k for k in keys.keys if k.kid == kid and k.alg == alg), None)
    if key is None:
        raise UnknownKey("The access token was not signed by a known key.")
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=[alg],
            issuer=issuer,
            leeway=leeway,
            options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidJWTAccessToken("The access token expired.") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidJWTAccessToken("The access token was issued by another server.") from exc
    except Exception as exc:  # PyJWT's errors: signature, claims, malformed
        raise InvalidJWTAccessToken("The access token is invalid.") from exc
    if not isinstance(claims, dict):
        raise InvalidJWTAccessToken("The access token is invalid.")
    aud = claims["aud"]
    named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not named or not all(isinstance(a, str) for a in named):
        raise InvalidJWTAccessToken("The access token's aud is malformed.")
    if not isinstance(claims["client_id"], str) or not isinstance(claims["exp"], int | float):
        raise InvalidJWTAccessToken("The access token is invalid.")
    scope = claims.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise InvalidJWTAccessToken("The access token's scope is malformed.")
    if audiences is not None and not set(named) & set(audiences):
        raise InvalidJWTAccessToken("The access token is not meant for this resource.")
    return claims


# -- issuing --------------------------------------------------------------------------------


def _issuer(settings: OAuth2Settings) -> str:
    if settings.issuer:
        return settings.issuer
    if not has_request_context():
        raise RuntimeError("set OAUTH2_PROVIDER_ISSUER to issue JWT access tokens here")
    return str(flask_request.host_url.rstrip("/"))


def default_audience(settings: OAuth2Settings) -> str:
    """``OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_AUDIENCE``, or the issuer."""
    return settings.jwt_access_token_audience or _issuer(settings)


def wants_jwt(client: Any, settings: OAuth2Settings) -> bool:
    """Whether ``client`` gets JWT access tokens: its ``access_token_format``, else the
    app's ``OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT``."""
    chosen = getattr(client, "access_token_format", None)
    if chosen in ("jwt", "opaque"):
        return bool(chosen == "jwt")
    return settings.access_token_format == "jwt"  # noqa: S105 - a format name


def _subject(validator: Any, request: Any) -> str:
    user = getattr(request, "user", None)
    if request.grant_type == "client_credentials" or user is None:
        return str(request.client.client_id)
    claims_of = getattr(validator, "user_claims", None)
    claims = claims_of(user, request) if claims_of is not None else attribute_claims(user)
    return subject(claims)


class JWTAccessTokenGenerator:
    """The token generator of a server with keys: a JWT access token for a client that
    wants one (:func:`wants_jwt`), else what ``opaque`` generates."""

    def __init__(
        self, settings: OAuth2Settings, opaque: Callable[[Any], str], validator: Any
    ) -> None:
        self.settings = settings
        self.opaque = opaque
        self.validator = validator

    def __call__(self, request: Any) -> str:
        if not wants_jwt(getattr(request, "client", None), self.settings):
            return self.opaque(request)
        return self.sign(self.claims(request))

    def claims(self, request: Any) -> dict[str, Any]:
        """The claims of the token ``request`` is being answered with."""
        now = int(time.time())
        resources = list(getattr(request, "resources", None) or [])
        aud: str | list[str] = (
            resources
            if len(resources) > 1
            else (resources[0] if resources else default_audience(self.settings))
        )
        claims: dict[str, Any] = {
            "iss": _issuer(self.settings),
            "exp": now + int(request.expires_in),
            "aud": aud,
            "sub": _subject(self.validator, request),
            "client_id": request.client.client_id,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
        }
        if request.scopes:
            claims["scope"] = " ".join(request.scopes)
        auth_time = epoch(getattr(request, "auth_time", None))
        if auth_time is not None:
            claims["auth_time"] = auth_time
        jkt = getattr(request, "dpop_jkt", None)
        if isinstance(jkt, str) and jkt:
            claims["cnf"] = {"jkt": jkt}
            # the token itself carries the binding, whatever the storage keeps (RFC 9449)
            request.dpop_jkt_in_token = True
        return claims

    def sign(self, claims: Mapping[str, Any]) -> str:
        alg = self.settings.jwt_access_token_alg
        key = key_set(self.settings.oidc_keys).signing_key(alg)
        headers = {"kid": key.kid, "typ": TYP}
        token = _jwt().encode(dict(claims), key.private, algorithm=alg, headers=headers)
        return token if isinstance(token, str) else token.decode("ascii")


# -- verifying at the provider --------------------------------------------------------------


class LocalVerifier:
    """The provider's own check of its JWT access tokens (see the module docs)."""

    def __init__(self, settings: OAuth2Settings) -> None:
        self.settings = settings

    def validate(self, validator: Any, token: str, scopes: list[str], request: Any) -> bool | None:
        """``True`` or ``False`` for a JWT access token, ``None`` for any other token
        (checked as an opaque one)."""
        try:
            header = unverified_header(token)
        except InvalidJWTAccessToken:  # not a JWT: an opaque token with dots
            return None
        if not _is_access_token_typ(header.get("typ")):
            return None
        settings = self.settings
        audiences = None if settings.resource_identifiers else [default_audience(settings)]
        try:
            claims = decode_access_token(
                token,
                key_set(settings.oidc_keys),
                issuer=_issuer(settings),
                audiences=audiences,
                header=header,
            )
        except InvalidJWTAccessToken as exc:
            request.error_message = str(exc)
            return False
        tok = JWTAccessToken.from_claims(token, claims)
        if settings.jwt_access_token_check_revocation and validator.jwt_access_token_revoked(
            tok, request
        ):
            request.error_message = "The access token was revoked."
            return False
        if not usable_here(tok, scopes, request):
            return False
        tok.user = validator.jwt_access_token_user(tok, request)
        request.access_token = tok
        request.user = tok.user
        request.scopes = scopes
        request.client = validator._client(tok.client_id, request)
        request.client_id = tok.client_id
        return True


class JWTAccessTokenMixin(BearerMixin):
    """The validator's check of bearer tokens, with JWT access tokens verified locally
    while the :class:`JWTAccessTokens` feature is on (it sets ``jwt_access_tokens``)."""

    jwt_access_tokens: LocalVerifier | None = None
    _jwt_usergetter: Any = None

    def validate_bearer_token(self, token: str | None, scopes: Any, request: Any) -> bool:
        """A JWT access token of this provider is verified locally
        (:class:`LocalVerifier`); any other token as :class:`~.rfc6750.BearerMixin`
        checks it."""
        local = self.jwt_access_tokens
        if local is not None and token and looks_like_jwt(token) and TOKEN_SYNTAX.fullmatch(token):
            answer = local.validate(self, token, list(scopes or ()), request)
            if answer is not None:
                return answer
        return super().validate_bearer_token(token, scopes, request)

    def jwt_access_token_revoked(self, token: JWTAccessToken, request: Any) -> bool:
        """Whether a JWT access token was revoked (asked only with
        ``OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_CHECK_REVOCATION``): the tokengetter no
        longer has it, or has it revoked or expired. Override to consult a revocation
        list instead.

        .. versionadded:: 1.1
        """
        stored = self._tokengetter(access_token=token.access_token)
        return (
            not stored
            or bool(getattr(stored, "revoked", False))
            or is_expired(getattr(stored, "expires", None))
        )

    def jwt_access_token_user(self, token: JWTAccessToken, request: Any) -> Any:
        """The user of a JWT access token: what the ``jwt_usergetter`` returns for its
        ``sub`` and claims, ``None`` without one.

        .. versionadded:: 1.1
        """
        if self._jwt_usergetter is None or token.sub == token.client_id:
            return None
        return self._jwt_usergetter(token.sub, token.claims)


class JWTAccessTokens(Feature):
    """JWT access tokens (RFC 9068): issued while keys are configured and the app or the
    client asks for them, verified locally by ``require_oauth``.

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        settings = server.settings
        if settings.oidc_keys is None:
            if wants_jwt(None, settings):
                raise RuntimeError(
                    "OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT = 'jwt' needs signing keys: set"
                    " OAUTH2_PROVIDER_OIDC_KEYS (flask oidc generate-key makes one)"
                )
            return
        bearer = server.bearer
        # refresh tokens keep the opaque generator (oauthlib defaulted them to it)
        bearer.refresh_token_generator = bearer.refresh_token_generator or bearer.token_generator
        bearer.token_generator = JWTAccessTokenGenerator(
            settings, bearer.token_generator, server.request_validator
        )
        if isinstance(server.request_validator, JWTAccessTokenMixin):
            server.request_validator.jwt_access_tokens = LocalVerifier(settings)
