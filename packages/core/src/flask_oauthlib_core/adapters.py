"""Move an HTTP exchange between Flask and oauthlib.

oauthlib works on ``(uri, http_method, body, headers)`` and answers with
``(headers, body, status)``; these two functions are the only place that
translation happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from flask import Request, Response, request
from oauthlib.common import INVALID_HEX_PATTERN, urlencoded

__all__ = ["FORM_MIMETYPE", "BadRequestBody", "create_response", "extract_params", "request_uri"]

FORM_MIMETYPE = "application/x-www-form-urlencoded"
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


class BadRequestBody(ValueError):
    """The request body cannot be read as form data (for example it is not UTF-8)."""


def request_uri(req: Request) -> str:
    """Return the full URI of ``req``, query string included, as oauthlib expects it.

    It is rebuilt from the WSGI environ (the path exactly as sent, percent-encoded), so a
    ``ProxyFix`` in front of the app is honoured and OAuth 1 signatures match.
    """
    environ = req.environ
    raw_path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    uri = f"{req.scheme}://{req.host}{quote(raw_path, safe=_PATH_SAFE)}"
    query = environ.get("QUERY_STRING")
    if query:
        uri += "?" + query.encode("latin-1").decode("utf-8", "replace")
    return uri


def environ_headers(environ: Mapping[str, object]) -> dict[str, str]:
    """The request headers as a plain dict (``Content-Type`` style names), read straight
    from the WSGI environ: what ``dict(request.headers)`` gives, for less work."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        value = environ.get(key)
        if value:
            headers[name] = str(value)
    return headers


def extract_params(req: Request | None = None) -> tuple[str, str, str | None, dict[str, str]]:
    """Return ``(uri, http_method, body, headers)`` for oauthlib from a Flask request.

    The body is the raw form-encoded text, so duplicated parameters reach oauthlib
    (which rejects them) and OAuth 1 signatures are computed over what was sent. A
    body of any other content type is not form data and is passed as ``None``.

    :param req: the request; the current Flask request when omitted.
    :raises BadRequestBody: if a form body is not valid UTF-8, or the query or body is not
        form-encoded as oauthlib requires, or holds a NUL byte.

    .. versionchanged:: 1.1
        A NUL byte (``%00``) in the query or body is refused.

    .. versionchanged:: 1.0
        The body is the raw form text instead of a dict and the ``Authorization``
        header is passed as sent.
    """
    if req is None:
        req = request._get_current_object()  # type: ignore[attr-defined]
    headers = environ_headers(req.environ)
    body: str | None = None
    if req.mimetype == FORM_MIMETYPE:
        raw = req.get_data(cache=True)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestBody("the request body is not valid UTF-8") from exc
    uri = request_uri(req)
    query = uri.partition("?")[2]
    if "%00" in query or (body is not None and "%00" in body):
        raise BadRequestBody("the query or body holds a NUL byte (%00)")
    if not (_form_encoded(query) and _form_encoded(body)):
        raise BadRequestBody("the query or body is not form-encoded")
    return uri, req.method, body, headers


def _form_encoded(text: str | None) -> bool:
    """Whether oauthlib can parse ``text`` (its own rule: URL-safe characters only and
    well-formed percent escapes), checked without parsing it twice."""
    if not text:
        return True
    return (
        set(text) <= urlencoded and INVALID_HEX_PATTERN.search(text) is None and "%00" not in text
    )


def create_response(headers: Mapping[str, str], body: str | bytes | None, status: int) -> Response:
    """Build a Flask response from what an oauthlib endpoint returned."""
    return Response(body or "", status=status, headers=list(headers.items()))
