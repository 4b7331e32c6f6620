"""Checking a DPoP proof (RFC 9449 4.3): one ``DPoP`` header holding a JWT signed with
the asymmetric key its header carries, for this request's method and URL, fresh, and
used once.

:func:`check_proof` does every check but the replay one; :func:`record_proof` records
the proof's ``jti`` in the validator's replay store (:mod:`.replay`) once everything
else passed, so refused requests never fill the store. Server nonces (RFC 9449 8) are
stateless: an HMAC of their issue time, so every worker agrees without sharing state.

PyJWT (``flask-oauthlib-provider-oauth2[oidc]``) is imported when a proof is checked.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from oauthlib.oauth2.rfc6749 import errors

from .jwks import thumbprint
from .replay import ReplayStore, replay_key

__all__ = [
    "ALGORITHMS",
    "DPoPProof",
    "InvalidDPoPProof",
    "UseDPoPNonce",
    "access_token_hash",
    "check_proof",
    "issue_nonce",
    "normalize_htu",
    "record_proof",
]

#: the algorithms a proof may be signed with: asymmetric only (never ``none`` or HMAC)
ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
#: the largest proof accepted, in characters (an RSA-4096 proof is about 1.5 KB)
MAX_PROOF = 4096
#: the longest ``jti`` accepted
MAX_JTI = 256
#: the longest ``nonce`` accepted
MAX_NONCE = 128
#: the JWK members of each key type that a public key may have (no private ones)
PUBLIC_MEMBERS = {
    "RSA": {"kty", "n", "e", "kid", "alg", "use", "key_ops", "x5c", "x5t", "x5t#S256", "x5u"},
    "EC": {"kty", "crv", "x", "y", "kid", "alg", "use", "key_ops"},
    "OKP": {"kty", "crv", "x", "kid", "alg", "use", "key_ops"},
}
#: the RFC 7638 required members of each key type
REQUIRED_MEMBERS = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
#: the key type each algorithm needs
KEY_TYPE = {"ES256": "EC", "RS256": "RSA", "PS256": "RSA", "EdDSA": "OKP"}


class InvalidDPoPProof(errors.OAuth2Error):
    """400 ``invalid_dpop_proof`` (RFC 9449 5): the proof is missing, malformed, for
    another request, stale, replayed or of the wrong key."""

    error = "invalid_dpop_proof"
    status_code = 400


class UseDPoPNonce(errors.OAuth2Error):
    """400 ``use_dpop_nonce`` (RFC 9449 8): send a proof carrying the nonce in the
    ``DPoP-Nonce`` header of this answer."""

    error = "use_dpop_nonce"
    status_code = 400

    def __init__(self, nonce: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nonce = nonce

    @property
    def headers(self) -> dict[str, str]:
        return {"DPoP-Nonce": self.nonce}


@dataclass(frozen=True)
class DPoPProof:
    """A checked proof: the key's RFC 7638 thumbprint (``jkt``), its ``jti`` and ``iat``."""

    jkt: str
    jti: str
    iat: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not isinstance(text, str) or not text or len(text) > 2048:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the access token (RFC 9449 4.2)."""
    return _b64(hashlib.sha256(access_token.encode("ascii")).digest())


def normalize_htu(url: str) -> str:
    """``url`` as RFC 9449 4.3 compares it: scheme and host lower case, no default port,
    no query or fragment, an empty path as ``/``; user information is refused.

    :raises ValueError: when it is no absolute http(s) URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise ValueError("not an absolute http(s) URL without user information")
    port = parts.port  # raises ValueError when out of range
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def issue_nonce(secret: bytes, now: float | None = None) -> str:
    """A server nonce: its issue time and an HMAC of it under ``secret``."""
    stamp = struct.pack(">Q", int(time.time() if now is None else now))
    mac = hmac.new(secret, b"dpop-nonce\x00" + stamp, hashlib.sha256).digest()[:16]
    return _b64(stamp + mac)


