"""The request object ``require_oauth`` checks and leaves on ``request.oauth``.

It offers what validators and hooks read from oauthlib's ``Request`` (``uri``,
``http_method``, ``headers``, ``scopes``, ``user``, ``client``, ``access_token``,
``error_message`` and the other oauthlib parameters, ``None`` when unset) but computes
the URI and the header dict only when something reads them: the protected-request hot
path parses one header and calls the tokengetter once.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from oauthlib.common import Request as OAuthlibRequest

from flask_oauthlib_core.adapters import request_uri

__all__ = ["BearerRequest"]

#: the parameter names oauthlib's Request answers with ``None`` when they are unset
OAUTHLIB_PARAMS = frozenset(OAuthlibRequest("http://localhost")._params) | {
    "error_message",
    "insufficient_scope",
    "refresh_token_object",
    "grant",
}


class BearerRequest:
    """A protected-resource request, in oauthlib's shape, built lazily."""

    def __init__(self, flask_request: Request, scopes: list[str]) -> None:
        self._flask_request = flask_request
        self.http_method = flask_request.method
        self.scopes = scopes
        self.body = None

    @property
    def uri(self) -> str:
        return request_uri(self._flask_request)

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._flask_request.headers)

    def __getattr__(self, name: str) -> Any:
        if name in OAUTHLIB_PARAMS:
            return None
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<BearerRequest {self.http_method} {self._flask_request.path}>"
