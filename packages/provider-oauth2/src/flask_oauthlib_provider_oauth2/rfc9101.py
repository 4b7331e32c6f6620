"""RFC 9101: JWT-secured authorization requests (request objects, "JAR").

A client may send its authorization request as a JWT it signed, the ``request``
parameter, by value at the authorization endpoint or in a pushed request
(:mod:`.rfc9126`). The JWT is checked with the client's keys
(:func:`~.client_keys.verify_client_jwt`): ``iss`` is the ``client_id``, ``aud`` the
provider's issuer, ``exp`` is required; its ``client_id`` claim must be the one the
request names. Its claims are then the request's parameters, and only they count
(RFC 9101 6.3: parameters outside it are ignored, ``client_id`` aside).

An unsigned request object (``alg: none``) is accepted only from a client that
registered ``request_object_signing_alg: none`` (and then it must send unsigned ones),
never while it or the app (``OAUTH2_PROVIDER_REQUIRE_SIGNED_REQUEST_OBJECT``) requires
signed request objects (``require_signed_request_object``). ``request_uri`` values are
never fetched: only the ``urn:ietf:params:oauth:request_uri:`` values of pushed requests
are understood (``request_uri_parameter_supported`` is ``false``).

.. versionadded:: 1.1
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from oauthlib.oauth2.rfc6749 import errors

from .client_keys import DEFAULT_ALGORITHMS, MAX_TOKEN_LENGTH, ClientJWTError, verify_client_jwt
from .features import Feature
from .jwks import _jwt

if TYPE_CHECKING:
    from .config import OAuth2Settings
    from .server import Server

__all__ = [
    "InvalidRequestObject",
    "InvalidRequestURI",
    "RequestObjects",
    "RequestURINotSupported",
    "client_setting",
    "request_object_params",
    "requires_signed_request_object",
]

#: JWT claims that describe the request object itself, not the authorization request
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})
#: parameters a request object may give as a JSON value (serialized back to text)
JSON_PARAMS = frozenset({"claims", "authorization_details"})
#: parameters a request object may give as a list of strings (repeated parameters)
LIST_PARAMS = frozenset({"resource"})
#: the most parameters one request object may carry
MAX_PARAMS = 64
#: an authorization request's parameters: text, or several texts for ``resource``
Params = dict[str, "str | list[str]"]


class InvalidRequestObject(errors.FatalClientError):
    """``invalid_request_object`` (RFC 9101 6.2): the request object is not acceptable.
    Fatal: its redirect URI cannot be trusted, so the error is never sent there."""

    error = "invalid_request_object"
    status_code = 400


class InvalidRequestURI(errors.FatalClientError):
    """``invalid_request_uri`` (RFC 9101 6.2, RFC 9126 4): the ``request_uri`` is
    unknown, expired, used already, or another client's."""

    error = "invalid_request_uri"
    status_code = 400


class RequestURINotSupported(errors.FatalClientError):
    """``request_uri_not_supported``: a ``request_uri`` that is not one this provider
    issued for a pushed request (nothing is ever fetched)."""

    error = "request_uri_not_supported"
    status_code = 400


def client_setting(client: Any, name: str) -> Any:
    """The client's ``name``: its attribute, else its ``client_metadata`` entry."""
    value = getattr(client, name, None)
    if value is None:
        metadata = getattr(client, "client_metadata", None)
        if isinstance(metadata, Mapping):
            value = metadata.get(name)
    return value


def requires_signed_request_object(client: Any, settings: OAuth2Settings) -> bool:
    """Whether ``client`` must send its authorization requests as a signed request
    object: the app says so for every client, or the client for itself."""
    return settings.require_signed_request_object or (
        client_setting(client, "require_signed_request_object") is True
    )


def _unsigned_claims(token: str) -> dict[str, Any]:
    jwt = _jwt()
    options = {"verify_signature": False, "verify_exp": True, "verify_nbf": True}
    try:
        claims = jwt.decode(token, options=options, algorithms=["none"], leeway=30)
    except jwt.ExpiredSignatureError as exc:
        raise InvalidRequestObject(description="The request object has expired.") from exc
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
        raise InvalidRequestObject(description="The request object is malformed.") from exc
    if not isinstance(claims, dict):
        raise InvalidRequestObject(description="The request object is malformed.")
    return claims


