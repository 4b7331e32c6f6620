"""Responses from remote applications and how their bodies are parsed."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header

from . import safexml
from .transport import header_of, status_of

__all__ = ["OAuthResponse", "decode_text", "get_etree", "parse_response"]

JSON_TYPES = frozenset({"application/json", "text/javascript"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
FORM_TYPE = "application/x-www-form-urlencoded"


def get_etree() -> ModuleType:
    """Return the ElementTree module :func:`parse_response` parses XML with.

    0.9.6 returned lxml's or the standard library's ``etree``; this returns
    :mod:`flask_oauthlib_client.safexml`, the standard library's ElementTree whose
    parsers refuse document type declarations (entity expansion, external entities)::

        root = get_etree().fromstring(resp.raw_data)

    .. versionchanged:: 1.1
        Parses safely; uses defusedxml when installed.
    """
    return safexml


def decode_text(content: bytes, charset: str | None = None) -> str:
    """Decode a body as ``charset``, leniently.

    Undecodable bytes become U+FFFD. A charset that names no text encoding (unknown,
    like ``bogus``, or a bytes codec, like ``base64``) or whose codec cannot replace
    errors falls back to UTF-8: what a remote server labels its body with never raises.

    .. versionadded:: 1.1
    """
    try:
        return content.decode(charset or "utf-8", "replace")
    except (LookupError, UnicodeError):
        return content.decode("utf-8", "replace")


def parse_response(
    resp: Any,
    content: bytes | str,
    strict: bool = False,
    content_type: str | None = None,
) -> Any:
    """Parse a response body by its content type.

    JSON (and ``text/javascript``) becomes a dict or list, XML an ``Element`` (parsed
    with :func:`get_etree`, so a document type declaration is refused), and a
    form-encoded body a dict (of the first value of each key). Any other type is parsed
    as form data unless ``strict`` is true, in which case the body is returned as text.

    :param resp: the response, for its ``Content-Type`` (any object with ``headers``:
        what :meth:`OAuthRemoteApp.http_request` returns, or a test's stand-in).
    :param content: the raw body.
    :param strict: return unknown types as text instead of trying form decoding.
    :param content_type: force this content type (for servers that send a wrong one).
    :raises ValueError: if a JSON body is malformed, or an XML body has a DTD
        (:class:`~flask_oauthlib_client.safexml.UnsafeXMLError`).
    :raises xml.etree.ElementTree.ParseError: if an XML body is malformed or declares
        an unknown encoding.

    .. versionchanged:: 1.1
        XML with a document type declaration is refused; ``content`` may be text; text
        in an unknown ``charset`` is decoded as UTF-8 (see :func:`decode_text`).
    """
    if not content_type:
        content_type = header_of(resp, "Content-Type") or "application/json"
    mimetype, options = parse_options_header(content_type)
    if mimetype in JSON_TYPES:
        return json.loads(content) if content.strip() else {}
    if mimetype in XML_TYPES:
        return get_etree().fromstring(content)
    text = content if isinstance(content, str) else decode_text(content, options.get("charset"))
    if mimetype != FORM_TYPE and strict:
        return text
    form: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        form.setdefault(key, value)  # the first of repeated keys, as 0.9.6
    return form


class OAuthResponse:
    """What a remote application answered to :meth:`OAuthRemoteApp.request`.

    :ivar data: the body, parsed by its content type (see :func:`parse_response`);
        the text itself if the body cannot be parsed (JSON nested too deep included).
    :ivar raw_data: the body as bytes (also available as :attr:`raw`).
    """

    def __init__(self, resp: Any, content: bytes, content_type: str | None = None) -> None:
        self._resp = resp
        self.raw_data = content
        try:
            self.data: Any = parse_response(resp, content, strict=True, content_type=content_type)
        except (ValueError, SyntaxError, RecursionError):  # SyntaxError: malformed XML
            self.data = decode_text(content) if isinstance(content, bytes) else content

    @property
    def status(self) -> int:
        """The HTTP status code of the response."""
        return status_of(self._resp)

    @property
    def raw(self) -> bytes:
        """The body exactly as received."""
        return self.raw_data

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive)."""
        items = getattr(getattr(self._resp, "headers", None), "items", None)
        return Headers(list(items()) if callable(items) else [])

    def __repr__(self) -> str:
        return f"<OAuthResponse [{self.status}]>"
