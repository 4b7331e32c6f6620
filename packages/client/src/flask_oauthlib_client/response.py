"""Responses from remote applications and how their bodies are parsed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree  # noqa: S405 - expat fetches no external entities

import requests
from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header

__all__ = ["OAuthResponse", "parse_response"]

JSON_TYPES = frozenset({"application/json", "text/javascript"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
FORM_TYPE = "application/x-www-form-urlencoded"


def parse_response(
    resp: requests.Response,
    content: bytes,
    strict: bool = False,
    content_type: str | None = None,
) -> Any:
    """Parse a response body by its content type.

    JSON (and ``text/javascript``) becomes a dict or list, XML an ``Element``, and a
    form-encoded body a dict. Any other type is parsed as form data unless ``strict``
    is true, in which case the body is returned as text.

    :param resp: the response, for its ``Content-Type``.
    :param content: the raw body.
    :param strict: return unknown types as text instead of trying form decoding.
    :param content_type: force this content type (for servers that send a wrong one).
    :raises ValueError: if a JSON or XML body is malformed.
    """
    if not content_type:
        content_type = resp.headers.get("Content-Type", "application/json")
    mimetype, options = parse_options_header(content_type)
    charset = options.get("charset", "utf-8")
    if mimetype in JSON_TYPES:
        return json.loads(content) if content.strip() else {}
    if mimetype in XML_TYPES:
        return ElementTree.fromstring(content)  # noqa: S314 - see the import above
    text = content.decode(charset, "replace")
    if mimetype != FORM_TYPE and strict:
        return text
    return dict(parse_qsl(text, keep_blank_values=True))


class OAuthResponse:
    """What a remote application answered to :meth:`OAuthRemoteApp.request`.

    :ivar data: the body, parsed by its content type (see :func:`parse_response`);
        the text itself if the body cannot be parsed.
    :ivar raw_data: the body as bytes (also available as :attr:`raw`).
    """

    def __init__(
        self, resp: requests.Response, content: bytes, content_type: str | None = None
    ) -> None:
        self._resp = resp
        self.raw_data = content
        try:
            self.data: Any = parse_response(resp, content, strict=True, content_type=content_type)
        except ValueError:
            self.data = content.decode("utf-8", "replace")

    @property
    def status(self) -> int:
        """The HTTP status code of the response."""
        return self._resp.status_code

    @property
    def raw(self) -> bytes:
        """The body exactly as received."""
        return self.raw_data

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive)."""
        return Headers(list(self._resp.headers.items()))

    def __repr__(self) -> str:
        return f"<OAuthResponse [{self.status}]>"
