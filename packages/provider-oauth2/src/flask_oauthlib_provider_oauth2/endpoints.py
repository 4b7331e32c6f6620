"""Running an oauthlib endpoint for a Flask view, and the answers every endpoint shares.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, request
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import (
    CONSENT_PAGE_MARK,
    BadRequestBody,
    StorageUnavailable,
    create_response,
    extract_params,
    log_unavailable,
)

from .features import EndpointCall

__all__ = [
    "AUTHORIZATION_MARK",
    "ENDPOINT_MARK",
    "NO_STORE",
    "call_endpoint",
    "json_error",
    "mark_endpoint",
    "unavailable",
]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: the attribute naming the endpoint kind of a decorated view (found by the metadata)
ENDPOINT_MARK = "_oauth2_endpoint"
#: the environ key marking a request answered by the authorization view
AUTHORIZATION_MARK = CONSENT_PAGE_MARK
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_error(error: str, description: str, status: int) -> Response:
    """An OAuth error body (RFC 6749 5.2) that is never cached."""
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status=status, mimetype="application/json", headers=NO_STORE)


def unavailable() -> Response:
    """The answer when storage fails: ``temporarily_unavailable`` (503, ``Retry-After``)."""
    answer = json_error(
        "temporarily_unavailable", "The server cannot store or read credentials right now.", 503
    )
    answer.headers["Retry-After"] = "5"
    return answer


def mark_endpoint(view: F, kind: str) -> F:
    """Tag a decorated view so the metadata document can find its URL."""
    setattr(view, ENDPOINT_MARK, kind)
    return view


def call_endpoint(call: EndpointCall, kind: str, realm: str) -> Response:
    """Run an oauthlib endpoint on the current request for the endpoint ``kind``; every
    failure becomes an OAuth JSON error, and no answer is cached.

    Only the token endpoint takes its parameters from the query of a GET, as 0.9.6 did
    when the route allowed it; a client that failed HTTP Basic authentication is
    challenged with ``Basic`` (RFC 6749 5.2).
    """
    try:
        uri, method, body, headers = extract_params()
    except BadRequestBody as exc:
        return json_error("invalid_request", f"The request is malformed: {exc}.", 400)
    if kind == "token" and method == "GET" and request.query_string:
        uri, method, body = request.base_url, "POST", request.query_string.decode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        headers_out, body_out, status = call(uri, method, body, headers)
    except errors.OAuth2Error as exc:
        headers_out = {**exc.headers, "Content-Type": "application/json"}
        body_out, status = exc.json, exc.status_code
    except StorageUnavailable as exc:
        log_unavailable(log, f"at the {kind} endpoint", exc)
        return unavailable()
    if status == 401 and "WWW-Authenticate" in headers_out:
        scheme = (request.authorization.type if request.authorization else "") or ""
        if scheme.lower() == "basic":
            challenge = 'Basic realm="' + realm.replace('"', "") + '"'
            headers_out = {**headers_out, "WWW-Authenticate": challenge}
    return create_response({**headers_out, **NO_STORE}, body_out, status)
