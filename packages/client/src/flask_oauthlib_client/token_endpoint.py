"""Requests to a token endpoint, as both flows send them.

The OAuth 1.0a request token and access token requests (:mod:`~.oauth1`) and the OAuth 2
code exchange and refresh (:mod:`~.oauth2`) carry the client's credentials and a code,
verifier or refresh token: they follow no redirect, and their answers are parsed with
the remote app's ``content_type``. An OAuth 2 client authenticates with its secret in the
body (``client_secret_post``), or in an HTTP Basic header (``client_secret_basic``, RFC
6749 2.3.1) when the dynamic registration in use says so.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .exceptions import OAuthException
from .response import parse_response
from .transport import HTTPCall, status_of

__all__ = ["TokenEndpoint", "basic_authorization"]


def basic_authorization(client_id: str, secret: str) -> str:
    """The ``Authorization`` header of ``client_secret_basic`` (RFC 6749 2.3.1): id and
    secret, each form-urlencoded, joined by ``:`` and base64-encoded.

    .. versionadded:: 1.1
    """
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


class TokenEndpoint:
    """Mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp` through its flows:
    sending to a token endpoint and parsing its answer.

    The HTTP is the remote app's ``_http``, which calls its :meth:`http_request
    <flask_oauthlib_client.OAuthRemoteApp.http_request>`.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        consumer_key: str
        content_type: str | None

        _http: HTTPCall

        def _token_endpoint_auth_method(self) -> str: ...

    def _client_authentication(self, params: dict[str, Any]) -> dict[str, str]:
        """The headers that authenticate an OAuth 2 token request whose parameters are
        ``params``: with ``client_secret_basic`` the ``client_secret`` moves out of
        ``params`` into an ``Authorization`` header; otherwise none.

        .. versionadded:: 1.1
        """
        if self._token_endpoint_auth_method() != "client_secret_basic":
            return {}
        secret = params.pop("client_secret", None)
        if not secret:
            return {}
        return {"Authorization": basic_authorization(self.consumer_key, str(secret))}

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
