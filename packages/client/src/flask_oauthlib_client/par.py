"""Pushed authorization requests (RFC 9126, PAR), and signed ones (RFC 9101, JAR).

A remote app with ``use_par=True``, or whose server's metadata says
``require_pushed_authorization_requests: true``, does not put its authorization request
in the browser's URL: :meth:`~flask_oauthlib_client.OAuthRemoteApp.authorize` POSTs it
(the same parameters: ``state``, the PKCE challenge, ``nonce``, ``dpop_jkt``,
``resource`` ...) to the server's pushed authorization request endpoint (``par_url``,
else the metadata's ``pushed_authorization_request_endpoint``), authenticating the
client as at the token endpoint (its secret in the body or an HTTP Basic header, or a
``private_key_jwt`` assertion: :mod:`~flask_oauthlib_client.client_assertion`), and
redirects the browser with only ``client_id`` and the ``request_uri`` the server
answered. The request follows no redirect. A refusal raises
:class:`~flask_oauthlib_client.OAuthException` ``par_failed`` (the server's error as
``data``); an answer without a ``request_uri``, ``invalid_response``.

With ``request_object_signing_alg`` (and ``client_private_key``) the request is signed
first (:mod:`~flask_oauthlib_client.jar`) and sent as ``request``, pushed or by value.

.. versionadded:: 1.2
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .exceptions import OAuthException
from .jar import request_object
from .keys import load_key
from .transport import FORM_TYPE, status_of

if TYPE_CHECKING:
    from .keys import SigningKey
    from .metadata import MetadataCache
    from .settings import SettingsSource

__all__ = ["PushedAuthorization", "split_uri"]

log = logging.getLogger(__name__)


def split_uri(uri: str) -> tuple[str, list[tuple[str, str]]]:
    """``uri`` as its address without query or fragment, and its query's pairs."""
    parts = urlsplit(uri)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, parse_qsl(parts.query, keep_blank_values=True)


class PushedAuthorization:
    """Pushed and signed authorization requests of
    :class:`~flask_oauthlib_client.OAuthRemoteApp`, through its OAuth 2 flow.

    .. versionadded:: 1.2
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        encoding: str
        consumer_key: str
        consumer_secret: str | None
        issuer: str | None
        _settings: SettingsSource

        @property
        def server_metadata(self) -> dict[str, Any]: ...
        def _metadata_cache(self) -> MetadataCache: ...
        def _client_authentication(self, params: dict[str, Any]) -> dict[str, str]: ...
        def _client_key(self) -> SigningKey: ...
        def _parse_token_response(self, resp: Any, content: bytes, failure: str) -> Any: ...
        def _token_http(
            self,
            uri: str,
            headers: dict[str, str] | None,
            data: Any,
            method: str,
            failure: str,
            kind: str = "invalid_response",
            dpop_key: SigningKey | None = None,
        ) -> tuple[Any, bytes]: ...

    def _metadata_says(self, key: str) -> Any:
        """``key`` of the server's metadata when the authorization uses that document
        anyway: its endpoints come from it, or it was fetched already (a remote app
        with a configured ``authorize_url`` does not fetch it for this)."""
        url = self._settings.get("server_metadata_url")
        if not url:
            return None
        if self._settings.get("authorize_url") is not None:
            document = self._metadata_cache().peek(url)
            return document.get(key) if document is not None else None
        return self.server_metadata.get(key)

    def _pushes(self) -> bool:
        """Whether authorization requests are pushed: ``use_par``, or the server's
        metadata requires it."""
        use = self._settings.get("use_par")
        if use is True or use in ("1", "true", "True"):
            return True
        return self._metadata_says("require_pushed_authorization_requests") is True

    def _signs_requests(self) -> str | None:
        """The algorithm authorization requests are signed with, or ``None``:
        ``request_object_signing_alg``, else the key's own when the server's metadata
        says ``require_signed_request_object``."""
        alg = self._settings.get("request_object_signing_alg")
        if alg is None and self._metadata_says("require_signed_request_object") is True:
            if self._settings.get("client_private_key") is None:
                raise OAuthException(
                    f"{self.name}: the server requires signed authorization requests:"
                    " set client_private_key",
                    type="invalid_configuration",
                )
            return self._client_key().alg
        return str(alg) if alg is not None else None

    def _finish_authorization(self, uri: str) -> str:
        """The URL the browser goes to for the authorization request ``uri``: ``uri``
        itself, or signed, or pushed, as configured."""
        alg = self._signs_requests()
        push = self._pushes()
        if alg is None and not push:
            return uri
        base, params = split_uri(uri)
        client_id = self.consumer_key
        if alg is not None:
            key = self._client_key()
            if key.alg != alg:
                key = load_key(key.private, key.kid, alg)
            audience = self.issuer
            if not audience:
                raise OAuthException(
                    f"{self.name}: a signed authorization request is meant for the server's"
                    " issuer: set issuer, or a server_metadata_url whose document has one",
                    type="invalid_configuration",
                )
            params = [
                ("client_id", client_id),
                ("request", request_object(params, key, client_id, audience)),
            ]
        if push:
            params = [("client_id", client_id), ("request_uri", self._push(params))]
        return f"{base}?{urlencode(params)}"

    def _par_endpoint(self) -> str:
        """``par_url``, else the metadata's ``pushed_authorization_request_endpoint``.

        :raises OAuthException: ``invalid_configuration`` when there is neither.
        """
        url = self._settings.get("par_url") or self._metadata_says(
            "pushed_authorization_request_endpoint"
        )
        if not isinstance(url, str) or not url:
            raise OAuthException(
                f"{self.name}: pushed authorization requests need par_url, or a"
                " server_metadata_url whose document has pushed_authorization_request_endpoint",
                type="invalid_configuration",
            )
        return url

    def _push(self, params: list[tuple[str, str]]) -> str:
        """POST the authorization request ``params`` to the PAR endpoint with the
        client's authentication; return the ``request_uri`` it answers.

        :raises OAuthException: ``par_failed`` if the server refuses,
            ``invalid_response`` for an answer without a ``request_uri``.
        """
        auth: dict[str, Any] = {"client_secret": self.consumer_secret}
        headers = {"Content-Type": FORM_TYPE, **self._client_authentication(auth)}
        form = [*params, *((k, str(v)) for k, v in auth.items() if v is not None)]
        failure = f"{self.name}: the pushed authorization request failed"
        body = urlencode(form).encode(self.encoding)
        resp, content = self._token_http(self._par_endpoint(), headers, body, "POST", failure)
        data = self._parse_token_response(resp, content, failure)
        status = status_of(resp)
        if status not in (200, 201):
            log.warning("%s refused a pushed authorization request (%s)", self.name, status)
            raise OAuthException(f"{failure} ({status})", type="par_failed", data=data)
        request_uri = data.get("request_uri") if isinstance(data, dict) else None
        if not isinstance(request_uri, str) or not request_uri:
            raise OAuthException(
                f"{failure}: no request_uri in the answer", type="invalid_response"
            )
        log.debug("pushed an authorization request to %s", self.name)
        return request_uri
