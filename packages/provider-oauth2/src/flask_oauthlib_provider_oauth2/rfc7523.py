"""RFC 7523: JWTs for client authentication (``private_key_jwt``, ``client_secret_jwt``).

A client authenticates with ``client_assertion_type=``:data:`CLIENT_ASSERTION_TYPE` and a
``client_assertion``: a JWT whose ``iss`` and ``sub`` are its ``client_id``, whose ``aud``
names this server (its issuer identifier, the token endpoint's URL or the URL of the
endpoint being called: RFC 7523 3, OpenID Connect Core 9), with an ``exp`` at most
``OAUTH2_PROVIDER_ASSERTION_MAX_LIFETIME`` seconds away and a ``jti`` accepted once (the
validator's ``replay_store``, kept until ``exp``). ``iat`` and ``nbf`` are checked with
:data:`LEEWAY` seconds of clock skew.

- :data:`PRIVATE_KEY_JWT` verifies the signature with the client's public keys (its
  ``jwks`` or ``jwks_uri``, :func:`~.client_keys.verify_client_jwt`); never ``none``,
  never HMAC.
- :data:`CLIENT_SECRET_JWT` verifies an HMAC (``HS256``, ``HS384``, ``HS512``) with the
  client's plaintext ``client_secret``, at least as long as the hash (RFC 7518 3.2). A
  client whose secret is stored hashed (it has ``check_client_secret`` and no plaintext
  ``client_secret``) cannot use it: it is refused with ``invalid_client``.

Both are :class:`~.clientauth.ClientAuthMethod` entries of the validator's
``client_auth_methods``, so they work wherever clients authenticate (the token,
introspection, revocation and pushed authorization request endpoints), are listed in the
metadata, and a client's registered ``token_endpoint_auth_method`` restricts it to one.
Which of the two a request uses is told by the assertion's ``alg`` (``HS*``:
``client_secret_jwt``); an assertion together with a secret is two methods at once and
authenticates nothing (RFC 6749 2.3).

The claim checks (:func:`check_assertion_claims`) are shared with the JWT bearer
authorization grant (:mod:`.rfc7523_grant`).

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context
from flask import request as flask_request
from oauthlib.oauth2.rfc6749 import errors

from .client_keys import ClientJWTError, verify_client_jwt
from .clientauth import secret_expired
from .config import current_state
from .features import Feature
from .jwks import _jwt
from .replay import MemoryReplayStore, ReplayStore, replay_key

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_SECRET_JWT",
    "ClientAssertions",
    "HMAC_ALGORITHMS",
    "LEEWAY",
    "PRIVATE_KEY_JWT",
    "InvalidAssertion",
    "ClientSecretJWT",
    "PrivateKeyJWT",
    "assertion_audiences",
    "check_assertion_claims",
    "first_use",
]

log = logging.getLogger(__name__)

#: ``client_assertion_type`` of a JWT client assertion (RFC 7523 2.2)
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: the HMAC algorithms of ``client_secret_jwt``, with the shortest secret (in bytes) each
#: accepts (RFC 7518 3.2: at least the size of the hash output)
HMAC_ALGORITHMS: Mapping[str, int] = {"HS256": 32, "HS384": 48, "HS512": 64}
#: the asymmetric algorithms of ``private_key_jwt``
SIGNING_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
#: seconds of clock skew allowed for ``exp``, ``nbf`` and ``iat``
LEEWAY = 30
#: the longest ``jti`` accepted
MAX_JTI_LENGTH = 256
#: the longest assertion read, in characters
MAX_ASSERTION_LENGTH = 16384
#: ``typ`` values that say a JWT is something else than an assertion (token confusion)
FOREIGN_TYPES = frozenset({"at+jwt", "dpop+jwt", "oauth-authz-req+jwt", "logout+jwt"})
#: where assertions are remembered when the validator has no ``replay_store``
_FALLBACK_STORE = MemoryReplayStore()


class InvalidAssertion(ValueError):
    """An assertion's claims are not acceptable; the message is safe to show the client.

    .. versionadded:: 1.1
    """


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAssertion(f"The assertion's {name} must be a number.")
    return float(value)


def check_assertion_claims(
    claims: Mapping[str, Any],
    *,
    audiences: Collection[str],
    max_lifetime: float,
    issuer: str | None = None,
    subject: str | None = None,
    now: float | None = None,
    leeway: float = LEEWAY,
) -> None:
    """Check the claims of an assertion whose signature was verified (RFC 7523 3).

    ``iss`` (``issuer`` when given, else any string) and ``sub`` (``subject`` when given,
    else any non-empty string) must be there; ``aud`` must name one of ``audiences``;
    ``exp`` is required, not past and at most ``max_lifetime`` seconds away; ``nbf`` and
    ``iat`` not in the future; ``jti`` a non-empty string.

    :raises InvalidAssertion: naming the claim that fails.
    """
    now = time.time() if now is None else now
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or (issuer is not None and iss != issuer):
        raise InvalidAssertion("The assertion's iss is missing or wrong.")
    if not isinstance(sub, str) or not sub or (subject is not None and sub != subject):
        raise InvalidAssertion("The assertion's sub is missing or wrong.")
    aud = claims.get("aud")
    named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(a, str) and a in audiences for a in named):
        raise InvalidAssertion("The assertion's aud does not name this server.")
    exp = _number(claims, "exp")
    if exp is None:
        raise InvalidAssertion("The assertion has no exp.")
    if exp <= now - leeway:
        raise InvalidAssertion("The assertion has expired.")
    if exp > now + max_lifetime + leeway:
        raise InvalidAssertion("The assertion's exp is too far in the future.")
    for name in ("nbf", "iat"):
        moment = _number(claims, name)
        if moment is not None and moment > now + leeway:
            raise InvalidAssertion(f"The assertion's {name} is in the future.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidAssertion("The assertion needs a jti.")


def first_use(
    validator: Any, purpose: str, issuer: str, claims: Mapping[str, Any], leeway: float = LEEWAY
) -> bool:
    """Record the assertion's ``jti`` (of ``issuer``) in the validator's ``replay_store``
    until its ``exp`` (and the clock skew) has passed; ``False`` when it was seen
    before."""
    store: ReplayStore = getattr(validator, "replay_store", None) or _FALLBACK_STORE
    expires_in = int(float(claims["exp"]) - time.time() + leeway) + 1
    return store.first_use(replay_key(purpose, issuer, str(claims["jti"])), max(1, expires_in))


# -- where the request is -------------------------------------------------------------------


def _state() -> Any:
    """The current app's provider state (settings and server), or ``None``."""
    return current_state()


