"""Client metadata about a client's keys and how it sends authorization requests,
checked for registration (RFC 7591 2, RFC 9101 10.1, RFC 9126 6).

``jwks`` (a JWK Set of public keys only: a private member such as ``d`` is refused),
``jwks_uri`` (an ``https`` URL; not both), ``request_object_signing_alg``,
``require_pushed_authorization_requests`` and ``require_signed_request_object``.
:mod:`.client_metadata` calls :func:`check_key_metadata` and keeps what it returns in
the client's ``client_metadata``, where :mod:`.client_keys`, :mod:`.rfc9101` and
:mod:`.rfc9126` read it.

.. versionadded:: 1.1
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .client_keys import DEFAULT_ALGORITHMS, ClientJWTError, check_jwks, parse_jwks

__all__ = ["KEY_FIELDS", "check_key_metadata"]

#: the fields this module checks
KEY_FIELDS = (
    "jwks",
    "jwks_uri",
    "request_object_signing_alg",
    "require_pushed_authorization_requests",
    "require_signed_request_object",
)
#: the request object algorithms a client may register
REQUEST_OBJECT_ALGS = (*DEFAULT_ALGORITHMS, "none")
MAX_URI_LENGTH = 2000


def _jwks_uri(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_URI_LENGTH:
        raise ValueError("jwks_uri must be an https URL.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError as exc:
        raise ValueError("jwks_uri must be an https URL.") from exc
    if parts.scheme != "https" or not host or parts.fragment or "#" in value:
        raise ValueError("jwks_uri must be an https URL without a fragment.")
    if any(c.isspace() or ord(c) < 0x20 for c in value):
        raise ValueError("jwks_uri must be an https URL.")
    return value


def _jwks(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("jwks must be a JWK Set object.")
    try:
        checked = check_jwks(value)
        if importlib.util.find_spec("jwt") is not None:  # the keys themselves, too
            parse_jwks(checked)
    except ClientJWTError as exc:
        raise ValueError(f"jwks: {exc}") from exc
    return checked


def check_key_metadata(document: Mapping[str, Any]) -> dict[str, Any]:
    """The key and request fields of the metadata ``document``, checked (absent or
    ``null`` ones left out).

    :raises ValueError: with a message for the client, naming the field.
    """
    found = {name: document[name] for name in KEY_FIELDS if document.get(name) is not None}
    if "jwks" in found and "jwks_uri" in found:
        raise ValueError("jwks and jwks_uri cannot both be registered.")
    if "jwks" in found:
        found["jwks"] = _jwks(found["jwks"])
    if "jwks_uri" in found:
        found["jwks_uri"] = _jwks_uri(found["jwks_uri"])
    alg = found.get("request_object_signing_alg")
    if alg is not None and alg not in REQUEST_OBJECT_ALGS:
        raise ValueError(
            "request_object_signing_alg must be one of: " + ", ".join(REQUEST_OBJECT_ALGS) + "."
        )
    for name in ("require_pushed_authorization_requests", "require_signed_request_object"):
        if name in found and not isinstance(found[name], bool):
            raise ValueError(f"{name} must be true or false.")
    if alg == "none" and found.get("require_signed_request_object") is True:
        raise ValueError("request_object_signing_alg none contradicts signed request objects.")
    return found
