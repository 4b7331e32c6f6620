"""The client's own signing keys: loaded (PEM or JWK), generated, exported as JWKs,
thumbprinted (RFC 7638), and used to sign JWTs.

Three features sign with a private key of the client: ``private_key_jwt`` client
authentication (RFC 7523, :mod:`~flask_oauthlib_client.client_assertion`), signed
authorization requests (RFC 9101, :mod:`~flask_oauthlib_client.jar`) and DPoP proofs
(RFC 9449, :mod:`~flask_oauthlib_client.dpop`). They share :class:`SigningKey`::

    key = load_key(pem_text, kid="k1")          # RS256 for RSA, ES256 for P-256, ...
    key.public_jwk()                             # {"kty": "RSA", "n": ..., "kid": "k1"}
    token = key.sign({"iss": "me"}, {"typ": "JWT"})

JWKs are read and written with cryptography itself (no PyJWT version dependence); JWTs
are signed with PyJWT. Both come with the extra ``flask-oauthlib-client[oidc]`` and are
imported only when a key is used, so plain OAuth 2 needs neither.

.. versionadded:: 1.2
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .exceptions import OAuthException
from .id_token import OIDC_EXTRA

__all__ = [
    "ALGORITHMS",
    "SigningKey",
    "b64url",
    "generate_key",
    "load_key",
    "require_jose",
    "thumbprint",
]

#: the signature algorithms the client signs with, and the key each needs
ALGORITHMS: Mapping[str, str] = {
    **{f"{family}{bits}": "RSA" for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": "P-256",
    "ES384": "P-384",
    "ES512": "P-521",
    "EdDSA": "Ed25519",
}
#: the ES algorithm of each curve, by JWK ``crv``
_EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
_EC_CURVES = {"P-256": "SECP256R1", "P-384": "SECP384R1", "P-521": "SECP521R1"}


def require_jose(feature: str) -> Any:
    """Import PyJWT (with cryptography) for ``feature``; return the ``jwt`` module.

    :raises ImportError: naming the extra to install when either is missing.
    """
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError as exc:
        raise ImportError(
            f'{feature} needs PyJWT and cryptography: pip install "{OIDC_EXTRA}"'
        ) from exc
    if not has_crypto:
        raise ImportError(f'{feature} needs cryptography: pip install "{OIDC_EXTRA}"')
    return jwt


def b64url(data: bytes) -> str:
    """``data`` in base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("a JWK member is not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(text: Any) -> int:
    return int.from_bytes(_unb64(text), "big")


def _bytes(number: int, size: int | None = None) -> bytes:
    return number.to_bytes(size or max(1, (number.bit_length() + 7) // 8), "big")


@dataclass(frozen=True)
class SigningKey:
    """A private key of the client, the algorithm it signs with and its ``kid``.

    :param private: a cryptography private key (RSA, EC or Ed25519).
    :param alg: a key of :data:`ALGORITHMS` that fits it.
    :param kid: the key id servers know it by, if any.
    """

    private: Any
    alg: str
    kid: str | None = None

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK (RFC 7517), with ``kid`` when there is one."""
        jwk = _jwk(self.private, private=False)
        return {**jwk, "kid": self.kid} if self.kid else jwk

    def private_jwk(self) -> dict[str, Any]:
        """The private key as a JWK, with ``alg`` (and ``kid``): what :func:`load_key`
        reads back. Keep it as you keep secrets."""
        jwk = {**_jwk(self.private, private=True), "alg": self.alg}
        return {**jwk, "kid": self.kid} if self.kid else jwk

    def thumbprint(self) -> str:
        """The RFC 7638 SHA-256 thumbprint of the public key, base64url."""
        return thumbprint(self.public_jwk())

    def sign(self, claims: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> str:
        """A compact JWS of ``claims`` signed with this key (``kid`` in the header when
        known; ``headers`` over it)."""
        jwt = require_jose("Signing with the client's key")
        header = {"kid": self.kid} if self.kid else {}
        header.update(headers or {})
        return str(jwt.encode(dict(claims), self.private, algorithm=self.alg, headers=header))


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: its required members
    only, in lexicographic order, as JSON without whitespace.

    :raises ValueError: for a key type other than ``RSA``, ``EC`` and ``OKP``.
    """
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}
    required = members.get(str(jwk.get("kty")))
    if required is None:
        raise ValueError(f"no thumbprint for key type {jwk.get('kty')!r}")
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _jwk(key: Any, private: bool) -> dict[str, Any]:
    """``key`` (a cryptography private key) as a JWK; its private parts if ``private``."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        public = numbers.public_numbers
        jwk: dict[str, Any] = {
            "kty": "RSA",
            "n": b64url(_bytes(public.n)),
            "e": b64url(_bytes(public.e)),
        }
        if private:
            for name, value in (
                ("d", numbers.d),
                ("p", numbers.p),
                ("q", numbers.q),
                ("dp", numbers.dmp1),
                ("dq", numbers.dmq1),
                ("qi", numbers.iqmp),
            ):
                jwk[name] = b64url(_bytes(value))
        return jwk
    if isinstance(key, ec.EllipticCurvePrivateKey):
        crv = {v: k for k, v in _EC_CURVES.items()}.get(key.curve.name.upper())
        if crv is None:
            raise ValueError(f"unsupported curve {key.curve.name}")
        size = (key.curve.key_size + 7) // 8
        point = key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": crv,
            "x": b64url(_bytes(point.x, size)),
            "y": b64url(_bytes(point.y, size)),
        }
        if private:
            jwk["d"] = b64url(_bytes(key.private_numbers().private_value, size))
        return jwk
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        if private:
            from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

            seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            jwk["d"] = b64url(seed)
        return jwk
    raise ValueError(f"unsupported key type {type(key).__name__}")


def _key_from_jwk(jwk: Mapping[str, Any]) -> Any:
    """The cryptography private key of a private JWK.

    :raises ValueError: for a public JWK, an unknown type or curve, or bad members.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    kty = jwk.get("kty")
    if "d" not in jwk:
        raise ValueError("the JWK holds no private key (d)")
    if kty == "RSA":
        n, e, d = _int(jwk["n"]), _int(jwk["e"]), _int(jwk["d"])
        if all(name in jwk for name in ("p", "q")):
            p, q = _int(jwk["p"]), _int(jwk["q"])
        else:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
        numbers = rsa.RSAPrivateNumbers(
            p,
            q,
            d,
            rsa.rsa_crt_dmp1(d, p),
            rsa.rsa_crt_dmq1(d, q),
            rsa.rsa_crt_iqmp(p, q),
            rsa.RSAPublicNumbers(e, n),
        )
        return numbers.private_key()
    if kty == "EC":
        curve = _EC_CURVES.get(str(jwk.get("crv")))
        if curve is None:
            raise ValueError(f"unsupported curve {jwk.get('crv')!r}")
        key = ec.derive_private_key(_int(jwk["d"]), getattr(ec, curve)())
        point = key.public_key().public_numbers()
        if (point.x, point.y) != (_int(jwk["x"]), _int(jwk["y"])):
            raise ValueError("the JWK's public point is not its private key's")
        return key
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(_unb64(jwk["d"]))
    raise ValueError(f"unsupported key type {kty!r}")


def _default_alg(key: Any) -> str:
    """The algorithm a key signs with unless told: RS256, ES256/384/512 by curve, EdDSA."""
    jwk = _jwk(key, private=False)
    if jwk["kty"] == "RSA":
        return "RS256"
    if jwk["kty"] == "EC":
        return _EC_ALGS[jwk["crv"]]
    return "EdDSA"


def _fits(key: Any, alg: str) -> bool:
    """Whether ``key`` can sign with ``alg``."""
    jwk = _jwk(key, private=False)
    needed = ALGORITHMS.get(alg)
    return needed == "RSA" if jwk["kty"] == "RSA" else needed == jwk.get("crv")


def load_key(value: Any, kid: str | None = None, alg: str | None = None) -> SigningKey:
    """Read the client's private key.

    :param value: a PEM private key (text or bytes, unencrypted), a private JWK (a dict
        or its JSON text), a :class:`SigningKey`, or a cryptography private key.
    :param kid: its key id; a JWK's own ``kid`` otherwise.
    :param alg: the algorithm to sign with; a JWK's own ``alg``, else the key's usual
        one (RS256, ES256/ES384/ES512 by curve, EdDSA).
    :raises OAuthException: ``invalid_configuration`` for a key that cannot be read or
        that does not fit ``alg`` (the message never holds the key).
    :raises ImportError: without cryptography.
    """
    require_jose("A client private key")
    if isinstance(value, SigningKey):
        kid, alg, value = kid or value.kid, alg or value.alg, value.private
    try:
        if isinstance(value, str) and value.lstrip().startswith("{"):
            value = json.loads(value)
        if isinstance(value, Mapping):
            kid = kid or value.get("kid")
            alg = alg or value.get("alg")
            private = _key_from_jwk(value)
        elif isinstance(value, str | bytes):
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            data = value.encode("utf-8") if isinstance(value, str) else value
            private = load_pem_private_key(data, password=None)
        else:
            private = value
        alg = alg or _default_alg(private)
        fits = alg in ALGORITHMS and _fits(private, alg)
    except (ValueError, TypeError, KeyError, ArithmeticError):
        raise OAuthException(
            "the client's private key cannot be read (PEM, or a private JWK)",
            type="invalid_configuration",
        ) from None
    if not fits:
        raise OAuthException(
            f"the client's private key cannot sign with {alg}", type="invalid_configuration"
        )
    return SigningKey(private, alg, str(kid) if kid else None)


def generate_key(alg: str) -> SigningKey:
    """A new private key for ``alg`` (RSA 2048 bits, the curve of ES*, Ed25519).

    :raises OAuthException: ``invalid_configuration`` for an algorithm not in
        :data:`ALGORITHMS`.
    """
    require_jose("A client key")
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    needed = ALGORITHMS.get(alg)
    if needed is None:
        raise OAuthException(f"cannot make a key for {alg!r}", type="invalid_configuration")
    if needed == "RSA":
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif needed == "Ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = ec.generate_private_key(getattr(ec, _EC_CURVES[needed])())
    return SigningKey(private, alg)
