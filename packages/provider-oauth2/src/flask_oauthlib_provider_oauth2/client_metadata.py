"""RFC 7591 section 2: the client metadata of dynamic client registration, checked.

What registration (:mod:`.rfc7591`) and the client configuration endpoint
(:mod:`.rfc7592`) share: reading the JSON request body (:func:`read_document`), checking
it against what the server offers (:func:`check_metadata`, :class:`Offer`), and the
errors of RFC 7591 3.2.2.

Every value is checked before anything is stored; what the provider does not know is
left out (RFC 7591 2), and nothing a client sent is ever echoed in an error.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Request
from oauthlib.oauth2.rfc6749 import errors

from .client_key_metadata import KEY_FIELDS, check_key_metadata

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "AUTH_METHODS",
    "DESCRIPTIVE_FIELDS",
    "MAX_BODY",
    "InvalidClientMetadata",
    "InvalidRedirectURI",
    "InvalidSoftwareStatement",
    "Offer",
    "UnapprovedSoftwareStatement",
    "check_metadata",
    "is_loopback_uri",
    "parse_object",
    "read_document",
    "software_statement",
]

#: the largest request body read, in bytes
MAX_BODY = 64 * 1024
MAX_URIS = 20
MAX_URI_LENGTH = 2000
MAX_TEXT_LENGTH = 200
MAX_CONTACTS = 10
MAX_CONTACT_LENGTH = 320
MAX_TYPES = 10
MAX_SCOPE_LENGTH = 2000
MAX_STATEMENT_LENGTH = 16 * 1024

#: the client authentication methods a client may register (RFC 7591 2); of RFC 7523's,
#: ``private_key_jwt`` (with ``jwks`` or ``jwks_uri``) but not ``client_secret_jwt``: it
#: needs the secret kept in plaintext, and registered secrets are stored hashed
AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
)
DEFAULT_AUTH_METHOD = "client_secret_basic"
#: grant types never given to a registered client: RFC 9700 2.4 says the password grant
#: MUST NOT be used, and a registered client is a third party
REFUSED_GRANT_TYPES = frozenset({"password"})
#: what describes a client without changing what it may do, kept as its
#: ``client_metadata``; its keys and request rules (:mod:`.client_key_metadata`) are
#: kept there too
DESCRIPTIVE_FIELDS = (
    "client_name",
    "client_uri",
    "logo_uri",
    "contacts",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    *KEY_FIELDS,
)
TEXT_FIELDS = ("client_name", "software_id", "software_version")
URL_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")

#: a private-use URI scheme in reverse domain name style (RFC 8252 7.1)
PRIVATE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+")
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Unicode categories refused in names: format (zero-width, bidi overrides), surrogates,
#: private use
INVISIBLE = frozenset({"Cf", "Cs", "Co"})
JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidClientMetadata(errors.OAuth2Error):
    """``invalid_client_metadata`` (RFC 7591 3.2.2): a metadata value is invalid and the
    server has refused the request."""

    error = "invalid_client_metadata"
    description = "The client metadata is invalid."


class InvalidRedirectURI(errors.OAuth2Error):
    """``invalid_redirect_uri`` (RFC 7591 3.2.2): a redirect URI is invalid."""

    error = "invalid_redirect_uri"
    description = "A redirect URI is invalid."


class InvalidSoftwareStatement(errors.OAuth2Error):
    """``invalid_software_statement`` (RFC 7591 3.2.2)."""

    error = "invalid_software_statement"
    description = "The software statement is invalid."


class UnapprovedSoftwareStatement(errors.OAuth2Error):
    """``unapproved_software_statement`` (RFC 7591 3.2.2): the statement is valid but
    not approved by this server."""

    error = "unapproved_software_statement"
    description = "The software statement is not approved for use with this server."


# -- the request body ------------------------------------------------------------------


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise InvalidClientMetadata("The JSON object names a member twice.")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise InvalidClientMetadata("The request body is not valid JSON.")


def read_document(flask_request: Request) -> dict[str, Any]:
    """The JSON object of a registration or update request (RFC 7591 3.1).

    :raises InvalidClientMetadata: if the body is not ``application/json``, is larger
        than :data:`MAX_BODY`, is not UTF-8 JSON, names a member twice, or is not an
        object.
    """
    if flask_request.mimetype != "application/json":
        raise InvalidClientMetadata("The request must be a JSON object (application/json).")
    length = flask_request.content_length
    if length is not None and length > MAX_BODY:
        raise InvalidClientMetadata("The request body is too large.")
    if length is None:
        raw = flask_request.stream.read(MAX_BODY + 1)
    else:
        raw = flask_request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise InvalidClientMetadata("The request body is too large.")
    return parse_object(raw)


def parse_object(raw: bytes) -> dict[str, Any]:
    """One JSON object from the UTF-8 bytes ``raw``: no member named twice, no ``NaN``
    or ``Infinity`` (what :func:`read_document` reads, and a client ID metadata
    document).

    :raises InvalidClientMetadata: otherwise.

    .. versionadded:: 1.1
    """
    try:
        document = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant
        )
    except (ValueError, RecursionError) as exc:
        raise InvalidClientMetadata("The request body is not valid JSON.") from exc
    if not isinstance(document, dict):
        raise InvalidClientMetadata("The request must be a JSON object.")
    try:  # a lone surrogate ("\ud800") is valid JSON but no text storage can hold it
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidClientMetadata("The request holds text that is not Unicode.") from exc
    return document


# -- what the server offers ------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """What a registered client may ask for on this server.

    .. versionadded:: 1.1
    """

    grant_types: frozenset[str]
    response_types: frozenset[str]
    auth_methods: tuple[str, ...]
    scopes: tuple[str, ...]

    @classmethod
    def of(cls, server: Server) -> Offer:
        """The grant and response types ``server`` offers (``implicit`` with
        ``response_type=token``; never ``password``), its client authentication methods
        of :data:`AUTH_METHODS`, and ``OAUTH2_PROVIDER_REGISTRATION_SCOPES``."""
        responses = frozenset(server.response_types)
        grants = set(server.grant_types)
        if "token" in responses:
            grants.add("implicit")
        methods = tuple(m.name for m in server.client_auth_methods() if m.name in AUTH_METHODS)
        return cls(
            grant_types=frozenset(grants - REFUSED_GRANT_TYPES),
            response_types=responses,
            auth_methods=methods,
            scopes=server.settings.registration_scopes,
        )


# -- checking values -------------------------------------------------------------------


def _present(document: Mapping[str, Any], name: str) -> Any:
    """The value of ``name``; ``None`` when missing or null (RFC 7592 2.2 treats both as
    a request to have no value)."""
    return document.get(name)


def _text(value: Any, name: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidClientMetadata(f"{name} must be a string of 1 to {limit} characters.")
    if CONTROL.search(value):
        raise InvalidClientMetadata(f"{name} must not hold control characters.")
    if any(unicodedata.category(char) in INVISIBLE for char in value):
        # zero-width and direction-changing characters make one name look like another
        raise InvalidClientMetadata(f"{name} must not hold invisible or formatting characters.")
    return value


def _strings(value: Any, name: str, limit: int, error: type[errors.OAuth2Error]) -> list[str]:
    if not isinstance(value, list) or len(value) > limit:
        raise error(f"{name} must be an array of at most {limit} strings.")
    if not all(isinstance(item, str) for item in value):
        raise error(f"{name} must be an array of strings.")
    return list(dict.fromkeys(value))


def _plain_uri(value: str, name: str, error: type[errors.OAuth2Error]) -> Any:
    """``value`` split, if it is an absolute ASCII URI without spaces or controls."""
    if not value or len(value) > MAX_URI_LENGTH or not value.isascii():
        raise error(f"Each of {name} must be an ASCII URI of at most {MAX_URI_LENGTH} characters.")
    if CONTROL.search(value) or " " in value:
        raise error(f"{name} must not hold spaces or control characters.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise error(f"Each of {name} must be a valid URI.") from exc
    if not parts.scheme:
        raise error(f"Each of {name} must be an absolute URI.")
    return parts


def _loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_uri(uri: str) -> bool:
    """Whether ``uri`` is an ``http`` URI on a loopback host (``127.0.0.1``, ``[::1]``,
    ``localhost``): where a native app listens on its own machine (RFC 8252 7.3). A
    registration policy may open registration to such clients only::

        if all(is_loopback_uri(uri) for uri in metadata["redirect_uris"]):
            return True

    .. versionadded:: 1.1
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme.lower() == "http" and _loopback_host(parts.hostname)


