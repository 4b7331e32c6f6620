"""RFC 5849 (OAuth 1.0a) for the client: signing a request with an oauthlib ``Client``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from oauthlib.common import extract_params
from oauthlib.oauth1 import SIGNATURE_TYPE_BODY, Client

from .exceptions import OAuthException
from .transport import FORM_TYPE

__all__ = ["FORM_TYPE", "sign", "token_params"]


def sign(
    client: Client,
    uri: str,
    method: str,
    body: str | bytes | None = None,
    headers: Mapping[str, str] | None = None,
    realm: str | None = None,
    encoding: str = "utf-8",
) -> tuple[str, dict[str, str], str | bytes | None]:
    """Sign one request; return its ``(uri, headers, body)``.

    The URI is first normalised the way ``requests`` sends it, so the signature covers
    what goes on the wire. A form-encoded body (or any body with
    ``signature_type=BODY``) is signed with its parameters; any other body (JSON, XML)
    is sent unsigned and unchanged, as RFC 5849 section 3.4.1.3.1 says.
    """
    headers = dict(headers or {})
    prepared = requests.PreparedRequest()
    prepared.prepare_url(uri, None)
    uri = str(prepared.url)
    text = body.decode(encoding) if isinstance(body, bytes) else body
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not content_type and text and extract_params(text):
        content_type = FORM_TYPE
    if FORM_TYPE in content_type or client.signature_type == SIGNATURE_TYPE_BODY:
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = FORM_TYPE
        signed_uri, signed_headers, signed_body = client.sign(
            uri, http_method=method, body=text or "", headers=headers, realm=realm
        )
        return signed_uri, dict(signed_headers), signed_body
    signed_uri, signed_headers, _ = client.sign(
        uri, http_method=method, headers=headers, realm=realm
    )
    return signed_uri, dict(signed_headers), body


def token_params(token: Any) -> dict[str, str]:
    """Return ``resource_owner_key`` and ``resource_owner_secret`` from a token.

    ``token`` is a ``(token, secret)`` pair or an OAuth 1 token dict; ``None`` gives
    no parameters.

    :raises OAuthException: ``invalid_token`` for any other shape.
    """
    if token is None:
        return {}
    if isinstance(token, Mapping):
        return {
            "resource_owner_key": str(token["oauth_token"]),
            "resource_owner_secret": str(token["oauth_token_secret"]),
        }
    if isinstance(token, tuple | list) and len(token) >= 2:
        return {"resource_owner_key": str(token[0]), "resource_owner_secret": str(token[1])}
    raise OAuthException("an OAuth 1 token is a (token, secret) pair", type="invalid_token")