def nonce_is_fresh(secret: bytes, nonce: Any, lifetime: int, now: float) -> bool:
    """Whether ``nonce`` was issued with ``secret`` less than ``lifetime`` seconds ago."""
    if not isinstance(nonce, str) or len(nonce) > MAX_NONCE:
        return False
    try:
        raw = _unb64(nonce)
    except ValueError:
        return False
    if len(raw) != 24:
        return False
    expected = hmac.new(secret, b"dpop-nonce\x00" + raw[:8], hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(expected, raw[8:]):
        return False
    issued = struct.unpack(">Q", raw[:8])[0]
    return bool(issued - 5 <= now < issued + lifetime)


def _public_key(jwk: Mapping[str, Any], alg: str) -> Any:
    """The ``cryptography`` public key of ``jwk``, which must suit ``alg`` and hold no
    private member."""
    kty = jwk.get("kty")
    if KEY_TYPE[alg] != kty:
        raise ValueError(f"a {alg} proof needs a {KEY_TYPE[alg]} key")
    if set(jwk) - PUBLIC_MEMBERS[kty]:
        raise ValueError("the jwk must be a public key without private or unknown members")
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if kty == "RSA":
        n = int.from_bytes(_unb64(jwk["n"]), "big")
        e = int.from_bytes(_unb64(jwk["e"]), "big")
        if n.bit_length() < 2048 or n.bit_length() > 8192:
            raise ValueError("an RSA key needs 2048 to 8192 bits")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if kty == "EC":
        x, y = _unb64(jwk["x"]), _unb64(jwk["y"])
        if jwk.get("crv") != "P-256" or len(x) != 32 or len(y) != 32:
            raise ValueError("an ES256 key is on P-256")
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        )
        return numbers.public_key()  # raises ValueError for a point off the curve
    if jwk.get("crv") != "Ed25519":
        raise ValueError("an EdDSA key is Ed25519")
    return ed25519.Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))


def _header(proof: str, algorithms: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    """The proof's ``alg`` and ``jwk`` after the header checks."""
    try:
        header = json.loads(_unb64(proof.split(".", 1)[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidDPoPProof(description="The DPoP proof is not a JWT.") from exc
    if not isinstance(header, dict) or header.get("typ") != "dpop+jwt":
        raise InvalidDPoPProof(description="The DPoP proof's typ must be dpop+jwt.")
    alg = header.get("alg")
    if alg not in algorithms:
        raise InvalidDPoPProof(description="The DPoP proof's alg is not accepted.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or not all(isinstance(v, str) for v in jwk.values()):
        raise InvalidDPoPProof(description="The DPoP proof's header must carry a public jwk.")
    return str(alg), jwk


def check_proof(
    proof: str,
    method: str,
    url: str,
    settings: Any,
    access_token: str | None = None,
    now: float | None = None,
) -> DPoPProof:
    """Check ``proof`` for a request of ``method`` to ``url`` (RFC 9449 4.3), all but the
    replay of its ``jti`` (:func:`record_proof`).

    :param settings: the app's :class:`~.config.OAuth2Settings` (``dpop_*``).
    :param access_token: at a resource, the token the proof's ``ath`` must hash.
    :raises InvalidDPoPProof: on any failed check.
    :raises UseDPoPNonce: when nonces are required and this one is missing or stale.
    """
    if len(proof) > MAX_PROOF or proof.count(".") != 2:
        raise InvalidDPoPProof(description="The DPoP proof is not a compact JWS.")
    alg, jwk = _header(proof, settings.dpop_algorithms)
    from .jwks import _jwt

    jwt = _jwt()
    try:
        key = _public_key(jwk, alg)
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidDPoPProof(
            description="The DPoP proof's jwk must be a public key suiting its alg."
        ) from exc
    try:
        claims = jwt.decode(
            proof,
            key=key,
            algorithms=[alg],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
        )
    except (ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
        raise InvalidDPoPProof(description="The DPoP proof's signature is invalid.") from exc
    now = time.time() if now is None else now
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI:
        raise InvalidDPoPProof(description="The DPoP proof needs a jti.")
    if claims.get("htm") != method:
        raise InvalidDPoPProof(description="The DPoP proof is for another HTTP method.")
    htu = claims.get("htu")
    try:
        if not isinstance(htu, str) or normalize_htu(htu) != normalize_htu(url):
            raise ValueError("another URL")
    except ValueError as exc:
        raise InvalidDPoPProof(description="The DPoP proof is for another URL.") from exc
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidDPoPProof(description="The DPoP proof needs an iat.")
    if not now - settings.dpop_max_age <= iat <= now + settings.dpop_leeway:
        raise InvalidDPoPProof(description="The DPoP proof is stale or from the future.")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(
            ath, access_token_hash(access_token)
        ):
            raise InvalidDPoPProof(description="The DPoP proof's ath does not match the token.")
    if settings.dpop_nonce:
        secret = settings.dpop_nonce_secret
        if not nonce_is_fresh(secret, claims.get("nonce"), settings.dpop_nonce_lifetime, now):
            raise UseDPoPNonce(
                issue_nonce(secret, now), description="Send a DPoP proof with the server nonce."
            )
    members = {name: jwk[name] for name in REQUIRED_MEMBERS[jwk["kty"]]}
    return DPoPProof(jkt=thumbprint(members), jti=jti, iat=int(iat))


def record_proof(store: ReplayStore, proof: DPoPProof, settings: Any) -> None:
    """Record the proof's ``jti`` (with its key) for as long as it could be accepted.

    :raises InvalidDPoPProof: when it was used already.
    """
    ttl = int(settings.dpop_max_age + settings.dpop_leeway) + 1
    if not store.first_use(replay_key("dpop", proof.jkt, proof.jti), ttl):
        raise InvalidDPoPProof(description="The DPoP proof was used already.")
