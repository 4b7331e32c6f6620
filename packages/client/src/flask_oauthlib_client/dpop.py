"""DPoP: access and refresh tokens bound to a key of the client (RFC 9449).

With ``dpop=True`` (ES256; or an algorithm: ``dpop="EdDSA"``, ``"PS256"`` ...) each
login of a remote app makes a new key pair:

- the authorization request carries ``dpop_jkt``, the key's RFC 7638 thumbprint
  (section 10), so the code is bound to it; until the callback the private key waits in
  the pending login, in the Flask session, encrypted (Fernet) with a key derived from the
  app's ``SECRET_KEY``, so the session cookie alone does not reveal it;
- the code exchange, every refresh and every API call (:meth:`request
  <flask_oauthlib_client.OAuthRemoteApp.request>`, ``get``, ``post`` ...) carry a
  ``DPoP`` proof (section 4: ``typ`` ``dpop+jwt``, the public ``jwk``, ``htm``, ``htu``,
  ``iat``, a one-time ``jti``, ``ath`` with an access token, the server's ``nonce`` once
  it gave one); API calls send ``Authorization: DPoP <token>``;
- a server answering ``use_dpop_nonce`` (sections 8 and 9) is asked once more with its
  nonce; the last nonce of each server (authorization or resource server, by origin) is
  remembered for the next proofs;
- the token the callback returns (and each refreshed one) holds the private key as a
  JWK under ``token["dpop_jwk"]``: whatever keeps the token (your :meth:`tokensaver` and
  :meth:`tokengetter`) keeps its key. A server that answers ``token_type`` ``Bearer``
  does not know DPoP: the token is then a plain Bearer token, without a key.

The key is as secret as the token, and the protection DPoP adds is only as good as the
place both are kept: tokens kept server side (a database keyed by user) stay useless to
someone who stole a session cookie or the token alone; tokens kept in Flask's default
cookie session travel with their key in that cookie (signed, not encrypted), as the
token itself does. Keys and proofs are never logged.

JOSE comes from PyJWT with cryptography (the ``oidc`` extra), imported only when DPoP is
used.

.. versionadded:: 1.2
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import current_app

from flask_oauthlib_core import utcnow

from .exceptions import OAuthException
from .keys import ALGORITHMS, SigningKey, b64url, generate_key, load_key, require_jose
from .transport import header_of, status_of

if TYPE_CHECKING:
    from .settings import SettingsSource
    from .transport import HTTPCall

__all__ = [
    "DEFAULT_ALG",
    "JWK_KEY",
    "PROOF_TYPE",
    "DPoPSupport",
    "NonceMemory",
    "asks_for_nonce",
    "ath",
    "htu",
    "proof",
]

#: the key of the private JWK in the token data
JWK_KEY = "dpop_jwk"
#: the key of the sealed private key in a pending login
PENDING_KEY = "dpop"
#: the algorithm of ``dpop=True``, unless the server's metadata lists others only
DEFAULT_ALG = "ES256"
#: the ``typ`` of a proof (RFC 9449 section 4.2)
PROOF_TYPE = "dpop+jwt"
#: the algorithms ``dpop=True`` picks from the server's list, by preference
PREFERRED = ("ES256", "EdDSA", "PS256", "RS256", "ES384", "ES512")
#: the most servers whose nonce is remembered
MAX_SERVERS = 64

log = logging.getLogger(__name__)


def htu(url: str) -> str:
    """The ``htu`` of a request to ``url``: the URL without query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