def _algorithm(token: Any) -> str:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidRequestObject(description="The request object is missing or too long.")
    if not token.isascii() or token.count(".") != 2:
        raise InvalidRequestObject(description="The request object is not a JWT.")
    jwt = _jwt()
    try:
        alg = jwt.get_unverified_header(token).get("alg")
    except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidRequestObject(description="The request object is malformed.") from exc
    if not isinstance(alg, str):
        raise InvalidRequestObject(description="The request object has no alg.")
    return alg


def _as_params(claims: Mapping[str, Any]) -> Params:
    """The authorization parameters of a request object's ``claims``."""
    params: Params = {}
    for name, value in claims.items():
        if name in JWT_CLAIMS:
            continue
        if name in ("request", "request_uri"):
            raise InvalidRequestObject(
                description=f"A request object cannot carry a {name} parameter."
            )
        if isinstance(value, str):
            params[name] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            params[name] = str(value)
        elif name in JSON_PARAMS and isinstance(value, dict | list):
            params[name] = json.dumps(value, separators=(",", ":"))
        elif name in LIST_PARAMS and isinstance(value, list) and value:
            if not all(isinstance(item, str) for item in value):
                raise InvalidRequestObject(description=f"The {name} values must be strings.")
            params[name] = list(value)
        else:
            raise InvalidRequestObject(
                description=f"The request object's {name} has a value of the wrong type."
            )
    if len(params) > MAX_PARAMS:
        raise InvalidRequestObject(description="The request object has too many parameters.")
    return params


def request_object_params(
    client: Any,
    token: Any,
    *,
    client_id: str,
    audience: str | Collection[str],
    settings: OAuth2Settings,
) -> tuple[Params, bool]:
    """The authorization parameters of the request object ``token`` sent by ``client``
    (whose ``client_id`` the request named), with ``client_id``; and whether the object
    was signed.

    :param audience: what its ``aud`` must name (the issuer).
    :raises InvalidRequestObject: when the object is not acceptable (the description
        says why and may be shown to the client).

    .. versionadded:: 1.1
    """
    alg = _algorithm(token)
    registered = client_setting(client, "request_object_signing_alg")
    if alg == "none":
        if registered != "none" or requires_signed_request_object(client, settings):
            raise InvalidRequestObject(description="The request object must be signed.")
        claims = _unsigned_claims(token)
        signed = False
    else:
        if registered == "none":
            raise InvalidRequestObject(description="The client registered unsigned requests.")
        algorithms: Collection[str] = (
            (registered,) if isinstance(registered, str) and registered else DEFAULT_ALGORITHMS
        )
        try:
            claims = verify_client_jwt(
                client, token, audience=audience, settings=settings, algorithms=algorithms
            )
        except ClientJWTError as exc:
            raise InvalidRequestObject(description=f"Request object: {exc}") from exc
        if claims.get("iss") != client_id:
            raise InvalidRequestObject(description="The request object's iss is not the client.")
        signed = True
    if claims.get("client_id") != client_id:
        raise InvalidRequestObject(
            description="The request object's client_id is not the request's."
        )
    exp = claims.get("exp")
    if signed and (
        not isinstance(exp, int | float) or exp > time.time() + settings.assertion_max_lifetime
    ):
        # a leaked request object (a URL in a log) must not stay usable for long
        raise InvalidRequestObject(description="The request object's exp is too far away.")
    return {**_as_params(claims), "client_id": client_id}, signed


def signing_algorithms() -> list[str]:
    """The request object algorithms this provider verifies (``none`` for clients that
    registered it); none without PyJWT, which is not imported here (the metadata
    document does not need it)."""
    if importlib.util.find_spec("jwt") is None:
        return []
    return [*DEFAULT_ALGORITHMS, "none"]


class RequestObjects(Feature):
    """Request objects at the authorization endpoint, and what the metadata document
    says of them (``request_parameter_supported`` ...).

    .. versionadded:: 1.1
    """

    endpoints: ClassVar[Mapping[str, str]] = {}

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if "authorization_endpoint" not in urls:
            return {}
        algorithms = signing_algorithms()
        if server.settings.require_signed_request_object:
            algorithms = [alg for alg in algorithms if alg != "none"]
        return {
            "request_parameter_supported": bool(algorithms),
            "request_uri_parameter_supported": False,
            "require_request_uri_registration": False,
            "request_object_signing_alg_values_supported": algorithms,
            "require_signed_request_object": server.settings.require_signed_request_object,
        }
