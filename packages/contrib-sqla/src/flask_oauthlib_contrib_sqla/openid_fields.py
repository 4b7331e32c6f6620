"""The OpenID Connect fields the binding stores with codes and tokens: a grant keeps the
request's ``nonce``, ``auth_time`` and ``claims``, a token the ``auth_time`` and
``claims`` of the code or refresh token it comes from.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, inspect
from sqlalchemy.exc import NoInspectionAvailable

from flask_oauthlib_core import as_utc

__all__ = ["grant_openid", "mapped_openid", "token_openid"]


def _epoch(moment: Any) -> int | None:
    """``auth_time`` as seconds since the epoch (a datetime, naive meaning UTC, or a
    number); ``None`` for anything else."""
    if isinstance(moment, datetime):
        return int(as_utc(moment).timestamp())
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        return int(moment)
    return None


def _claims_of(source: Any) -> dict[str, Any] | None:
    """The ``claims`` parameter ``source`` carries (a request, grant or token) as a dict
    (from a dict or its JSON text), or ``None``."""
    claims = getattr(source, "claims", None)
    if isinstance(claims, str):
        try:
            claims = json.loads(claims)
        except ValueError:
            return None
    return claims if isinstance(claims, dict) else None


def grant_openid(request: Any) -> dict[str, Any]:
    """What the grantsetter keeps of an OpenID request: ``nonce``, ``auth_time`` and
    ``claims``; nothing for a plain OAuth 2 request (its ``nonce`` went unchecked)."""
    if "openid" not in (request.scopes or ()):
        return {}
    nonce = getattr(request, "nonce", None)
    fields = {
        "nonce": nonce if isinstance(nonce, str) and nonce else None,
        "auth_time": _epoch(getattr(request, "auth_time", None)),
        "claims": _claims_of(request),
    }
    return {key: value for key, value in fields.items() if value is not None}


def token_openid(request: Any, old: Any) -> dict[str, Any]:
    """The ``auth_time`` and ``claims`` the tokensetter finds on the request (what the
    code or the refresh token stored), else those of ``old``, the refresh token being
    rotated."""
    auth_time = _epoch(getattr(request, "auth_time", None))
    claims = _claims_of(request)
    if old is not None:
        auth_time = auth_time if auth_time is not None else _epoch(getattr(old, "auth_time", None))
        claims = claims if claims is not None else _claims_of(old)
    return {"auth_time": auth_time, "claims": claims}


def mapped_openid(model: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` a 0.9.6-style model has columns for; ``claims`` as JSON text unless its
    column is of a JSON type."""
    try:
        columns = inspect(model).columns
        attrs = set(inspect(model).attrs.keys())
    except NoInspectionAvailable:
        return {}
    kept = {key: value for key, value in fields.items() if key in attrs and value is not None}
    claims_column = columns.get("claims")
    if "claims" in kept and not (
        claims_column is not None and isinstance(claims_column.type, JSON)
    ):
        kept["claims"] = json.dumps(kept["claims"])
    return kept