def assertion_audiences(settings: Any) -> list[str]:
    """What an assertion's ``aud`` may name here: the issuer identifier
    (``OAUTH2_PROVIDER_ISSUER``, else the host URL), the token endpoint's URL and the
    URL of the endpoint being called, both on the issuer's origin when it is set
    (:func:`~.rfc8414.on_issuer`)."""
    from .rfc8414 import endpoint_urls, on_issuer

    audiences: list[str] = []
    if settings.issuer:
        audiences.append(settings.issuer)
    if has_request_context():
        if not settings.issuer:
            audiences.append(flask_request.host_url.rstrip("/"))
        audiences.append(on_issuer(settings, flask_request.base_url))
        token = endpoint_urls(current_app, {"token": "token_endpoint"}).get("token_endpoint")
        if token:
            audiences.append(on_issuer(settings, token))
    return list(dict.fromkeys(audiences))


# -- the methods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Assertion:
    """What a request's assertion parameters say, read once: the method its ``alg``
    points to, the ``client_id`` it names and the assertion (``None`` when malformed)."""

    method: str
    client_id: str | None
    token: str | None


def _body(request: Any, name: str) -> str | None:
    for key, value in request.decoded_body or ():
        if key == name:
            return str(value)
    return None


def _read(request: Any) -> _Assertion | None:
    cached = request.__dict__.get("_client_assertion")
    if cached is not None:
        return cached if isinstance(cached, _Assertion) else None
    found = _parse(request)
    request.__dict__["_client_assertion"] = found if found is not None else False
    return found


def _parse(request: Any) -> _Assertion | None:
    kind = _body(request, "client_assertion_type")
    token = _body(request, "client_assertion")
    if kind is None and token is None:
        return None
    client_id = request.client_id or None
    duplicated = {"client_assertion", "client_assertion_type"} & set(request.duplicate_params or ())
    if kind != CLIENT_ASSERTION_TYPE or not token or duplicated:
        return _Assertion(PRIVATE_KEY_JWT.name, client_id, None)
    if len(token) > MAX_ASSERTION_LENGTH or token.count(".") != 2 or not token.isascii():
        return _Assertion(PRIVATE_KEY_JWT.name, client_id, None)
    try:
        jwt = _jwt()
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except ImportError:
        log.error("client assertions need PyJWT: install flask-oauthlib-provider-oauth2[oidc]")
        return _Assertion(PRIVATE_KEY_JWT.name, client_id, None)
    except Exception:  # anything PyJWT raises for what a client sent
        return _Assertion(PRIVATE_KEY_JWT.name, client_id, None)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return _Assertion(PRIVATE_KEY_JWT.name, client_id, None)
    named = claims.get("sub")
    if not isinstance(named, str) or not named:
        named = client_id
    alg = header.get("alg")
    method = CLIENT_SECRET_JWT.name if alg in HMAC_ALGORITHMS else PRIVATE_KEY_JWT.name
    return _Assertion(method, named, token)


def _foreign_type(token: str) -> bool:
    typ = _jwt().get_unverified_header(token).get("typ")
    if not isinstance(typ, str):
        return False
    typ = typ.lower()
    return typ.removeprefix("application/") in FOREIGN_TYPES


