"""What the test stub answers as the remote server: the token endpoint (OAuth 2 codes
and refresh tokens, OAuth 1 request and access tokens), pushed authorization requests,
the metadata document, the key set and ID tokens of an OpenID provider, and userinfo.

:class:`StubServer` is the part of :class:`~flask_oauthlib_client.testing.RemoteStub`
that keeps the server's state (the codes and request tokens it issued, the requests
pushed to it) and builds its answers; the stub decides which endpoint a request is for.
It checks what a careful server checks (a code is used once, with the redirect URI and
PKCE verifier of its authorization request; an OAuth 1 verifier belongs to its request
token) and answers like one, so a client that gets them wrong fails as it would in
production. It verifies no signature and no client secret.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from oauthlib.oauth1.rfc5849.utils import parse_authorization_header, unescape

from ..id_token import at_hash
from ..keys import SigningKey, generate_key, load_key
from .adapter import RecordedRequest, StubResponse

__all__ = ["ID_TOKEN_ALG", "KEY_ID", "StubServer", "issuer_of", "request_object_claims"]

#: the algorithm of the stub's ID tokens
ID_TOKEN_ALG = "RS256"  # noqa: S105 - an algorithm name
#: the ``kid`` of the stub's signing key
KEY_ID = "stub-key-1"
#: how long pushed request URIs, codes and ID tokens live, in seconds
LIFETIME = 600

_shared_key: SigningKey | None = None
_key_lock = threading.Lock()


def _default_key() -> SigningKey:
    """One RSA key for every stub of the process (making one takes a while)."""
    global _shared_key
    with _key_lock:
        if _shared_key is None:
            _shared_key = SigningKey(generate_key(ID_TOKEN_ALG).private, ID_TOKEN_ALG, KEY_ID)
        return _shared_key


def issuer_of(metadata_url: str) -> str:
    """The issuer whose metadata document lives at ``metadata_url``: the URL before
    ``/.well-known/openid-configuration`` (OpenID Connect Discovery), or the origin
    followed by what comes after ``/.well-known/oauth-authorization-server`` (RFC 8414);
    else the URL's origin."""
    for suffix in ("/.well-known/openid-configuration",):
        if suffix in metadata_url:
            return metadata_url.split(suffix, 1)[0]
    parts = urlsplit(metadata_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    marker = "/.well-known/oauth-authorization-server"
    if parts.path.startswith(marker):
        return origin + parts.path[len(marker) :]
    return origin


def request_object_claims(request_object: str) -> dict[str, str]:
    """The parameters a request object (RFC 9101) carries, read without checking its
    signature; ``{}`` for one that cannot be read."""
    try:
        payload = request_object.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    if not isinstance(claims, dict):
        return {}
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}


def oauth1_params(request: RecordedRequest) -> dict[str, str]:
    """The ``oauth_*`` parameters of an OAuth 1 request: header, body and query."""
    found = {k: v for k, v in {**request.query, **request.form}.items() if k.startswith("oauth_")}
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "oauth ":
        found.update({k: unescape(v) for k, v in parse_authorization_header(header)})
    return found


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _error(error: str, description: str, status: int = 400) -> StubResponse:
    return StubResponse.of_json({"error": error, "error_description": description}, status)


@dataclass
class IssuedCode:
    """An authorization code the stub gave the app, and its authorization request."""

    client_id: str
    redirect_uri: str | None
    scope: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str


@dataclass
class RequestToken:
    """An OAuth 1 request token the stub gave the app."""

    secret: str
    callback: str | None
    verifier: str | None = None