def _web_uri(parts: Any, name: str, error: type[errors.OAuth2Error]) -> bool:
    """Whether ``parts`` is an ``https`` URI with a host, or ``http`` on a loopback host
    (refused if it is ``http`` or ``https`` but neither)."""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return False
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise error(f"Each of {name} must name a host and no user.")
    if scheme == "http" and not _loopback_host(parts.hostname):
        raise error(f"{name} may use http only on a loopback host (127.0.0.1, [::1], localhost).")
    return True


def check_redirect_uri(
    value: Any, name: str = "redirect_uris", error: type[errors.OAuth2Error] = InvalidRedirectURI
) -> str:
    """A redirect URI a client may register: ``https``, ``http`` on a loopback host for
    native apps, or a private-use scheme in reverse domain style
    (``com.example.app:/callback``, RFC 8252 7.1); absolute, without a fragment.

    :raises InvalidRedirectURI: otherwise (``javascript:``, ``data:``, ``http`` on
        another host, a fragment ...).
    """
    if not isinstance(value, str):
        raise error(f"{name} must be an array of strings.")
    parts = _plain_uri(value, name, error)
    if "#" in value:
        raise error(f"{name} must not have a fragment.")
    if _web_uri(parts, name, error):
        return value
    if not PRIVATE_SCHEME.fullmatch(parts.scheme.lower()):
        raise error(
            f"{name} must use https, http on a loopback host, or a private-use scheme in"
            " reverse domain style (com.example.app:/callback)."
        )
    return value


