"""The request object ``require_oauth`` checks and leaves on ``request.oauth``.

It is an ``oauthlib.common.Request``, so hooks (``after_request``,
``invalid_response``) and ``verify_request`` callers get every attribute oauthlib's
request has (``uri``, ``http_method``, ``headers``, ``body``, ``uri_query``, the
oauthlib parameters, ``None`` when unset) plus what the check adds (``scopes``,
``user``, ``client``, ``access_token``, ``error_message``). Unlike oauthlib's it
computes the URI, headers and parameters only when something reads them: the
protected-request hot path parses one header and calls the tokengetter once.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from flask import Request, request
from oauthlib.common import CaseInsensitiveDict, urldecode
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.common import extract_params as decode_params

from flask_oauthlib_core.adapters import FORM_MIMETYPE, request_uri

__all__ = ["BearerRequest", "get_oauth_request"]

#: the parameter names oauthlib's Request answers with ``None`` when they are unset
OAUTHLIB_PARAMS = frozenset(OAuthlibRequest("http://localhost")._params)
#: what a refused check may leave unset, answered with ``None`` as well
CHECK_ATTRIBUTES = frozenset(
    {"error_message", "insufficient_scope", "token_missing", "refresh_token_object", "grant"}
)


class BearerRequest(OAuthlibRequest):
    """A protected-resource request: an oauthlib ``Request`` built lazily from Flask's."""

    #: why the request was refused (set by the validator or the provider)
    error_message: str | None
    #: no usable token was sent: the refusal names no error code (RFC 6750 3.1)
    token_missing: bool
    #: ``OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES``: every scope needed, or any one of them
    require_all_scopes: bool
    #: set by a successful check: the token's user, client and token object, and the
    #: scopes the view asked for
    user: Any
    client: Any
    access_token: Any
    scopes: list[str]

    def __init__(self, flask_request: Request, scopes: list[str]) -> None:
        # oauthlib's __init__ would parse the URI, headers and body up front
        self._flask_request = flask_request
        self.http_method = flask_request.method
        self.scopes = scopes

    @cached_property
    def uri(self) -> str:
        return request_uri(self._flask_request)

    @cached_property
    def headers(self) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(dict(self._flask_request.headers))

    @cached_property
    def body(self) -> str | None:
        req = self._flask_request
        if req.mimetype != FORM_MIMETYPE:
            return None
        return req.get_data(cache=True).decode("utf-8", "replace")

    @cached_property
    def decoded_body(self) -> Any:
        return decode_params(self.body)

    @cached_property
    def oauth_params(self) -> list[Any]:
        return []

    @cached_property
    def validator_log(self) -> dict[str, Any]:
        return {}

    @cached_property
    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = dict.fromkeys(OAUTHLIB_PARAMS)
        try:
            params.update(dict(urldecode(self.uri_query)))
        except ValueError:  # oauthlib refuses what browsers send unescaped ("%zz", "<")
            params.update(parse_qsl(self.uri_query, keep_blank_values=True))
        params.update(dict(self.decoded_body or []))
        return params

    def __getattr__(self, name: str) -> Any:
        if name in CHECK_ATTRIBUTES:
            return None
        if name.startswith("__"):
            raise AttributeError(name)
        return super().__getattr__(name)

    def __repr__(self) -> str:
        return f"<BearerRequest {self.http_method} {self._flask_request.path}>"


def get_oauth_request() -> BearerRequest:
    """The checked OAuth request of the current protected view (``request.oauth``),
    typed for mypy users::

        @app.route("/api/me")
        @oauth.require_oauth("email")
        def me():
            oauth_request = get_oauth_request()
            return jsonify(username=oauth_request.user.username)

    :raises RuntimeError: outside a view protected by ``require_oauth``.

    .. versionadded:: 1.1
    """
    found = getattr(request, "oauth", None)
    if not isinstance(found, BearerRequest):
        raise RuntimeError(
            "get_oauth_request() works inside a view decorated with @oauth.require_oauth()"
        )
    return found
