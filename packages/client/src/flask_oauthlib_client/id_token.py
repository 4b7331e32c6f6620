"""The verification of an OpenID Connect ID token (OpenID Connect Core 1.0, 3.1.3.7).

:func:`verify_id_token` checks, independently of Flask and of any remote app:

- the signature, with a key of the provider's JWK Set (a :data:`KeySource`, asked again
  once when the token names a key the set lacks); only asymmetric algorithms
  (:data:`ALGORITHMS`) are accepted, never ``none`` or an HMAC keyed with a public key;
- ``iss``, ``aud`` and ``azp`` (the client id), ``exp``, ``iat`` and ``nbf`` with
  :data:`LEEWAY` seconds of clock difference, ``sub``;
- ``auth_time``, a number when present, required when the login asked for ``max_age``,
  and then no older than ``max_age`` seconds (with the leeway; section 3.1.2.1);
- the ``nonce`` of the login and ``at_hash`` when present.

A refusal raises :class:`~flask_oauthlib_client.OAuthException` whose ``type`` names the
check (:data:`REFUSALS`). Tokens and claims are never logged. The OpenID Connect part of
a remote app (:mod:`~flask_oauthlib_client.oidc`) calls it on each login.

JOSE comes from PyJWT with cryptography, the extra ``flask-oauthlib-client[oidc]``,
imported only when a token is verified.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from flask_oauthlib_core import equal_secrets, utcnow

from .exceptions import OAuthException

__all__ = [
    "ALGORITHMS",
    "LEEWAY",
    "OIDC_EXTRA",
    "REFUSALS",
    "KeySource",
    "at_hash",
    "refuse",
    "require_jwt",
    "verify_id_token",
]

#: the extra that brings PyJWT with cryptography
OIDC_EXTRA = "flask-oauthlib-client[oidc]"
#: seconds of clock difference allowed with the provider on ``exp``, ``iat``, ``nbf`` and
#: ``auth_time``
LEEWAY = 60
#: the signature algorithms an ID token may use, with the key type each needs
ALGORITHMS: Mapping[str, str] = {
    **{f"{family}{bits}": "RSA" for family in ("RS", "PS") for bits in (256, 384, 512)},
    **{f"ES{bits}": "EC" for bits in (256, 384, 512)},
    "EdDSA": "OKP",
}
#: the curve of each ECDSA algorithm (RFC 7518 section 3.4)
CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "EdDSA": ("Ed25519", "Ed448")}
#: ``OAuthException.type`` of each refusal
REFUSALS = {
    "invalid_id_token": "no ID token, not a signed JWT, or a claim missing or malformed",
    "invalid_algorithm": "alg is none, an HMAC, unknown, or does not fit the key",
    "unknown_key": "the provider's key set lacks the key, even fetched again",
    "invalid_signature": "the signature does not verify",
    "invalid_issuer": "iss is not the provider's issuer",
    "invalid_audience": "aud does not hold the client id, or azp is another client",
    "id_token_expired": "exp has passed (beyond the leeway)",
    "invalid_nonce": "the nonce is not the one of this login",
    "invalid_at_hash": "at_hash does not match the access token",
    "missing_auth_time": "the login asked for max_age and auth_time is missing",
    "login_too_old": "auth_time is older than the login's max_age (beyond the leeway)",
    "invalid_jwks": "the provider's key set is not a JSON object with a list of keys",
}

#: ``(refetch) -> JWK Set``: the provider's keys; ``refetch=True`` asks for them again
KeySource = Callable[[bool], Mapping[str, Any]]

log = logging.getLogger(__name__)


def require_jwt() -> Any:
    """Import PyJWT (with cryptography) and return the ``jwt`` module.

    :raises ImportError: naming the extra to install when either is missing.
    """
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError as exc:
        raise ImportError(
            "OpenID Connect logins (scope 'openid') verify the ID token with PyJWT and"
            f' cryptography: pip install "{OIDC_EXTRA}"'
        ) from exc
    if not has_crypto:
        raise ImportError(
            "PyJWT is installed without cryptography, which ID token signatures need:"
            f' pip install "{OIDC_EXTRA}"'
        )
    return jwt


def at_hash(access_token: str, alg: str) -> str:
    """The ``at_hash`` of ``access_token`` for an ID token signed with ``alg``: the left
    half of its hash (SHA-2 of the algorithm's size; SHA-512 for EdDSA), base64url.

    :raises ValueError: for an algorithm not in :data:`ALGORITHMS`.
    """
    if alg not in ALGORITHMS:
        raise ValueError(f"no at_hash for alg {alg!r}")
    digest = hashlib.new("sha512" if alg == "EdDSA" else f"sha{alg[2:]}", access_token.encode())
    half = digest.digest()[: digest.digest_size // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def refuse(kind: str, message: str) -> OAuthException:
    """The exception refusing an ID token, logged (its ``kind`` only, never the token).

    :param kind: its ``type``, a key of :data:`REFUSALS`.
    :param message: what was wrong, completing "The ID token was refused: ".
    """
    log.warning("refused an ID token: %s", kind)
    return OAuthException(f"The ID token was refused: {message}", type=kind)


def verify_id_token(
    id_token: str,
    *,
    client_id: str,
    issuer: str,
    keys: KeySource,
    nonce: str | None,
    access_token: str | None = None,
    max_age: int | None = None,
    leeway: float = LEEWAY,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify an ID token (OpenID Connect Core 1.0, 3.1.3.7) and return its claims.

    ::

        claims = verify_id_token(
            token["id_token"], client_id="my-app", issuer="https://id.example",
            keys=lambda refetch: requests.get(jwks_uri).json(), nonce=sent_nonce,
            access_token=token["access_token"],
        )

    :param id_token: the compact JWS.
    :param client_id: the client id, which ``aud`` must hold (and ``azp`` be, if set).
    :param issuer: the provider's issuer identifier, which ``iss`` must equal. A
        ``{tenantid}`` in it (Microsoft's multi-tenant metadata) stands for the
        token's ``tid`` claim.
    :param keys: returns the provider's JWK Set; called again with ``True`` (once) when
        the token names a key the set lacks.
    :param nonce: the nonce sent with the authorization request, which ``nonce`` must
        equal; ``None`` to skip the check (a refreshed ID token).
    :param access_token: the access token issued with it, which ``at_hash`` (when
        present) must match.
    :param max_age: the ``max_age`` (seconds) of the authorization request: the token
        must then have an ``auth_time`` no older than that (section 3.1.2.1); ``None``
        when none was sent. ``auth_time``, when present, must be a number either way.
    :param leeway: seconds of clock difference allowed on ``exp``, ``iat``, ``nbf`` and
        ``auth_time``.
    :param now: the time to check against (seconds since the epoch); the clock's now.
    :raises OAuthException: see :data:`REFUSALS` for the ``type`` of each refusal.
    :raises ImportError: without PyJWT and cryptography.
    """
    jwt = require_jwt()
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise refuse("invalid_id_token", "it is not a signed JWT (JWS compact form)")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise refuse("invalid_id_token", "its header cannot be read") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise refuse("invalid_algorithm", "only asymmetric signatures are accepted")
    if "crit" in header:
        raise refuse("invalid_id_token", "it names critical extensions")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise refuse("invalid_id_token", "its kid is not a string")
    payload = _verified_payload(jwt, id_token, alg, kid, keys)
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise refuse("invalid_id_token", "its payload is not a JSON object")
    moment = utcnow().timestamp() if now is None else now
    _check_claims(claims, client_id, issuer, leeway, moment)
    _check_auth_time(claims, max_age, leeway, moment)
    _check_bindings(claims, alg, nonce, access_token)
    return claims


def _verified_payload(jwt: Any, id_token: str, alg: str, kid: str | None, keys: KeySource) -> bytes:
    """The payload of ``id_token`` once a key of the provider verifies its signature."""
    named = _named(keys(False), kid, alg)
    if not named:
        named = _named(keys(True), kid, alg)
    if not named:
        raise refuse("unknown_key", "the provider's key set lacks the key that signed it")
    fitting = [jwk for jwk in named if _fits(jwk, alg)]
    if not fitting:
        raise refuse("invalid_algorithm", f"no key of the provider is for {alg}")
    for jwk in fitting:
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
        except Exception:  # a malformed JWK fails in many ways; it verifies nothing
            log.debug("skipped a key of the provider that cannot be read")
            continue
        try:
            decoded = jwt.PyJWS().decode_complete(id_token, key=key, algorithms=[alg])
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise refuse("invalid_id_token", "it is not a well-formed JWS") from None
        return decoded["payload"]  # type: ignore[no-any-return]
    raise refuse("invalid_signature", "its signature does not verify")


def _named(document: Mapping[str, Any], kid: str | None, alg: str) -> list[dict[str, Any]]:
    """The signing keys of ``document`` with the ``kid`` (any, without one, that fit
    ``alg``)."""
    found = []
    for jwk in document.get("keys") or ():
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        ops = jwk.get("key_ops")
        if isinstance(ops, list) and "verify" not in ops:
            continue
        if kid is None and _fits(jwk, alg) or kid is not None and jwk.get("kid") == kid:
            found.append(jwk)
    return found


def _fits(jwk: Mapping[str, Any], alg: str) -> bool:
    """Whether ``jwk`` may verify a signature made with ``alg``."""
    if jwk.get("kty") != ALGORITHMS[alg] or jwk.get("alg", alg) != alg:
        return False
    curves = CURVES.get(alg)
    return curves is None or jwk.get("crv") in ((curves,) if isinstance(curves, str) else curves)


def _number(claims: Mapping[str, Any], name: str, required: bool = True) -> float | None:
    """The time claim ``name`` in seconds; ``None`` when absent and not ``required``.

    :raises OAuthException: ``invalid_id_token`` when missing (and required), or not a
        finite JSON number (a string, a boolean, ``NaN``, ``Infinity``, a huge integer).
    """
    value = claims.get(name)
    if value is None and not required:
        return None
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            pass
    if not math.isfinite(number):
        raise refuse("invalid_id_token", f"{name} is missing or not a number")
    return number


def _check_claims(
    claims: Mapping[str, Any], client_id: str, issuer: str, leeway: float, now: float
) -> None:
    """``iss``, ``aud``, ``azp``, ``sub`` and the times of verified claims."""
    expected = issuer
    if "{tenantid}" in issuer and isinstance(claims.get("tid"), str):
        expected = issuer.replace("{tenantid}", claims["tid"])
    iss = claims.get("iss")
    if not isinstance(iss, str) or "{" in expected or iss != expected:
        raise refuse("invalid_issuer", "it comes from another issuer than the provider")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise refuse("invalid_audience", "it is not meant for this client (aud)")
    azp = claims.get("azp")
    if azp is None and len(audiences) > 1:
        raise refuse("invalid_audience", "it has several audiences and no azp")
    if azp is not None and azp != client_id:
        raise refuse("invalid_audience", "it was issued to another client (azp)")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise refuse("invalid_id_token", "sub is missing or malformed")
    exp = _number(claims, "exp")
    if exp is not None and exp + leeway <= now:
        raise refuse("id_token_expired", "it has expired")
    for name in ("iat", "nbf"):
        moment = _number(claims, name, required=name == "iat")
        if moment is not None and moment > now + leeway:
            raise refuse("invalid_id_token", f"its {name} lies in the future")


def _check_auth_time(
    claims: Mapping[str, Any], max_age: int | None, leeway: float, now: float
) -> None:
    """``auth_time``: a number; with ``max_age``, present and no older than that."""
    auth_time = _number(claims, "auth_time", required=False)
    if max_age is None:
        return
    if auth_time is None:
        raise refuse("missing_auth_time", "the login asked for max_age and it has no auth_time")
    if auth_time + max_age + leeway < now:
        raise refuse("login_too_old", f"the user logged in more than max_age ({max_age} s) ago")


def _check_bindings(
    claims: Mapping[str, Any], alg: str, nonce: str | None, access_token: str | None
) -> None:
    """The ``nonce`` of this login and the ``at_hash`` of its access token."""
    if nonce is not None:
        given = claims.get("nonce")
        if not isinstance(given, str) or not equal_secrets(given, nonce):
            raise refuse("invalid_nonce", "its nonce is not the one of this login")
    given_hash = claims.get("at_hash")
    if given_hash is not None and access_token is not None:
        if not isinstance(given_hash, str) or not equal_secrets(
            given_hash, at_hash(access_token, alg)
        ):
            raise refuse("invalid_at_hash", "at_hash does not match the access token")
