"""Requests to a token endpoint, as both flows send them.

The OAuth 1.0a request token and access token requests (:mod:`~.oauth1`) and the OAuth 2
code exchange and refresh (:mod:`~.oauth2`) carry the client's credentials and a code,
verifier or refresh token: they follow no redirect, and their answers are parsed with
the remote app's ``content_type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .exceptions import OAuthException
from .response import parse_response
from .transport import HTTPCall, status_of

__all__ = ["TokenEndpoint"]


class TokenEndpoint:
    """Mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp` through its flows:
    sending to a token endpoint and parsing its answer.

    The HTTP is the remote app's ``_http``, which calls its :meth:`http_request
    <flask_oauthlib_client.OAuthRemoteApp.http_request>`.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        content_type: str | None

        _http: HTTPCall

    def _token_http(
        self,
        uri: str,
        headers: Mapping[str, str] | None,
        data: Any,
        method: str,
        failure: str,
        kind: str = "invalid_response",
    ) -> tuple[Any, bytes]:
        """Send a request to a token endpoint, following no redirect.

        A token request carries the client's credentials and the code or verifier:
        none of it may travel on to wherever a redirect points.

        :param uri: the full URL.
        :param headers: the request headers.
        :param data: the body, or ``None``.
        :param method: the HTTP method.
        :param failure: the message of the exception raised on a redirect.
        :param kind: its type.
        :raises OAuthException: if the endpoint answers a redirect.
        """
        resp, content = self._http(uri, headers, data=data, method=method, follow_redirects=False)
        status = status_of(resp)
        if 300 <= status < 400:
            raise OAuthException(
                f"{failure}: the token endpoint answered a redirect ({status}),"
                " which token requests do not follow",
                type=kind,
            )
        return resp, content

    def _parse_token_response(self, resp: Any, content: bytes, failure: str) -> Any:
        """Parse a token endpoint's answer (see :func:`~.response.parse_response`).

        :param failure: the message of the exception raised if it cannot be parsed.
        :raises OAuthException: ``invalid_response`` for a body that cannot be parsed.
        """
        try:
            return parse_response(resp, content, content_type=self.content_type)
        except (ValueError, SyntaxError, RecursionError):  # SyntaxError: malformed XML
            raise OAuthException(
                f"{failure}: the body cannot be parsed", type="invalid_response"
            ) from None