class StubServer:
    """The state and answers of the pretend server (see the module docs).

    :param issuer: its issuer identifier (``None`` for a server without metadata).
    :param user: the claims about the user who logs in: ``sub`` and any other, put in
        ID tokens and userinfo answers.
    :param token: fields over the stub's in every token response (``None`` leaves one
        out), such as ``{"scope": "repo", "refresh_token": None}``.
    :param key: the key ID tokens are signed with (a :class:`~..keys.SigningKey`, PEM
        or private JWK); a shared RSA key by default.
    """

    def __init__(
        self,
        issuer: str | None,
        user: Mapping[str, Any] | None = None,
        token: Mapping[str, Any] | None = None,
        key: Any = None,
    ) -> None:
        self.issuer = issuer
        #: the claims about the user: ``sub`` and more (ID tokens, userinfo)
        self.user: dict[str, Any] = {"sub": "stub-user", **(user or {})}
        #: fields over the stub's in every token response; ``None`` leaves one out
        self.token_fields: dict[str, Any] = dict(token or {})
        #: the metadata document, served when the remote app has a server_metadata_url
        self.metadata: dict[str, Any] = self._metadata(issuer) if issuer else {}
        self._key = key
        self._serials: dict[str, itertools.count[int]] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.request_tokens: dict[str, RequestToken] = {}
        self.pushed: dict[str, dict[str, str]] = {}

    @staticmethod
    def _metadata(issuer: str) -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "jwks_uri": issuer + "/jwks",
            "userinfo_endpoint": issuer + "/userinfo",
            "pushed_authorization_request_endpoint": issuer + "/par",
            "end_session_endpoint": issuer + "/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ID_TOKEN_ALG],
            "dpop_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none",
            ],
            "authorization_response_iss_parameter_supported": True,
        }

    def serial(self, kind: str) -> int:
        """The next number of the stub's ``kind`` (codes, tokens ...), from 1."""
        return next(self._serials.setdefault(kind, itertools.count(1)))

    # -- keys and ID tokens ----------------------------------------------------------------

    @property
    def signing_key(self) -> SigningKey:
        """The key ID tokens are signed with."""
        key = self._key
        if key is None:
            return _default_key()
        if not isinstance(key, SigningKey):
            key = self._key = load_key(key, kid=KEY_ID)
        return key

    @property
    def jwks(self) -> dict[str, Any]:
        """The stub's key set (its ``jwks_uri`` answers it)."""
        key = self.signing_key
        return {"keys": [{**key.public_jwk(), "alg": key.alg, "use": "sig"}]}

    def id_token(
        self,
        client_id: str,
        nonce: str | None = None,
        access_token: str | None = None,
        **claims: Any,
    ) -> str:
        """An ID token about :attr:`user` for ``client_id``, signed with the stub's key.

        :param nonce: the nonce of the login.
        :param access_token: the access token it comes with (``at_hash``).
        :param claims: claims over the stub's (``None`` leaves one out), such as
            ``aud="another-client"`` to test a refusal.
        :raises ValueError: without an issuer (a remote app without metadata).
        """
        if not self.issuer:
            raise ValueError("an ID token needs an issuer: a server_metadata_url or issuer=")
        key = self.signing_key
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + LIFETIME,
            "auth_time": now,
            **self.user,
        }
        if nonce is not None:
            body["nonce"] = nonce
        if access_token is not None:
            body["at_hash"] = at_hash(access_token, key.alg)
        body.update(claims)
        return key.sign({k: v for k, v in body.items() if v is not None}, {"typ": "JWT"})

    # -- OAuth 2 ---------------------------------------------------------------------------

    def issue_code(self, params: Mapping[str, str]) -> str:
        """A code for the authorization request ``params``."""
        code = f"stub-code-{self.serial('code')}"
        self.codes[code] = IssuedCode(
            client_id=params.get("client_id", ""),
            redirect_uri=params.get("redirect_uri"),
            scope=params.get("scope"),
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method", "plain"),
        )
        return code

    def push(self, request: RecordedRequest) -> StubResponse:
        """The pushed authorization request endpoint (RFC 9126)."""
        params = dict(request.form)
        if "request" in params:
            params.update(request_object_claims(params.pop("request")))
        uri = f"urn:ietf:params:oauth:request_uri:stub-{self.serial('push')}"
        self.pushed[uri] = params
        return StubResponse.of_json({"request_uri": uri, "expires_in": 60}, 201)

    def token_endpoint(self, request: RecordedRequest) -> StubResponse:
        """Exchange a code, or a refresh token, for a token."""
        form = request.form
        grant_type = form.get("grant_type")
        dpop = "DPoP" in request.headers
        if grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return _error("invalid_request", "no refresh_token")
            return self.token_response(form.get("scope"), None, None, dpop)
        if grant_type != "authorization_code":
            return _error("unsupported_grant_type", f"the stub issues no {grant_type} tokens")
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None:
            return _error("invalid_grant", "the code is unknown or was used already")
        if form.get("redirect_uri") != issued.redirect_uri:
            return _error("invalid_grant", "redirect_uri is not that of the authorization")
        if issued.code_challenge is not None:
            verifier = form.get("code_verifier") or ""
            method = issued.code_challenge_method
            if (_s256(verifier) if method == "S256" else verifier) != issued.code_challenge:
                return _error("invalid_grant", "the code_verifier does not match the challenge")
        return self.token_response(issued.scope, issued.client_id, issued.nonce, dpop)

    def token_response(
        self, scope: str | None, client_id: str | None, nonce: str | None, dpop: bool = False
    ) -> StubResponse:
        """A token response: the stub's fields, :attr:`token_fields` over them, and an ID
        token when ``scope`` holds ``openid`` (and ``token_fields`` has none)."""
        n = self.serial("token")
        data: dict[str, Any] = {
            "access_token": f"stub-access-token-{n}",
            "token_type": "DPoP" if dpop else "Bearer",
            "expires_in": 3600,
            "refresh_token": f"stub-refresh-token-{n}",
        }
        if scope:
            data["scope"] = scope
        data.update(self.token_fields)
        openid = "openid" in (scope or "").split()
        if client_id is not None and openid and "id_token" not in self.token_fields:
            data["id_token"] = self.id_token(client_id, nonce, data.get("access_token"))
        return StubResponse.of_json({k: v for k, v in data.items() if v is not None})

    def userinfo(self, request: RecordedRequest) -> StubResponse:
        """The userinfo endpoint: :attr:`user`, to a request with an access token."""
        if not request.headers.get("Authorization"):
            return _error("invalid_token", "no access token", 401)
        return StubResponse.of_json(dict(self.user))

    # -- OAuth 1 ---------------------------------------------------------------------------

    def request_token(self, request: RecordedRequest) -> StubResponse:
        """The OAuth 1 request token endpoint."""
        n = self.serial("request_token")
        token = f"stub-request-token-{n}"
        pending = RequestToken(
            f"stub-request-secret-{n}", oauth1_params(request).get("oauth_callback")
        )
        self.request_tokens[token] = pending
        return StubResponse.of_form(
            {
                "oauth_token": token,
                "oauth_token_secret": pending.secret,
                "oauth_callback_confirmed": "true",
            }
        )

    def oauth1_access_token(self, request: RecordedRequest) -> StubResponse:
        """The OAuth 1 access token endpoint: a request token the user authorized, with
        its verifier, once."""
        params = oauth1_params(request)
        pending = self.request_tokens.get(params.get("oauth_token", ""))
        verifier = params.get("oauth_verifier")
        if pending is None or pending.verifier is None or verifier != pending.verifier:
            return StubResponse.of_form({"oauth_problem": "token_rejected"}, 401)
        del self.request_tokens[params["oauth_token"]]
        n = self.serial("token")
        data: dict[str, Any] = {
            "oauth_token": f"stub-access-token-{n}",
            "oauth_token_secret": f"stub-access-secret-{n}",
            **self.token_fields,
        }
        return StubResponse.of_form({k: v for k, v in data.items() if v is not None})