def ath(access_token: str) -> str:
    """The ``ath`` of an access token: its SHA-256, base64url (RFC 9449 section 4.2)."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def proof(
    key: SigningKey,
    method: str,
    url: str,
    nonce: str | None = None,
    access_token: str | None = None,
    now: float | None = None,
) -> str:
    """A DPoP proof of a request (RFC 9449 section 4.2).

    :param key: the private key; its public JWK goes in the header.
    :param method: the HTTP method (``htm``).
    :param url: the request URL (``htu`` is it without query and fragment).
    :param nonce: the server's last ``DPoP-Nonce``, if any.
    :param access_token: the access token the request carries (``ath``), if any.
    :param now: the time (seconds since the epoch); the clock's now.
    """
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(24),
        "htm": method.upper(),
        "htu": htu(url),
        "iat": int(utcnow().timestamp() if now is None else now),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["ath"] = ath(access_token)
    jwk = key.public_jwk()
    jwk.pop("kid", None)
    return SigningKey(key.private, key.alg).sign(claims, {"typ": PROOF_TYPE, "jwk": jwk})


class NonceMemory:
    """The last ``DPoP-Nonce`` of each server, by origin; thread-safe, bounded."""

    def __init__(self, size: int = MAX_SERVERS) -> None:
        self.size = size
        self._nonces: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._nonces)

    @staticmethod
    def origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def get(self, url: str) -> str | None:
        """The nonce the server of ``url`` gave last, if any."""
        with self._lock:
            return self._nonces.get(self.origin(url))

    def remember(self, url: str, nonce: str) -> None:
        """Keep ``nonce`` for the server of ``url``, forgetting the oldest server beyond
        :attr:`size`."""
        with self._lock:
            key = self.origin(url)
            self._nonces[key] = nonce
            self._nonces.move_to_end(key)
            while len(self._nonces) > self.size:
                self._nonces.popitem(last=False)


def asks_for_nonce(resp: Any, content: bytes) -> bool:
    """Whether an answer is a ``use_dpop_nonce`` error: a ``WWW-Authenticate`` naming it
    (a resource server, section 9) or a JSON ``error`` (an authorization server, 8)."""
    if "use_dpop_nonce" in (header_of(resp, "WWW-Authenticate") or ""):
        return True
    if status_of(resp) != 400:
        return False
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("error") == "use_dpop_nonce"


def _fernet(secret: Any, purpose: str) -> Any:
    from cryptography.fernet import Fernet

    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    derived = hmac.new(raw, f"flask-oauthlib-client {purpose}".encode(), hashlib.sha256)
    return Fernet(base64.urlsafe_b64encode(derived.digest()))


def _secrets() -> list[Any]:
    """The app's secret key, then its fallbacks (Flask 3.1 ``SECRET_KEY_FALLBACKS``)."""
    found = [current_app.secret_key, *(current_app.config.get("SECRET_KEY_FALLBACKS") or [])]
    return [secret for secret in found if secret]


def seal(jwk: Mapping[str, Any], purpose: str) -> str:
    """``jwk`` encrypted and authenticated with a key derived from the app's secret key.

    :raises OAuthException: ``invalid_configuration`` when the app has no secret key.
    """
    keys = _secrets()
    if not keys:
        raise OAuthException("DPoP needs the app's SECRET_KEY", type="invalid_configuration")
    token: bytes = _fernet(keys[0], purpose).encrypt(json.dumps(dict(jwk)).encode("utf-8"))
    return token.decode("ascii")


def unseal(text: str, purpose: str) -> dict[str, Any] | None:
    """What :func:`seal` sealed, or ``None`` if no secret key of the app opens it."""
    from cryptography.fernet import InvalidToken

    for secret in _secrets():
        try:
            found = json.loads(_fernet(secret, purpose).decrypt(text.encode("ascii")))
        except (InvalidToken, ValueError):
            continue
        return found if isinstance(found, dict) else None
    return None


