"""The ``pre_request`` hooks of Flask-OAuthlib 0.9.6 for servers that do not take a
standard ``Authorization: Bearer`` header.

Each takes and returns ``(uri, headers, body)``, the shape of a 0.9.6
``remote.pre_request`` hook; ``headers`` is changed in place and returned.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, TypeVar
from urllib.parse import quote

__all__ = ["change_linkedin_query", "change_weibo_header"]

H = TypeVar("H", bound=MutableMapping[str, str])


def _bearer_token(headers: MutableMapping[str, str], remove: bool = False) -> tuple[str, str]:
    """The name of the ``Authorization`` header (any case; ``"Authorization"`` if absent)
    and its bearer token (``""`` if it carries none); ``remove`` deletes the header."""
    name = next((key for key in headers if key.lower() == "authorization"), "Authorization")
    value = headers.pop(name, "") if remove else headers.get(name, "")
    scheme, _, token = value.partition(" ")
    return name, token.strip() if scheme.lower() == "bearer" else ""


def change_weibo_header(uri: str, headers: H, body: Any) -> tuple[str, H, Any]:
    """Rewrite ``Authorization: Bearer <token>`` to ``Authorization: OAuth2 <token>``,
    the scheme weibo.com's API asks for; other headers are left alone::

        change_weibo_header(uri, {"Authorization": "Bearer abc"}, None)
        # (uri, {"Authorization": "OAuth2 abc"}, None)

    .. versionadded:: 1.1
    """
    name, token = _bearer_token(headers)
    if token:
        headers[name] = "OAuth2 " + token
    return uri, headers, body


def change_linkedin_query(uri: str, headers: H, body: Any) -> tuple[str, H, Any]:
    """Move the bearer token from the ``Authorization`` header to an
    ``oauth2_access_token`` query parameter and ask for JSON (``x-li-format: json``), as
    LinkedIn's retired v1 API wanted.

    .. warning::
        This puts the access token in the URL, where server and proxy logs, browser
        history and ``Referer`` headers can keep it. LinkedIn's current API takes the
        standard ``Authorization: Bearer`` header, which the client sends without this
        hook: use it only in an app that relied on it in 0.9.6 and still talks to a server
        that needs it.

    .. versionadded:: 1.1
    """
    _, token = _bearer_token(headers, remove=True)
    headers["x-li-format"] = "json"
    if token:
        separator = "&" if "?" in uri else "?"
        uri = f"{uri}{separator}oauth2_access_token={quote(token, safe='')}"
    return uri, headers, body