def _check_url(value: Any, name: str) -> str:
    """A web page of the client (``client_uri``, ``logo_uri`` ...): https, or http on a
    loopback host."""
    if not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} must be a string.")
    parts = _plain_uri(value, name, InvalidClientMetadata)
    if not _web_uri(parts, name, InvalidClientMetadata):
        raise InvalidClientMetadata(f"{name} must be an https URL.")
    return value


def _types(document: Mapping[str, Any], offer: Offer) -> tuple[list[str], list[str]]:
    """``grant_types`` and ``response_types``, defaulted from each other and checked
    for consistency (RFC 7591 2.1) and against what the server offers."""
    grants = _present(document, "grant_types")
    responses = _present(document, "response_types")
    if grants is not None:
        grants = _strings(grants, "grant_types", MAX_TYPES, InvalidClientMetadata)
    if responses is not None:
        responses = _strings(responses, "response_types", MAX_TYPES, InvalidClientMetadata)
    if grants is None and responses is None:
        grants, responses = ["authorization_code"], ["code"]
    elif grants is None:
        grants = _grants_for(responses or [])
    elif responses is None:
        responses = ["code"] if "authorization_code" in grants else []
        responses += ["token"] if "implicit" in grants else []
    if not set(grants) <= offer.grant_types:
        raise InvalidClientMetadata("grant_types names a grant type this server does not offer.")
    if not set(responses or ()) <= offer.response_types:
        raise InvalidClientMetadata(
            "response_types names a response type this server does not offer."
        )
    responses = list(responses or ())
    redirecting = {g for g in grants if g in ("authorization_code", "implicit")}
    if set(_grants_for(responses)) != redirecting:
        raise InvalidClientMetadata(
            "grant_types and response_types do not match: authorization_code goes with"
            " code, implicit with token."
        )
    return grants, responses


def _grants_for(responses: list[str]) -> list[str]:
    """The grant types the response types need (RFC 7591 2.1)."""
    parts = {part for response in responses for part in response.split()}
    grants = ["authorization_code"] if "code" in parts else []
    return grants + (["implicit"] if parts & {"token", "id_token"} else [])