class DPoPSupport:
    """DPoP for :class:`~flask_oauthlib_client.OAuthRemoteApp`, through its OAuth 2 flow:
    the key of a login, proofs on every request, ``use_dpop_nonce`` retries.

    .. versionadded:: 1.2
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        _settings: SettingsSource
        _dpop_nonces: NonceMemory
        _http: HTTPCall

        @property
        def server_metadata(self) -> dict[str, Any]: ...

    def _dpop_alg(self) -> str | None:
        """The algorithm of this remote app's DPoP keys, or ``None`` without DPoP: the
        ``dpop`` setting (``True`` picks :data:`DEFAULT_ALG`, or the first of
        :data:`PREFERRED` the server's ``dpop_signing_alg_values_supported`` lists).

        :raises OAuthException: ``invalid_configuration`` for an unknown algorithm.
        """
        value = self._settings.get("dpop")
        if value is None or value is False or value in ("", "0", "false", "False"):
            return None
        if value is True or value in ("1", "true", "True"):
            offered = None
            if self._settings.get("server_metadata_url"):
                offered = self.server_metadata.get("dpop_signing_alg_values_supported")
            if isinstance(offered, list) and offered and DEFAULT_ALG not in offered:
                return next((alg for alg in PREFERRED if alg in offered), DEFAULT_ALG)
            return DEFAULT_ALG
        if value not in ALGORITHMS:
            raise OAuthException(
                f"{self.name}: dpop must be True or one of {', '.join(ALGORITHMS)}",
                type="invalid_configuration",
            )
        return str(value)

    def _dpop_login(self, pending: dict[str, str], query: dict[str, Any]) -> None:
        """Make the key of a new login: its thumbprint in ``query`` (``dpop_jkt``), the
        key itself sealed in ``pending``. Nothing without DPoP."""
        alg = self._dpop_alg()
        if alg is None:
            return
        key = generate_key(alg)
        query["dpop_jkt"] = key.thumbprint()
        pending[PENDING_KEY] = seal(key.private_jwk(), f"dpop {self.name}")

    def _dpop_login_key(self, pending: Mapping[str, str]) -> SigningKey | None:
        """The key of the login being called back: the one its authorization request
        named; a new one for a login that kept none; ``None`` without DPoP.

        :raises OAuthException: ``invalid_state`` if the kept key cannot be opened (the
            app's secret key changed since the login started).
        """
        sealed = pending.get(PENDING_KEY)
        if sealed is None:
            alg = self._dpop_alg()
            return generate_key(alg) if alg is not None else None
        jwk = unseal(sealed, f"dpop {self.name}")
        if jwk is None:
            raise OAuthException(
                f"{self.name}: the DPoP key of this login cannot be read; log in again",
                type="invalid_state",
            )
        return load_key(jwk)

    def _dpop_token_key(self, token: Any) -> SigningKey | None:
        """The key a token is bound to (:data:`JWK_KEY`, with ``token_type`` DPoP), or
        ``None`` for a Bearer token."""
        if not isinstance(token, Mapping):
            return None
        jwk = token.get(JWK_KEY)
        kind = token.get("token_type")
        if not isinstance(jwk, Mapping) or not isinstance(kind, str) or kind.lower() != "dpop":
            return None
        return load_key(jwk)

    def _dpop_refresh_key(self, token: Mapping[str, Any]) -> SigningKey | None:
        """The key a refresh request proves: the token's own; a new one for a Bearer
        token of a remote app now using DPoP."""
        key = self._dpop_token_key(token)
        alg = self._dpop_alg() if key is None else None
        if alg is not None:
            key = generate_key(alg)
        return key

    def _bind_dpop(self, data: dict[str, Any], key: SigningKey | None) -> None:
        """Keep ``key`` in a token response whose ``token_type`` is DPoP; a server that
        answered Bearer does not know DPoP, and the token is used as Bearer."""
        data.pop(JWK_KEY, None)
        if key is None:
            return
        kind = data.get("token_type")
        if isinstance(kind, str) and kind.lower() == "dpop":
            data[JWK_KEY] = key.private_jwk()
            return
        log.info("%s issued a Bearer token to a DPoP request: using it as Bearer", self.name)

    def _dpop_http(
        self,
        key: SigningKey | None,
        uri: str,
        headers: dict[str, str],
        data: Any,
        method: str,
        access_token: str | None = None,
        follow_redirects: bool = True,
    ) -> tuple[Any, bytes]:
        """Send a request through ``_http``, with a DPoP proof when ``key`` is given.

        The server's ``DPoP-Nonce`` is remembered; an answer ``use_dpop_nonce`` with a
        new nonce is retried once, with it.
        """
        if key is None:
            return self._http(
                uri, headers, data=data, method=method, follow_redirects=follow_redirects
            )
        require_jose("DPoP")
        headers = dict(headers)
        retried = False
        while True:
            nonce = self._dpop_nonces.get(uri)
            headers["DPoP"] = proof(key, method, uri, nonce, access_token)
            resp, content = self._http(
                uri, headers, data=data, method=method, follow_redirects=follow_redirects
            )
            given = header_of(resp, "DPoP-Nonce")
            if given:
                self._dpop_nonces.remember(uri, given)
            if retried or not given or given == nonce or not asks_for_nonce(resp, content):
                return resp, content
            log.debug("%s asked for a DPoP nonce; sending the request again", self.name)
            retried = True
