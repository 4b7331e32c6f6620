"""Signing keys: the key set of a provider, its JWKS document (RFC 7517), signing and
verifying JWTs, and new keys for ``flask oidc generate-key``.

One home for keys: OpenID Connect signs ID tokens with them today; JWT access tokens,
DPoP and client assertions are to use the same set. Keys come from
``OAUTH2_PROVIDER_OIDC_KEYS``: a list, newest first, or a callable (or import string)
returning one, so keys can rotate without a restart. Each entry is a private key (PEM
text, a JWK dict with its private members, or a ``cryptography`` key object) or a
retired public key that still verifies tokens signed before the rotation. RSA keys
(2048 bits or more) sign ``RS256``, P-256 keys ``ES256``; a key's ``kid`` is its JWK's,
or else its RFC 7638 thumbprint.

The newest private key of an algorithm signs; every key is published.

PyJWT (``flask-oauthlib-provider-oauth2[oidc]``) is imported when a token is signed or
verified, never when this module is imported.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from flask_oauthlib_core import import_callable

from .features import EndpointCall, Feature

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "ALGORITHMS",
    "JWKS",
    "Key",
    "KeySet",
    "NoSigningKey",
    "generate_key",
    "key_set",
    "load_key",
]

#: the signing algorithms keys are used with, by key type
ALGORITHMS = ("RS256", "ES256")
#: what to install when PyJWT or cryptography is missing
INSTALL_HINT = 'pip install "flask-oauthlib-provider-oauth2[oidc]"'


log = logging.getLogger(__name__)

#: the JWKS endpoint's answer when ``OAUTH2_PROVIDER_OIDC_KEYS`` cannot be read
KEYS_UNREADABLE = "The provider's keys cannot be read."


class NoSigningKey(RuntimeError):
    """No key of the provider can sign with the algorithm asked for."""


def _b64(number: int, length: int = 0) -> str:
    """The base64url of an unsigned big-endian integer (of ``length`` bytes, if given:
    EC coordinates keep their leading zeros)."""
    raw = number.to_bytes(length or (number.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
    except ImportError as exc:  # pragma: no cover - the extra pulls it in
        raise ImportError(f"signing keys need cryptography: {INSTALL_HINT}") from exc
    return ec, rsa


def _jwt() -> Any:
    try:
        import jwt
    except ImportError as exc:
        raise ImportError(f"OpenID Connect needs PyJWT with cryptography: {INSTALL_HINT}") from exc
    return jwt


@dataclass(frozen=True)
class Key:
    """One key of a :class:`KeySet`: its ``kid``, the algorithm it is used with, the
    public JWK published for it, and the private key when it can sign."""

    kid: str
    alg: str
    jwk: Mapping[str, str] = field(repr=False)
    public: Any = field(repr=False)
    private: Any = field(default=None, repr=False)

    @property
    def can_sign(self) -> bool:
        return self.private is not None


def _public_members(public: Any) -> tuple[str, dict[str, str]]:
    """The algorithm and the RFC 7638 required members of ``public``'s JWK."""
    ec, rsa = _crypto()
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise ValueError(f"an RSA signing key needs 2048 bits or more, not {public.key_size}")
        numbers = public.public_numbers()
        return "RS256", {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise ValueError(f"an EC signing key must be on P-256 (ES256), not {public.curve.name}")
        numbers = public.public_numbers()
        return "ES256", {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64(numbers.x, 32),
            "y": _b64(numbers.y, 32),
        }
    raise ValueError(f"signing keys are RSA or EC P-256 keys, not {type(public).__name__}")


def thumbprint(members: Mapping[str, str]) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of a JWK's required members."""
    canonical = json.dumps(dict(sorted(members.items())), separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _from_objects(private: Any, public: Any, kid: str | None) -> Key:
    alg, members = _public_members(public)
    kid = kid or thumbprint(members)
    jwk = {**members, "kid": kid, "alg": alg, "use": "sig"}
    return Key(kid=kid, alg=alg, jwk=jwk, public=public, private=private)


def _from_object(obj: Any, kid: str | None = None) -> Key:
    if hasattr(obj, "public_key"):  # a private key
        return _from_objects(obj, obj.public_key(), kid)
    return _from_objects(None, obj, kid)


@lru_cache(maxsize=64)
def _from_pem(pem: bytes) -> Key:
    from cryptography.hazmat.primitives import serialization

    if b"PRIVATE KEY" in pem:
        try:
            private = serialization.load_pem_private_key(pem, password=None)
        except TypeError as exc:  # cryptography: "Password was not given but ..."
            raise ValueError(
                "the private key is encrypted: give it decrypted (load it yourself with"
                " its password and pass the key object)"
            ) from exc
        return _from_object(private)
    return _from_object(serialization.load_pem_public_key(pem))


def _int(jwk: Mapping[str, Any], name: str) -> int:
    value = str(jwk[name])
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _jwk_object(jwk: Mapping[str, Any]) -> Any:
    """The ``cryptography`` key of an RSA or EC JWK (private when it has ``d``)."""
    ec, rsa = _crypto()
    if jwk.get("kty") == "RSA":
        public = rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n"))
        if "d" not in jwk:
            return public.public_key()
        d = _int(jwk, "d")
        if "p" in jwk and "q" in jwk:
            p, q = _int(jwk, "p"), _int(jwk, "q")
        else:
            p, q = rsa.rsa_recover_prime_factors(public.n, public.e, d)
        private = rsa.RSAPrivateNumbers(
            p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
        )
        return private.private_key()
    if jwk.get("kty") == "EC":
        if jwk.get("crv") != "P-256":
            raise ValueError(f"an EC signing key must be on P-256, not {jwk.get('crv')!r}")
        point = ec.EllipticCurvePublicNumbers(_int(jwk, "x"), _int(jwk, "y"), ec.SECP256R1())
        if "d" not in jwk:
            return point.public_key()
        return ec.EllipticCurvePrivateNumbers(_int(jwk, "d"), point).private_key()
    raise ValueError(f"signing keys are RSA or EC JWKs, not kty={jwk.get('kty')!r}")


@lru_cache(maxsize=64)
def _from_jwk(text: str) -> Key:
    jwk = json.loads(text)
    try:
        obj = _jwk_object(jwk)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a usable JWK: {exc}") from exc
    return _from_object(obj, jwk.get("kid"))


def load_key(entry: Any) -> Key:
    """A :class:`Key` from PEM text (``str`` or ``bytes``), a JWK ``dict``, or a
    ``cryptography`` RSA or EC key object, private or public.

    :raises ValueError: for anything else, an RSA key under 2048 bits or an EC key not
        on P-256.
    """
    if isinstance(entry, Key):
        return entry
    if isinstance(entry, str):
        entry = entry.encode("utf-8")
    if isinstance(entry, bytes):
        if b"-----BEGIN" not in entry:
            raise ValueError("a signing key given as text must be PEM (-----BEGIN ...)")
        return _from_pem(entry.strip())
    if isinstance(entry, Mapping):
        return _from_jwk(json.dumps(dict(entry), sort_keys=True))
    return _from_object(entry)


class KeySet:
    """The keys of a provider, newest first: the first private key of an algorithm signs
    with it, and every key is published (:meth:`jwks`) and verifies.

    ::

        keys = KeySet.load([new_private_pem, old_private_pem, retired_public_jwk])
        token = keys.sign({"sub": "alice"}, "RS256")
        claims = keys.verify(token)
    """

    def __init__(self, keys: Iterable[Key]) -> None:
        self.keys: tuple[Key, ...] = tuple(keys)

    @classmethod
    def load(cls, entries: Iterable[Any]) -> KeySet:
        """The key set of ``entries`` (see :func:`load_key`); a ``kid`` named twice is an
        error, as a verifier could not tell the keys apart."""
        keys = [load_key(entry) for entry in entries]
        kids = [key.kid for key in keys]
        twice = sorted({kid for kid in kids if kids.count(kid) > 1})
        if twice:
            raise ValueError(f"two signing keys have the kid {twice[0]!r}")
        return cls(keys)

    def algorithms(self) -> list[str]:
        """The algorithms a private key of this set signs with, in :data:`ALGORITHMS`
        order."""
        return [alg for alg in ALGORITHMS if any(k.alg == alg and k.can_sign for k in self.keys)]

    def signing_key(self, alg: str) -> Key:
        """The newest private key for ``alg``.

        :raises NoSigningKey: when the set has none.
        """
        for key in self.keys:
            if key.alg == alg and key.can_sign:
                return key
        raise NoSigningKey(
            f"no {alg} signing key is configured: set OAUTH2_PROVIDER_OIDC_KEYS to a list of"
            f" private keys (flask oidc generate-key --alg {alg} makes one)"
        )

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set of every key (RFC 7517 5), newest first."""
        return {"keys": [dict(key.jwk) for key in self.keys]}

    def sign(self, claims: Mapping[str, Any], alg: str) -> str:
        """A JWS compact JWT of ``claims`` signed by :meth:`signing_key` for ``alg``,
        its ``kid`` in the header."""
        key = self.signing_key(alg)
        token = _jwt().encode(dict(claims), key.private, algorithm=alg, headers={"kid": key.kid})
        return token if isinstance(token, str) else token.decode("ascii")

    def verify(self, token: str, *, audience: str | None = None, expired_ok: bool = False) -> Any:
        """The claims of ``token`` after checking its signature with the key its ``kid``
        names (and its ``exp``, unless ``expired_ok``; its ``aud`` when ``audience`` is
        given).

        :raises ValueError: when the token is not one these keys signed.
        """
        jwt = _jwt()
        try:
            header = jwt.get_unverified_header(token)
            key = next(k for k in self.keys if k.kid == header.get("kid"))
            options = {"verify_exp": not expired_ok, "verify_aud": audience is not None}
            return jwt.decode(
                token, key.public, algorithms=[key.alg], audience=audience, options=options
            )
        except (StopIteration, jwt.PyJWTError) as exc:
            raise ValueError("the token was not signed by a key of this provider") from exc


#: what ``OAUTH2_PROVIDER_OIDC_KEYS`` may hold
KeySource = Sequence[Any] | Callable[[], Sequence[Any]] | str | None


def key_set(source: KeySource) -> KeySet:
    """The key set a ``OAUTH2_PROVIDER_OIDC_KEYS`` value stands for, read now: a list,
    one PEM key, a callable returning a list, or the import string of one. Parsed keys
    are cached, so calling this on each request costs little."""
    if isinstance(source, str) and "-----BEGIN" not in source:
        source = import_callable(source)
    if callable(source):
        source = source()
    if source is None:
        return KeySet(())
    if isinstance(source, str | bytes | Mapping):
        source = [source]
    return KeySet.load(source)


def generate_key(alg: str = "RS256", bits: int = 2048) -> Any:
    """A new private key for ``alg`` (an RSA key of ``bits`` bits, or a P-256 key),
    as a ``cryptography`` key object."""
    ec, rsa = _crypto()
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"keys are made for {' or '.join(ALGORITHMS)}, not {alg!r}")


def private_pem(key: Any) -> str:
    """``key`` as unencrypted PKCS #8 PEM text."""
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii")  # type: ignore[no-any-return]


def private_jwk(key: Any) -> dict[str, Any]:
    """``key`` (an RSA or P-256 private key) as a private JWK with its ``kid`` (the
    RFC 7638 thumbprint)."""
    ec, rsa = _crypto()
    public = load_key(key)
    numbers = key.private_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        extra = {
            "d": _b64(numbers.d),
            "p": _b64(numbers.p),
            "q": _b64(numbers.q),
            "dp": _b64(numbers.dmp1),
            "dq": _b64(numbers.dmq1),
            "qi": _b64(numbers.iqmp),
        }
    else:
        extra = {"d": _b64(numbers.private_value, 32)}
    return {**public.jwk, **extra}


def publishes_keys(settings: Any) -> bool:
    """Whether the JWKS endpoint serves: OpenID Connect is on, access tokens are JWTs
    (``OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT = "jwt"``, RFC 9068), or signing keys are
    configured (a client may ask for JWT access tokens of its own)."""
    return bool(
        settings.oidc_enabled
        or getattr(settings, "access_token_format", "opaque") == "jwt"
        or getattr(settings, "oidc_keys", None)
    )


class JWKS(Feature):
    """The JWK Set endpoint (``jwks_uri``): the public keys of
    ``OAUTH2_PROVIDER_OIDC_KEYS``, served by a view decorated with
    ``oauth.endpoint_handler("jwks")`` when OpenID Connect is on, access tokens are
    JWTs or signing keys are configured.

    .. versionadded:: 1.1
    """

    endpoints: ClassVar[Mapping[str, str]] = {"jwks": "jwks_uri"}

    def serves(self, kind: str, server: Server) -> bool:
        return publishes_keys(server.settings)

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        settings = server.settings

        def answer(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            if not publishes_keys(settings):
                return {"Content-Type": "application/json"}, '{"error": "not_found"}', 404
            try:
                document = json.dumps(key_set(settings.oidc_keys).jwks())
            except (ValueError, ImportError) as exc:  # the app's keys, not the request
                log.error("the signing keys cannot be read: %s", exc)
                error = {"error": "server_error", "error_description": KEYS_UNREADABLE}
                return {"Content-Type": "application/json"}, json.dumps(error), 500
            return {"Content-Type": "application/json"}, document, 200

        return answer