def _scope(document: Mapping[str, Any], offer: Offer) -> str:
    scope = _present(document, "scope")
    if scope is None:
        return " ".join(offer.scopes)
    if not isinstance(scope, str) or len(scope) > MAX_SCOPE_LENGTH or CONTROL.search(scope):
        raise InvalidClientMetadata("scope must be a space-separated string of scopes.")
    scopes = list(dict.fromkeys(scope.split()))
    if not all(SCOPE_TOKEN.fullmatch(item) for item in scopes):
        raise InvalidClientMetadata("scope must be a space-separated string of scopes.")
    if not set(scopes) <= set(offer.scopes):
        raise InvalidClientMetadata("scope names a scope this server does not give to clients.")
    return " ".join(scopes)


def _auth_method(document: Mapping[str, Any], offer: Offer) -> str:
    method = _present(document, "token_endpoint_auth_method")
    if method is None:
        method = DEFAULT_AUTH_METHOD
    if not isinstance(method, str) or method not in offer.auth_methods:
        raise InvalidClientMetadata(
            "token_endpoint_auth_method must be one of: " + ", ".join(offer.auth_methods) + "."
        )
    return method


def check_metadata(document: Mapping[str, Any], offer: Offer) -> dict[str, Any]:
    """The metadata to register from a request's JSON object (RFC 7591 2): its values
    checked, defaults filled in (``grant_types``, ``response_types``,
    ``token_endpoint_auth_method``, ``scope``), fields the provider does not know left
    out.

    :raises InvalidRedirectURI: for a redirect URI that is not allowed, or none when
        the grant types need one.
    :raises InvalidClientMetadata: for any other value that is not allowed.
    """
    grants, responses = _types(document, offer)
    method = _auth_method(document, offer)
    if method == "private_key_jwt" and not (
        _present(document, "jwks") or _present(document, "jwks_uri")
    ):
        raise InvalidClientMetadata("private_key_jwt needs the client's jwks or jwks_uri.")
    if method == "none" and "client_credentials" in grants:
        raise InvalidClientMetadata(
            "client_credentials needs a confidential client (token_endpoint_auth_method)."
        )
    uris = _present(document, "redirect_uris")
    uris = [] if uris is None else _strings(uris, "redirect_uris", MAX_URIS, InvalidRedirectURI)
    uris = [check_redirect_uri(uri) for uri in uris]
    if not uris and {"authorization_code", "implicit"} & set(grants):
        raise InvalidRedirectURI("redirect_uris is required for the grant types asked for.")
    metadata: dict[str, Any] = {
        "redirect_uris": uris,
        "token_endpoint_auth_method": method,
        "grant_types": grants,
        "response_types": responses,
        "scope": _scope(document, offer),
    }
    logout = _present(document, "post_logout_redirect_uris")
    if logout is not None:
        name = "post_logout_redirect_uris"
        logout = _strings(logout, name, MAX_URIS, InvalidClientMetadata)
        metadata[name] = [check_redirect_uri(u, name, InvalidClientMetadata) for u in logout]
    for name in TEXT_FIELDS:
        if (value := _present(document, name)) is not None:
            metadata[name] = _text(value, name)
    for name in URL_FIELDS:
        if (value := _present(document, name)) is not None:
            metadata[name] = _check_url(value, name)
    contacts = _present(document, "contacts")
    if contacts is not None:
        contacts = _strings(contacts, "contacts", MAX_CONTACTS, InvalidClientMetadata)
        metadata["contacts"] = [_text(c, "contacts", MAX_CONTACT_LENGTH) for c in contacts]
    try:
        metadata.update(check_key_metadata(document))
    except ValueError as exc:
        raise InvalidClientMetadata(str(exc)) from exc
    return metadata


def software_statement(document: Mapping[str, Any]) -> str | None:
    """The ``software_statement`` of a request (a JWS, RFC 7591 2.3), unverified: only
    a registration policy can verify it.

    :raises InvalidSoftwareStatement: if it is not a compact JWS.
    """
    statement = _present(document, "software_statement")
    if statement is None:
        return None
    if (
        not isinstance(statement, str)
        or len(statement) > MAX_STATEMENT_LENGTH
        or not JWS.fullmatch(statement)
    ):
        raise InvalidSoftwareStatement("software_statement must be a signed JWT.")
    return statement
