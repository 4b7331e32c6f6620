"""OpenID Connect claims (Core 1.0, 5): what the scopes and the ``claims`` request
parameter give a client, taken from the user's claims.

A user's claims come from the ``claimsgetter`` (``f(user, request)`` returning a dict of
standard claim names) or, without one, from the user object's attributes of those names
(``user.email`` ...; ``sub`` from ``user.sub`` or ``user.id``). Of those, a client gets
``sub`` and the claims of its token's scopes (:data:`SCOPE_CLAIMS`); the ``claims``
parameter can put some of those in the ID token too, never a claim outside them.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

__all__ = [
    "ID_TOKEN_CLAIMS",
    "SCOPE_CLAIMS",
    "attribute_claims",
    "consented",
    "parse_claims_request",
    "requested",
    "scope_claims",
    "select_claims",
    "subject",
]

#: the claims each scope of OpenID Connect Core 1.0 5.4 stands for
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
#: the claims of every ID token this provider signs (``azp`` only with several audiences)
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp")
#: the longest ``claims`` parameter read (a request for every standard claim is ~1 kB)
MAX_CLAIMS_LENGTH = 8192
#: claims an app's claims cannot change in an ID token
PROTECTED = frozenset(ID_TOKEN_CLAIMS) | {"c_hash", "nbf", "jti"}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def attribute_claims(user: Any) -> dict[str, Any]:
    """The standard claims ``user`` has as attributes (those not ``None``), and ``sub``
    from ``user.sub`` or ``user.id``: the claims of a provider with no claimsgetter."""
    claims: dict[str, Any] = {}
    for names in SCOPE_CLAIMS.values():
        for name in names:
            value = getattr(user, name, None)
            if value is not None:
                claims[name] = _value(value)
    sub = getattr(user, "sub", None)
    if sub is None:
        sub = getattr(user, "id", None)
    if sub is not None:
        claims["sub"] = str(sub)
    return claims


def subject(claims: Mapping[str, Any]) -> str:
    """The ``sub`` of a user's claims.

    :raises LookupError: when there is none: a user needs a stable identifier.
    """
    sub = claims.get("sub")
    if sub is None or sub == "":
        raise LookupError(
            "the user has no 'sub': give users a 'sub' or 'id' attribute, or return 'sub'"
            " from the claimsgetter"
        )
    return str(sub)


def parse_claims_request(value: Any) -> dict[str, dict[str, Any]] | None:
    """The ``claims`` request parameter (Core 1.0 5.5) as a dict, ``None`` when absent.

    :raises ValueError: when it is not a JSON object whose ``userinfo`` and ``id_token``
        members are objects of claim names to ``null`` or objects.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value) > MAX_CLAIMS_LENGTH:
            raise ValueError(f"the claims parameter is longer than {MAX_CLAIMS_LENGTH} characters")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise ValueError("the claims parameter is not JSON") from exc
    if not isinstance(value, dict):
        raise ValueError("the claims parameter must be a JSON object")
    parsed: dict[str, dict[str, Any]] = {}
    for member in ("userinfo", "id_token"):
        names = value.get(member)
        if names is None:
            continue
        if not isinstance(names, dict) or not all(
            v is None or isinstance(v, dict) for v in names.values()
        ):
            raise ValueError(f"claims.{member} must map claim names to null or objects")
        parsed[member] = names
    return parsed


def requested(claims_request: Any, member: str) -> dict[str, Any]:
    """The claims requested for ``member`` (``userinfo`` or ``id_token``) by a stored
    ``claims`` parameter (a dict or its JSON text); ``{}`` when it names none."""
    try:
        parsed = parse_claims_request(claims_request)
    except ValueError:
        return {}
    return dict((parsed or {}).get(member) or {})


def scope_claims(scopes: Iterable[str]) -> set[str]:
    """The names of the claims ``scopes`` stand for (:data:`SCOPE_CLAIMS`)."""
    return {name for scope in scopes for name in SCOPE_CLAIMS.get(scope, ())}


def select_claims(
    claims: Mapping[str, Any], scopes: Iterable[str], names: Iterable[str] = ()
) -> dict[str, Any]:
    """``sub`` and the claims of ``scopes``, of those the user has. ``names`` (what the
    ``claims`` parameter asked for) cannot widen them: the user consented to scopes, so
    a claim outside them is never given (``names`` matters where only named claims go,
    as in the ID token: :func:`consented`)."""
    wanted = scope_claims(scopes)
    chosen = {name: _value(claims[name]) for name in sorted(wanted) if name in claims}
    chosen["sub"] = subject(claims)
    return chosen


def consented(names: Iterable[str], scopes: Iterable[str]) -> list[str]:
    """Of the claim ``names`` a ``claims`` parameter asked for, those the granted
    ``scopes`` cover (the user consented to scopes, not to single claims)."""
    covered = scope_claims(scopes)
    return [name for name in names if name in covered]
