"""The public keys of a client, and verifying the JWTs it signs with them.

A client registers its keys by value, as a JWK Set (its ``jwks``: a dict or its JSON
text), or by reference, as the ``https`` URL of one (its ``jwks_uri``); both are read
from the client object's attributes of those names, or else from its
``client_metadata`` dict. A key set is checked before use: public keys only (a member
such as ``d`` is refused), at most :data:`MAX_KEYS` keys, RSA keys of 2048 bits or more.

A ``jwks_uri`` is fetched with :func:`~.client_id_metadata_fetch.fetch_document` (no
private addresses, no redirects, one deadline, a size limit of
``OAUTH2_PROVIDER_CLIENT_JWKS_MAX_SIZE``), with the ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_*``
policy for the rest (timeout, private addresses, CA bundle, cache bounds), and kept in a
:class:`~.client_id_metadata_fetch.DocumentCache` as HTTP caching allows. A JWT naming a
``kid`` the kept set lacks makes it fetched again (the client rotated its keys), at most
once per :data:`REFETCH_INTERVAL` seconds for one URL.

:func:`verify_client_jwt` is what client assertions (RFC 7523), request objects
(RFC 9101) and other client-signed JWTs use: asymmetric algorithms only (never ``none``,
never HMAC), the key the header names, ``aud``, and ``exp`` (required), ``nbf`` and
``iat`` with :data:`LEEWAY` seconds of clock skew. Its :class:`ClientJWTError` messages
are safe to send to the client: they never hold the token or a key.

PyJWT (``flask-oauthlib-provider-oauth2[oidc]``) is imported when a token is verified,
never when this module is imported.

::

    claims = verify_client_jwt(
        client, assertion, audience=issuer, settings=oauth.settings, typ="JWT"
    )

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .client_id_metadata_fetch import (
    DocumentCache,
    FetchError,
    FetchPolicy,
    cache_lifetime,
    fetch_document,
    tls_context,
)
from .jwks import _jwt

if TYPE_CHECKING:
    from .config import OAuth2Settings

__all__ = [
    "DEFAULT_ALGORITHMS",
    "ClientJWTError",
    "ClientKey",
    "check_jwks",
    "client_key_source",
    "client_keys",
    "parse_jwks",
    "verify_client_jwt",
]

log = logging.getLogger(__name__)

#: the algorithms :func:`verify_client_jwt` accepts unless told otherwise (``EdDSA``
#: only where PyJWT and cryptography support it)
DEFAULT_ALGORITHMS: tuple[str, ...] = ("RS256", "PS256", "ES256", "EdDSA")
#: the key type (and EC curve) each asymmetric algorithm signs with
KEY_TYPES: Mapping[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
#: JWK members that only a private (or symmetric) key has (RFC 7518 6.2.2, 6.3.2, 6.4.1)
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: the most keys one client's set may hold
MAX_KEYS = 32
#: the longest JWT read, in characters
MAX_TOKEN_LENGTH = 65536
#: the longest ``jwks`` given as JSON text, in characters
MAX_JWKS_LENGTH = 65536
#: seconds of clock skew allowed for ``exp``, ``nbf`` and ``iat``
LEEWAY = 30
#: a ``jwks_uri`` is fetched again for an unknown ``kid`` at most this often (seconds)
REFETCH_INTERVAL = 60.0
#: ``jwks_uri`` documents fetched at once by one process; more are refused at once
MAX_FETCHES = 8
#: the ``kid`` of a JWT header, at most this long
MAX_KID_LENGTH = 256


class ClientJWTError(ValueError):
    """A client's JWT (or key set) is not acceptable; the message says why and is safe
    to show the client.

    .. versionadded:: 1.1
    """


@dataclass(frozen=True)
class ClientKey:
    """One public key of a client: its JWK ``kid``, ``kty``, ``crv`` and ``alg`` (each
    ``None`` when the JWK has none) and the ``cryptography`` key object."""

    kid: str | None
    kty: str
    crv: str | None
    alg: str | None
    key: Any

    def fits(self, alg: str) -> bool:
        """Whether this key verifies signatures made with ``alg``."""
        kty, crv = KEY_TYPES.get(alg, ("", None))
        if self.kty != kty or (self.alg is not None and self.alg != alg):
            return False
        if kty == "OKP":
            return self.crv in ("Ed25519", "Ed448")
        return crv is None or self.crv == crv


# -- key sets -------------------------------------------------------------------------------


def check_jwks(value: Any) -> dict[str, Any]:
    """The JWK Set ``value`` (a dict or its JSON text) if its shape is right: an object
    with ``keys``, a list of at most :data:`MAX_KEYS` objects, each with a ``kty``
    string and no private member.

    :raises ClientJWTError: otherwise.

    .. versionadded:: 1.1
    """
    if isinstance(value, str | bytes):
        if len(value) > MAX_JWKS_LENGTH:
            raise ClientJWTError("The JWK Set is too large.")
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ClientJWTError("The JWK Set is not JSON.") from exc
    if not isinstance(value, Mapping) or not isinstance(value.get("keys"), list):
        raise ClientJWTError("The JWK Set must be an object with a 'keys' list.")
    keys = value["keys"]
    if len(keys) > MAX_KEYS:
        raise ClientJWTError(f"The JWK Set holds more than {MAX_KEYS} keys.")
    for jwk in keys:
        if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kty"), str):
            raise ClientJWTError("Each key of the JWK Set must be an object with a 'kty'.")
        if PRIVATE_MEMBERS.intersection(jwk):
            raise ClientJWTError("The JWK Set must hold public keys only.")
        for name in ("kid", "alg", "use", "crv"):
            if name in jwk and not isinstance(jwk[name], str):
                raise ClientJWTError(f"A key's '{name}' must be a string.")
    return dict(value)


def _key_object(jwk: Mapping[str, Any]) -> Any:
    """The ``cryptography`` public key of ``jwk`` (``None`` for a key type not used to
    sign)."""
    algorithms = _jwt().algorithms
    kty = jwk["kty"]
    text = json.dumps(dict(jwk))
    if kty == "RSA":
        key = algorithms.RSAAlgorithm.from_jwk(text)
        if key.key_size < 2048:
            raise ClientJWTError("An RSA key of the client has fewer than 2048 bits.")
        return key
    if kty == "EC":
        return algorithms.ECAlgorithm.from_jwk(text)
    if kty == "OKP" and jwk.get("crv") in ("Ed25519", "Ed448"):
        okp = getattr(algorithms, "OKPAlgorithm", None)
        return None if okp is None else okp.from_jwk(text)
    return None


@lru_cache(maxsize=256)
def _parse(text: str) -> tuple[ClientKey, ...]:
    document = json.loads(text)
    keys = []
    for jwk in document["keys"]:
        if jwk.get("use", "sig") != "sig":
            continue
        ops = jwk.get("key_ops")
        if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
            continue
        try:
            key = _key_object(jwk)
        except ClientJWTError:
            raise
        except Exception as exc:  # PyJWT raises several types for a malformed JWK
            raise ClientJWTError("A key of the JWK Set is malformed.") from exc
        if key is not None:
            keys.append(ClientKey(jwk.get("kid"), jwk["kty"], jwk.get("crv"), jwk.get("alg"), key))
    return tuple(keys)


def parse_jwks(value: Any) -> tuple[ClientKey, ...]:
    """The signing keys of the JWK Set ``value`` (a dict or its JSON text), checked by
    :func:`check_jwks`; keys meant for encryption and key types that do not sign are
    left out. Parsed sets are cached.

    :raises ClientJWTError: for a set :func:`check_jwks` refuses or a malformed key.

    .. versionadded:: 1.1
    """
    document = check_jwks(value)
    try:
        text = json.dumps(document, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ClientJWTError("The JWK Set is not JSON.") from exc
    return _parse(text)


def client_key_source(client: Any) -> tuple[Any, str | None]:
    """The client's ``(jwks, jwks_uri)``: its attributes of those names, else the entries
    of its ``client_metadata`` dict (each ``None`` when missing).

    .. versionadded:: 1.1
    """
    metadata = getattr(client, "client_metadata", None)
    metadata = metadata if isinstance(metadata, Mapping) else {}
    jwks = getattr(client, "jwks", None) or metadata.get("jwks")
    jwks_uri = getattr(client, "jwks_uri", None) or metadata.get("jwks_uri")
    return jwks or None, jwks_uri if isinstance(jwks_uri, str) and jwks_uri else None


# -- jwks_uri -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    keys: tuple[ClientKey, ...] | None
    reason: str = ""


class _UriKeys:
    """The key sets fetched under one fetch policy, by URL."""

    def __init__(self, policy: FetchPolicy, bounds: tuple[float, float], errors: float, size: int):
        self.policy = policy
        self.bounds = bounds
        self.error_lifetime = errors
        self.size = size
        self.cache: DocumentCache[_Loaded] = DocumentCache(size)
        self._refetched: OrderedDict[str, float] = OrderedDict()
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._fetching = threading.BoundedSemaphore(MAX_FETCHES)

    def _tls(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                try:
                    self._context = tls_context(self.policy.ca_bundle)
                except (OSError, ValueError) as exc:
                    raise FetchError("the CA bundle cannot be read") from exc
            return self._context

    def _load(self, url: str) -> tuple[_Loaded, float]:
        if not self._fetching.acquire(blocking=False):
            log.warning("jwks_uri %r not fetched: too many at once", url)
            return _Loaded(None, "The client's jwks_uri cannot be fetched now."), 0.0
        try:
            fetched = fetch_document(url, self.policy, self._tls())
            lifetime = cache_lifetime(fetched.headers, *self.bounds, now=time.time())
            keys = parse_jwks(fetched.body)
        except FetchError as exc:
            log.warning("jwks_uri %r not fetched: %s", url, exc)
            return _Loaded(None, "The client's jwks_uri cannot be fetched."), self.error_lifetime
        except ClientJWTError as exc:
            log.warning("jwks_uri %r refused: %s", url, exc)
            return _Loaded(None, "The client's jwks_uri holds no usable JWK Set."), (
                self.error_lifetime
            )
        except Exception as exc:  # never a 500 for what a remote server sent
            log.warning("jwks_uri %r refused: unexpected %s", url, type(exc).__name__)
            return _Loaded(None, "The client's jwks_uri cannot be fetched."), self.error_lifetime
        finally:
            self._fetching.release()
        log.debug("fetched the jwks_uri %r", url)
        return _Loaded(keys), lifetime

    def keys(self, url: str) -> tuple[ClientKey, ...]:
        loaded = self.cache.get_or_load(url, lambda: self._load(url))
        if loaded.keys is None:
            raise ClientJWTError(loaded.reason)
        return loaded.keys

    def refetch(self, url: str) -> bool:
        """Forget the set of ``url`` so the next :meth:`keys` fetches it, unless that was
        done less than :data:`REFETCH_INTERVAL` seconds ago."""
        now = time.monotonic()
        with self._lock:
            last = self._refetched.get(url)
            if last is not None and now - last < REFETCH_INTERVAL:
                return False
            self._refetched[url] = now
            self._refetched.move_to_end(url)
            while len(self._refetched) > self.size:
                self._refetched.popitem(last=False)
        self.cache.forget(url)
        return True


_URI_KEYS: dict[tuple[Any, ...], _UriKeys] = {}
_URI_KEYS_LOCK = threading.Lock()


def _uri_keys(settings: OAuth2Settings) -> _UriKeys:
    """The fetched key sets of the fetch policy ``settings`` give (one per policy, shared
    by the apps of a process that have the same)."""
    policy = FetchPolicy(
        timeout=settings.client_id_metadata_timeout,
        max_size=settings.client_jwks_max_size,
        allow_private_addresses=settings.client_id_metadata_allow_private_addresses,
        ca_bundle=settings.client_id_metadata_ca_bundle,
    )
    bounds = (
        float(settings.client_id_metadata_cache_min),
        float(settings.client_id_metadata_cache_max),
    )
    errors = float(settings.client_id_metadata_cache_errors)
    size = settings.client_id_metadata_cache_size
    key = (policy, bounds, errors, size)
    with _URI_KEYS_LOCK:
        found = _URI_KEYS.get(key)
        if found is None:
            found = _URI_KEYS[key] = _UriKeys(policy, bounds, errors, size)
        return found


def forget_fetched_keys() -> None:
    """Drop every fetched ``jwks_uri`` set of this process (tests, key compromise)."""
    with _URI_KEYS_LOCK:
        _URI_KEYS.clear()


def client_keys(
    client: Any, settings: OAuth2Settings, *, refetch: bool = False
) -> tuple[ClientKey, ...]:
    """The signing keys of ``client`` (see :func:`client_key_source`); with ``refetch``,
    its ``jwks_uri`` is fetched again if it was not just now.

    :raises ClientJWTError: when the client has no keys, has both ``jwks`` and
        ``jwks_uri``, or its keys cannot be read or fetched.

    .. versionadded:: 1.1
    """
    jwks, jwks_uri = client_key_source(client)
    if jwks is not None and jwks_uri is not None:
        raise ClientJWTError("The client has both jwks and jwks_uri registered.")
    if jwks is not None:
        return parse_jwks(jwks)
    if jwks_uri is None:
        raise ClientJWTError("The client has no registered keys.")
    if not jwks_uri.startswith("https://"):
        raise ClientJWTError("The client's jwks_uri is not an https URL.")
    fetched = _uri_keys(settings)
    if refetch:
        fetched.refetch(jwks_uri)
    return fetched.keys(jwks_uri)


# -- verifying ------------------------------------------------------------------------------


def _header(token: Any, jwt: Any) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise ClientJWTError("The JWT is missing or too long.")
    if not token.isascii() or token.count(".") != 2:
        raise ClientJWTError("The JWT is not a signed JWT in compact form.")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise ClientJWTError("The JWT is malformed.") from exc
    if not isinstance(header, dict):
        raise ClientJWTError("The JWT is malformed.")
    return header


def _typ_matches(found: Any, expected: str) -> bool:
    """RFC 7515 4.1.9: ``application/`` may be left out, and case does not matter."""

    def norm(value: str) -> str:
        value = value.lower()
        return value[len("application/") :] if value.startswith("application/") else value

    return isinstance(found, str) and norm(found) == norm(expected)


def _accepted(algorithms: Collection[str], jwt: Any) -> set[str]:
    available = set(jwt.algorithms.get_default_algorithms())
    return {alg for alg in algorithms if alg in KEY_TYPES and alg in available}


def verify_client_jwt(
    client: Any,
    token: str,
    *,
    audience: str | Collection[str],
    settings: OAuth2Settings,
    algorithms: Collection[str] = DEFAULT_ALGORITHMS,
    typ: str | None = None,
) -> dict[str, Any]:
    """The claims of ``token``, a JWT ``client`` signed with one of its keys.

    Checked: the algorithm (one of ``algorithms`` that is asymmetric: never ``none`` or
    HMAC, whatever is passed), the signature with the key the header's ``kid`` names (or,
    without one, any key of the client that fits the algorithm), ``typ`` when given
    (``application/`` optional, RFC 7515 4.1.9), ``aud`` (one of ``audience``), ``exp``
    (required), ``nbf`` and ``iat`` (when present), each with :data:`LEEWAY` seconds of
    clock skew. A ``kid`` the client's ``jwks_uri`` set lacks makes the set fetched again
    once (rate-limited). The caller checks ``iss``, ``sub``, ``jti`` and the rest.

    :param audience: what ``aud`` must hold (one of them, for a collection).
    :param settings: the app's settings (``oauth.settings``), for fetching ``jwks_uri``.
    :raises ClientJWTError: with a message safe to send to the client.

    .. versionadded:: 1.1
    """
    jwt = _jwt()
    header = _header(token, jwt)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in _accepted(algorithms, jwt):
        raise ClientJWTError("The JWT's signing algorithm is not accepted.")
    if "crit" in header:
        raise ClientJWTError("The JWT has critical header parameters this server does not know.")
    if typ is not None and not _typ_matches(header.get("typ"), typ):
        raise ClientJWTError(f"The JWT's typ must be {typ}.")
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or len(kid) > MAX_KID_LENGTH):
        raise ClientJWTError("The JWT's kid is malformed.")

    def candidates(refetch: bool) -> list[ClientKey]:
        keys = client_keys(client, settings, refetch=refetch)
        return [k for k in keys if k.fits(alg) and (kid is None or k.kid == kid)]

    found = candidates(False)
    if not found and kid is not None:
        _, jwks_uri = client_key_source(client)
        if jwks_uri is not None:  # the client may have rotated its keys
            found = candidates(True)
    if not found:
        raise ClientJWTError("No key of the client verifies the JWT.")
    audiences = [audience] if isinstance(audience, str) else list(audience)
    options = {"require": ["exp"], "verify_aud": True}
    for key in found:
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audiences,
                leeway=LEEWAY,
                options=options,
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError as exc:
            raise ClientJWTError("The JWT has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise ClientJWTError("The JWT is not valid yet (nbf or iat).") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise ClientJWTError(f"The JWT has no {exc.claim} claim.") from exc
        except jwt.InvalidAudienceError as exc:
            raise ClientJWTError("The JWT's aud does not name this server.") from exc
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
            raise ClientJWTError("The JWT is malformed or its claims are invalid.") from exc
        if not isinstance(claims, dict):
            raise ClientJWTError("The JWT's claims are not an object.")
        iat = claims.get("iat")  # older PyJWT releases accept an iat in the future
        if isinstance(iat, int | float) and not isinstance(iat, bool):
            if iat > time.time() + LEEWAY:
                raise ClientJWTError("The JWT is not valid yet (nbf or iat).")
        return claims
    raise ClientJWTError("The JWT's signature is invalid.")
