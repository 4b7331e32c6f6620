"""The OAuth 1.0a flow of a remote app (RFC 5849).

:class:`OAuth1Flow` is a mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp`: the
request token, the redirect to the authorization page, and the exchange of the
verifier for an access token. Its public methods (:meth:`~OAuth1Flow.generate_request_token`,
:meth:`~OAuth1Flow.handle_oauth1_response`, :meth:`~OAuth1Flow.get_oauth1_client_params`)
are those of 0.9.6, methods of every remote app; a subclass may override them. Signing
itself is :mod:`~flask_oauthlib_client.rfc5849`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from flask import has_request_context, request, session
from oauthlib import oauth1
from oauthlib.common import add_params_to_uri

from flask_oauthlib_core import equal_secrets

from . import rfc5849
from .exceptions import OAuthException
from .token_endpoint import TokenEndpoint
from .transport import status_of

__all__ = ["OAUTH1_SIGNER_KEYS", "OAuth1Flow"]

#: keys of ``request_token_params`` that configure the OAuth 1 signer, not the request
OAUTH1_SIGNER_KEYS = ("signature_method", "signature_type", "rsa_key", "realm")


class OAuth1Flow(TokenEndpoint):
    """The OAuth 1.0a half of :class:`~flask_oauthlib_client.OAuthRemoteApp`.

    A mixin: the settings, the oauthlib client (``make_client``) and the HTTP
    (``_token_http``) are the remote app's, so a subclass that overrides any of them
    changes this flow too. The request token waits in the Flask session under
    ``<name>_oauthtok`` between :meth:`generate_request_token` and the callback.

    .. versionadded:: 1.1
        Split out of ``remote.py``; the methods are those of 0.9.6.
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        encoding: str
        request_token_url: str | None
        request_token_params: dict[str, Any]
        request_token_method: str
        access_token_url: str
        access_token_method: str
        access_token_headers: dict[str, str]
        authorize_url: str
        signature_method: str | None
        rsa_key: str | None

        def make_client(self, token: Any = None) -> Any: ...
        def expand_url(self, url: str) -> str: ...
        def _session_key(self, what: str) -> str: ...

    def get_oauth1_client_params(self, token: Any) -> dict[str, Any]:
        """OAuth 1.0a: the keyword arguments of ``oauthlib.oauth1.Client`` besides the
        consumer key and secret.

        The signer keys of :attr:`request_token_params` (``signature_method``,
        ``signature_type``, ``rsa_key``, ``realm``; ``realms`` joined into ``realm``),
        then :attr:`signature_method` and :attr:`rsa_key`, then the user's ``token``
        as ``resource_owner_key`` and ``resource_owner_secret``.

        :param token: a ``(token, secret)`` pair, an OAuth 1 token dict, or ``None``.
        :raises ValueError: for ``RSA-SHA1`` without an ``rsa_key``.
        :raises OAuthException: ``invalid_token`` if ``token`` has another shape.
        """
        given = self.request_token_params
        params: dict[str, Any] = {key: given[key] for key in OAUTH1_SIGNER_KEYS if key in given}
        realms = given.get("realms")
        if realms and "realm" not in params:
            params["realm"] = realms if isinstance(realms, str) else " ".join(realms)
        if self.signature_method:
            params["signature_method"] = self.signature_method
        if self.rsa_key:
            params["rsa_key"] = self.rsa_key
        if params.get("signature_method") == oauth1.SIGNATURE_RSA and not params.get("rsa_key"):
            raise ValueError("rsa_key is required when using signature_method: SIGNATURE_RSA")
        params.update(rfc5849.token_params(token))
        return params

    def _oauth1_authorization_url(self, callback: str | None, params: Mapping[str, Any]) -> str:
        """Fetch a request token; return the authorization URL that carries it.

        :param callback: passed to :meth:`generate_request_token`.
        :param params: extra query parameters for the authorization URL.
        """
        oauth_token, _secret = self.generate_request_token(callback)
        url = add_params_to_uri(self.expand_url(self.authorize_url), [("oauth_token", oauth_token)])
        if params:
            url = add_params_to_uri(url, list(params.items()))
        return str(url)

    def generate_request_token(self, callback: str | None = None) -> tuple[str, str]:
        """OAuth 1.0a: fetch a request token and keep it in the session.

        :param callback: the URL the server sends the user back to; a relative one is
            joined to the current request's URL.
        :returns: the ``(oauth_token, oauth_token_secret)`` pair.
        :raises OAuthException: ``token_generation_failed`` if the server refuses.
        """
        if callback and has_request_context():
            callback = urljoin(request.url, callback)
        client = self.make_client()
        client.callback_uri = callback
        params = {
            key: value
            for key, value in self.request_token_params.items()
            if key not in OAUTH1_SIGNER_KEYS and key != "realms"
        }
        url = self.expand_url(self.request_token_url or "")
        if params:
            url = add_params_to_uri(url, list(params.items()))
        method = self.request_token_method
        uri, headers, body = rfc5849.sign(client, url, method, encoding=self.encoding)
        failure = "Failed to generate request token"
        resp, content = self._token_http(
            uri, headers, body, method, failure, kind="token_generation_failed"
        )
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201):
            raise OAuthException(failure, type="token_generation_failed", data=data)
        try:
            pair = (str(data["oauth_token"]), str(data["oauth_token_secret"]))
        except (KeyError, TypeError):
            raise OAuthException(
                "The request token response has no oauth_token", type="token_generation_failed"
            ) from None
        session[self._session_key("tok")] = pair
        return pair

    def handle_oauth1_response(self, args: Mapping[str, str]) -> Any:
        """OAuth 1.0a: exchange the verifier for an access token.

        :param args: the callback's query parameters, with ``oauth_verifier``.
        :returns: the token response (``oauth_token``, ``oauth_token_secret``, ...).
        :raises OAuthException: ``token_not_found`` if this session fetched no request
            token, ``invalid_state`` if the callback is for another one,
            ``invalid_response`` if the server refuses.
        """
        pair = session.get(self._session_key("tok"))
        if not pair:
            raise OAuthException(
                "Token not found, maybe you disabled cookie", type="token_not_found"
            )
        returned = args.get("oauth_token")
        if returned is not None and not equal_secrets(returned, pair[0]):
            raise OAuthException("The callback is for another request token", type="invalid_state")
        client = self.make_client(pair)
        client.verifier = args.get("oauth_verifier")
        method = self.access_token_method
        uri, headers, body = rfc5849.sign(
            client,
            self.expand_url(self.access_token_url),
            method,
            headers=self.access_token_headers,
            encoding=self.encoding,
        )
        failure = f"Invalid response from {self.name}"
        resp, content = self._token_http(uri, headers, body, method, failure)
        data = self._parse_token_response(resp, content, failure)
        if status_of(resp) not in (200, 201):
            raise OAuthException(failure, type="invalid_response", data=data)
        return data