def _finish(client: Any, claims: Mapping[str, Any], request: Any, settings: Any) -> bool:
    """The checks both methods share, after the signature: the claims, the ``client_id``
    the request names, and the ``jti`` seen once."""
    client_id = client.client_id
    try:
        check_assertion_claims(
            claims,
            audiences=assertion_audiences(settings),
            max_lifetime=settings.assertion_max_lifetime,
            issuer=client_id,
            subject=client_id,
        )
    except InvalidAssertion as exc:
        log.debug("client assertion refused: %s", exc)
        return False
    if request.client_id and request.client_id != client_id:
        log.debug("client assertion refused: client_id differs from sub")
        return False
    state = _state()
    validator = state.server.request_validator if state is not None else None
    if not first_use(validator, "client-assertion", client_id, claims):
        log.warning("a client assertion was replayed (client %r)", client_id)
        return False
    return True


class _AssertionMethod:
    """What both assertion methods share: the request uses the method its assertion's
    ``alg`` points to, and names the client in it."""

    name: str

    def credentials(self, request: Any) -> tuple[str | None, str | None] | None:
        found = _read(request)
        if found is None or found.method != self.name:
            return None
        return found.client_id, None


@dataclass(frozen=True)
class PrivateKeyJWT(_AssertionMethod):
    """``private_key_jwt``: a JWT the client signed with one of its registered keys."""

    name: str = "private_key_jwt"
    authenticates: bool = True

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        found = _read(request)
        state = _state()
        if found is None or found.token is None or state is None:
            log.debug("client assertion refused: malformed")
            return False
        try:
            if _foreign_type(found.token):
                return False
            claims = verify_client_jwt(
                client,
                found.token,
                audience=assertion_audiences(state.settings),
                settings=state.settings,
                algorithms=SIGNING_ALGORITHMS,
            )
        except ClientJWTError as exc:
            log.debug("private_key_jwt refused: %s", exc)
            return False
        except Exception as exc:  # never a 500 for what a client sent
            log.debug("private_key_jwt refused: %s", type(exc).__name__)
            return False
        return _finish(client, claims, request, state.settings)


def _plaintext_secret(client: Any) -> str | None:
    secret = getattr(client, "client_secret", None)
    return secret if isinstance(secret, str) and secret else None


@dataclass(frozen=True)
class ClientSecretJWT(_AssertionMethod):
    """``client_secret_jwt``: a JWT MACed with the client's secret (``HS256``,
    ``HS384``, ``HS512``), which must be stored in plaintext."""

    name: str = "client_secret_jwt"
    authenticates: bool = True

    def verify(self, client: Any, secret: str | None, request: Any) -> bool:
        found = _read(request)
        state = _state()
        if found is None or found.token is None or state is None:
            return False
        key = _plaintext_secret(client)
        if key is None:
            # a secret stored hashed cannot check a MAC
            raise errors.InvalidClientError(
                request=request,
                description="This client cannot use client_secret_jwt: its secret is not"
                " kept in a form that can check the assertion.",
            )
        if secret_expired(client):
            return False
        jwt = _jwt()
        try:
            header = jwt.get_unverified_header(found.token)
            alg = header.get("alg")
            if alg not in HMAC_ALGORITHMS or _foreign_type(found.token) or "crit" in header:
                return False
            if len(key.encode("utf-8")) < HMAC_ALGORITHMS[alg]:
                raise errors.InvalidClientError(
                    request=request,
                    description=f"This client's secret is too short for {alg}"
                    " (RFC 7518 3.2): use client_secret_basic or a longer secret.",
                )
            claims = jwt.decode(
                found.token,
                key,
                algorithms=[alg],
                options={"verify_aud": False, "require": ["exp"]},
                leeway=LEEWAY,
            )
        except errors.OAuth2Error:
            raise
        except Exception as exc:  # PyJWT's errors, and anything malformed
            log.debug("client_secret_jwt refused: %s", type(exc).__name__)
            return False
        if not isinstance(claims, dict):
            return False
        return _finish(client, claims, request, state.settings)


PRIVATE_KEY_JWT = PrivateKeyJWT()
CLIENT_SECRET_JWT = ClientSecretJWT()


class ClientAssertions(Feature):
    """The metadata of JWT client authentication: the algorithms accepted at each
    endpoint where clients authenticate, while the validator offers ``private_key_jwt``
    or ``client_secret_jwt``.

    .. versionadded:: 1.1
    """

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        names = {method.name for method in server.client_auth_methods()}
        algorithms: list[str] = []
        if PRIVATE_KEY_JWT.name in names:
            algorithms += [alg for alg in SIGNING_ALGORITHMS if alg in _available()]
        if CLIENT_SECRET_JWT.name in names:
            algorithms += list(HMAC_ALGORITHMS)
        if not algorithms:
            return {}
        document = {"token_endpoint_auth_signing_alg_values_supported": algorithms}
        for endpoint in ("introspection", "revocation"):
            if f"{endpoint}_endpoint" in urls:
                document[f"{endpoint}_endpoint_auth_signing_alg_values_supported"] = algorithms
        return document


def _available() -> set[str]:
    """The algorithms advertised while PyJWT is installed (found, not imported: the
    metadata document does not load it); none without it."""
    from importlib.util import find_spec

    return {"RS256", "PS256", "ES256"} if find_spec("jwt") is not None else set()
