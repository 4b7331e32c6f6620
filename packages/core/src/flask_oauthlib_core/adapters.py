"""Move an HTTP exchange between Flask and oauthlib.

oauthlib works on ``(uri, http_method, body, headers)`` and answers with
``(headers, body, status)``; these two functions are the only place that
translation happens.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Request, Response, request
from oauthlib.common import urldecode

__all__ = ["BadRequestBody", "create_response", "extract_params"]

FORM_MIMETYPE = "application/x-www-form-urlencoded"


class BadRequestBody(ValueError):
    """The request body cannot be read as form data (for example it is not UTF-8)."""


def request_uri(req: Request) -> str:
    """Return the full URI of ``req``, query string included, as oauthlib expects it.

    The scheme and host come from the WSGI environ, so a ``ProxyFix`` in front of
    the app is honoured.
    """
    uri = req.base_url
    if req.query_string:
        uri += "?" + req.query_string.decode("utf-8", "replace")
    return uri


def extract_params(req: Request | None = None) -> tuple[str, str, str | None, dict[str, str]]:
    """Return ``(uri, http_method, body, headers)`` for oauthlib from a Flask request.

    The body is the raw form-encoded text, so duplicated parameters reach oauthlib
    (which rejects them) and OAuth 1 signatures are computed over what was sent. A
    body of any other content type is not form data and is passed as ``None``.

    :param req: the request; the current Flask request when omitted.
    :raises BadRequestBody: if a form body is not valid UTF-8, or the query or body is not
        form-encoded as oauthlib requires.

    .. versionchanged:: 1.0
        The body is the raw form text instead of a dict and the ``Authorization``
        header is passed as sent.
    """
    req = req if req is not None else request
    headers = dict(req.headers)
    body: str | None = None
    if req.mimetype == FORM_MIMETYPE:
        raw = req.get_data(cache=True)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestBody("the request body is not valid UTF-8") from exc
    uri = request_uri(req)
    try:
        urldecode(uri.partition("?")[2])
        if body:
            urldecode(body)
    except ValueError as exc:
        raise BadRequestBody("the query or body is not form-encoded") from exc
    return uri, req.method, body, headers


def create_response(headers: Mapping[str, str], body: str | bytes | None, status: int) -> Response:
    """Build a Flask response from what an oauthlib endpoint returned."""
    response = Response(body or "", status=status)
    for key, value in headers.items():
        response.headers[key] = value
    return response
