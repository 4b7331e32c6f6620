"""Requests to a token endpoint, as both flows send them.

The OAuth 1.0a request token and access token requests (:mod:`~.oauth1`) and the OAuth 2
code exchange and refresh (:mod:`~.oauth2`) carry the client's credentials and a code,
verifier or refresh token: they follow no redirect, and their answers are parsed with
the remote app's ``content_type``. An OAuth 2 client authenticates with its secret in the
body (``client_secret_post``), or in an HTTP Basic header (``client_secret_basic``, RFC
6749 2.3.1) when the dynamic registration in use says so, or with a JWT signed with its
private key (``private_key_jwt``, RFC 7523: :mod:`~.client_assertion`) when configured
so (``token_endpoint_auth_method``, which may also name the other methods, or ``none``).
A request of a DPoP client carries a proof (:mod:`~.dpop`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .client_assertion import ASSERTION_TYPE, client_assertion
from .exceptions import OAuthException
from .keys import SigningKey, load_key
from .response import parse_response
from .transport import FORM_TYPE, HTTPCall, status_of

if TYPE_CHECKING:
    from .settings import SettingsSource

__all__ = ["CLIENT_AUTH_METHODS", "TokenEndpoint", "basic_authorization"]

#: the values ``token_endpoint_auth_method`` may be configured to
CLIENT_AUTH_METHODS = ("client_secret_post", "client_secret_basic", "private_key_jwt", "none")

log = logging.getLogger(__name__)


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
        name: str
        encoding: str
        consumer_key: str
        content_type: str | None
        access_token_url: str
        access_token_headers: dict[str, str]
        issuer: str | None
        _settings: SettingsSource
        _warned_get: bool

        _http: HTTPCall

        def _token_endpoint_auth_method(self) -> str: ...
        def expand_url(self, url: str) -> str: ...
        def _dpop_http(
            self,
            key: SigningKey | None,
            uri: str,
            headers: dict[str, str],
            data: Any,
            method: str,
            access_token: str | None = None,
            follow_redirects: bool = True,
        ) -> tuple[Any, bytes]: ...

    def _client_authentication(self, params: dict[str, Any]) -> dict[str, str]:
        """The headers that authenticate an OAuth 2 token request whose parameters are
        ``params``: with ``client_secret_basic`` the ``client_secret`` moves out of
        ``params`` into an ``Authorization`` header; with ``private_key_jwt`` it is
        replaced by a ``client_assertion``; with ``none`` it is dropped.

        .. versionadded:: 1.1

        .. versionchanged:: 1.2
            ``private_key_jwt``; the method may be configured.
        """
        method = self._settings.get("token_endpoint_auth_method")
        if method is None:
            method = self._token_endpoint_auth_method()
        elif method not in CLIENT_AUTH_METHODS:
            raise OAuthException(
                f"{self.name}: token_endpoint_auth_method must be one of"
                f" {', '.join(CLIENT_AUTH_METHODS)}",
                type="invalid_configuration",
            )
        if method == "private_key_jwt":
            params.pop("client_secret", None)
            params["client_assertion_type"] = ASSERTION_TYPE
            params["client_assertion"] = client_assertion(
                self._client_key(), self.consumer_key, self._assertion_audience()
            )
            return {}
        if method == "none":
            params.pop("client_secret", None)
        if method != "client_secret_basic":
            return {}
        secret = params.pop("client_secret", None)
        if not secret:
            return {}
        return {"Authorization": basic_authorization(self.consumer_key, str(secret))}

    def _client_key(self) -> SigningKey:
        """The client's private key (``client_private_key``, ``client_key_id``).

        :raises OAuthException: ``invalid_configuration`` when there is none, or it
            cannot be read.
        """
        value = self._settings.get("client_private_key")
        if value is None:
            raise OAuthException(
                f"{self.name}: private_key_jwt and signed requests need client_private_key"
                " (a PEM private key or a private JWK)",
                type="invalid_configuration",
            )
        return load_key(value, self._settings.get("client_key_id"))

    def _assertion_audience(self) -> str:
        """The ``aud`` of what the client signs for the server: its issuer identifier,
        else its token endpoint's URL."""
        return self.issuer or self.expand_url(self.access_token_url)

    def _send_token_request(
        self,
        method: str,
        body: str,
        failure: str,
        extra: Mapping[str, str] | None = None,
        dpop_key: SigningKey | None = None,
    ) -> tuple[Any, bytes]:
        """Send ``body`` to the token URL as a form (``POST``) or a query string (``GET``).

        :param failure: the message of the exception raised if the URL redirects.
        :param extra: headers over :attr:`access_token_headers`.
        :param dpop_key: the DPoP key whose proof the request carries, if any.
        """
        headers = {**self.access_token_headers, **(extra or {})}
        url = self.expand_url(self.access_token_url)
        if method == "POST":
            headers.setdefault("Content-Type", FORM_TYPE)
            data = body.encode(self.encoding)
            return self._token_http(url, headers, data, "POST", failure, dpop_key=dpop_key)
        if method == "GET":
            self._warn_get_once()
            url += ("&" if "?" in url else "?") + body
            return self._token_http(url, headers, None, "GET", failure, dpop_key=dpop_key)
        raise OAuthException(
            f"Unsupported access_token_method: {method}", type="invalid_configuration"
        )

    def _warn_get_once(self) -> None:
        """Log, once per remote app, that ``GET`` puts credentials in the token URL."""
        if self._warned_get:
            return
        self._warned_get = True
        log.warning(
            "%s: access_token_method is GET, so the client secret, the code and the PKCE"
            " verifier travel in the token URL, where access logs keep them; use POST"
            " unless the server refuses it",
            self.name,
        )

    def _token_http(
        self,
        uri: str,
        headers: Mapping[str, str] | None,
        data: Any,
        method: str,
        failure: str,
        kind: str = "invalid_response",
        dpop_key: SigningKey | None = None,
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
        :param dpop_key: the DPoP key whose proof the request carries, if any (a
            ``use_dpop_nonce`` answer is retried once).
        :raises OAuthException: if the endpoint answers a redirect.
        """
        if dpop_key is None:
            resp, content = self._http(
                uri, headers, data=data, method=method, follow_redirects=False
            )
        else:
            resp, content = self._dpop_http(
                dpop_key, uri, dict(headers or {}), data, method, follow_redirects=False
            )
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
