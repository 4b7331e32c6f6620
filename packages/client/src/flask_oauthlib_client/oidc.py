"""OpenID Connect: the ID token of a login, verified; the provider's userinfo endpoint.

When the scope of an OAuth 2 login holds ``openid``, the authorization request carries
a one-time ``nonce`` kept with the pending login (:mod:`~flask_oauthlib_client.pending`),
and :meth:`~flask_oauthlib_client.OAuthRemoteApp.authorized_response` verifies the
``id_token`` of the token response before returning it (OpenID Connect Core 1.0,
section 3.1.3.7) with :func:`verify_id_token`:

- the signature, with a key of the provider's JWK Set (the ``jwks_uri`` of the metadata
  document at ``server_metadata_url``, cached per Flask app, fetched again once when
  the token names a key the cached set lacks: see :mod:`~flask_oauthlib_client.jwks`);
  only asymmetric algorithms (:data:`ALGORITHMS`) are accepted, never ``none`` or an
  HMAC keyed with a public key;
- ``iss`` (the remote app's ``issuer``, or the metadata's), ``aud`` and ``azp`` (the
  client id), ``exp``, ``iat`` and ``nbf`` with :data:`LEEWAY` seconds of clock
  difference, ``sub``, the ``nonce`` of this login (used once: the pending login is
  consumed), and ``at_hash`` when present.

The verified claims are added to the token data as ``id_token_claims``. A refusal
raises :class:`~flask_oauthlib_client.OAuthException` whose ``type`` names the check
(:data:`REFUSALS`). Tokens, codes and claims are never logged.

JOSE comes from PyJWT with cryptography, the extra ``flask-oauthlib-client[oidc]``,
imported only when a login asks for ``openid``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask_oauthlib_core import equal_secrets, utcnow

from .exceptions import OAuthException
from .jwks import JwksCache, fetch_jwks, jwks_cache
from .settings import SettingsSource, config_app

if TYPE_CHECKING:
    from .response import OAuthResponse
    from .settings import Registry
    from .transport import HTTPCall

__all__ = [
    "ALGORITHMS",
    "CLAIMS_KEY",
    "LEEWAY",
    "OIDC_EXTRA",
    "REFUSALS",
    "KeySource",
    "OpenIDConnect",
    "at_hash",
    "require_jwt",
    "verify_id_token",
    "wants_openid",
]

#: the extra that brings PyJWT with cryptography
OIDC_EXTRA = "flask-oauthlib-client[oidc]"
#: seconds of clock difference allowed with the provider on ``exp``, ``iat`` and ``nbf``
LEEWAY = 60
#: the key of the verified claims in the token data
CLAIMS_KEY = "id_token_claims"
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


def wants_openid(scope: Any) -> bool:
    """Whether ``scope`` (a space-separated string, or a list of scopes) holds ``openid``."""
    if isinstance(scope, bytes):
        scope = scope.decode("utf-8", "replace")
    if isinstance(scope, str):
        scope = scope.replace(",", " ").split()
    return isinstance(scope, Iterable) and "openid" in list(scope)


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


def _refuse(kind: str, message: str) -> OAuthException:
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
    :param leeway: seconds of clock difference allowed on ``exp``, ``iat``, ``nbf``.
    :param now: the time to check against (seconds since the epoch); the clock's now.
    :raises OAuthException: see :data:`REFUSALS` for the ``type`` of each refusal.
    :raises ImportError: without PyJWT and cryptography.
    """
    jwt = require_jwt()
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise _refuse("invalid_id_token", "it is not a signed JWT (JWS compact form)")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise _refuse("invalid_id_token", "its header cannot be read") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise _refuse("invalid_algorithm", "only asymmetric signatures are accepted")
    if "crit" in header:
        raise _refuse("invalid_id_token", "it names critical extensions")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise _refuse("invalid_id_token", "its kid is not a string")
    payload = _verified_payload(jwt, id_token, alg, kid, keys)
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise _refuse("invalid_id_token", "its payload is not a JSON object")
    _check_claims(claims, client_id, issuer, leeway, utcnow().timestamp() if now is None else now)
    _check_bindings(claims, alg, nonce, access_token)
    return claims


def _verified_payload(jwt: Any, id_token: str, alg: str, kid: str | None, keys: KeySource) -> bytes:
    """The payload of ``id_token`` once a key of the provider verifies its signature."""
    named = _named(keys(False), kid, alg)
    if not named:
        named = _named(keys(True), kid, alg)
    if not named:
        raise _refuse("unknown_key", "the provider's key set lacks the key that signed it")
    fitting = [jwk for jwk in named if _fits(jwk, alg)]
    if not fitting:
        raise _refuse("invalid_algorithm", f"no key of the provider is for {alg}")
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
            raise _refuse("invalid_id_token", "it is not a well-formed JWS") from None
        return decoded["payload"]  # type: ignore[no-any-return]
    raise _refuse("invalid_signature", "its signature does not verify")


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
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _refuse("invalid_id_token", f"{name} is missing or not a number")
    return float(value)


def _check_claims(
    claims: Mapping[str, Any], client_id: str, issuer: str, leeway: float, now: float
) -> None:
    """``iss``, ``aud``, ``azp``, ``sub`` and the times of verified claims."""
    expected = issuer
    if "{tenantid}" in issuer and isinstance(claims.get("tid"), str):
        expected = issuer.replace("{tenantid}", claims["tid"])
    iss = claims.get("iss")
    if not isinstance(iss, str) or "{" in expected or iss != expected:
        raise _refuse("invalid_issuer", "it comes from another issuer than the provider")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or client_id not in audiences:
        raise _refuse("invalid_audience", "it is not meant for this client (aud)")
    azp = claims.get("azp")
    if azp is None and len(audiences) > 1:
        raise _refuse("invalid_audience", "it has several audiences and no azp")
    if azp is not None and azp != client_id:
        raise _refuse("invalid_audience", "it was issued to another client (azp)")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise _refuse("invalid_id_token", "sub is missing or malformed")
    exp = _number(claims, "exp")
    if exp is not None and exp + leeway <= now:
        raise _refuse("id_token_expired", "it has expired")
    for name in ("iat", "nbf"):
        moment = _number(claims, name, required=name == "iat")
        if moment is not None and moment > now + leeway:
            raise _refuse("invalid_id_token", f"its {name} lies in the future")


def _check_bindings(
    claims: Mapping[str, Any], alg: str, nonce: str | None, access_token: str | None
) -> None:
    """The ``nonce`` of this login and the ``at_hash`` of its access token."""
    if nonce is not None:
        given = claims.get("nonce")
        if not isinstance(given, str) or not equal_secrets(given, nonce):
            raise _refuse("invalid_nonce", "its nonce is not the one of this login")
    given_hash = claims.get("at_hash")
    if given_hash is not None and access_token is not None:
        if not isinstance(given_hash, str) or not equal_secrets(
            given_hash, at_hash(access_token, alg)
        ):
            raise _refuse("invalid_at_hash", "at_hash does not match the access token")


class OpenIDConnect:
    """The OpenID Connect part of :class:`~flask_oauthlib_client.OAuthRemoteApp`, through
    :class:`~flask_oauthlib_client.oauth2.OAuth2Flow`: the nonce of a login, the
    verification of its ID token, :meth:`userinfo`.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        oauth: Registry
        consumer_key: str
        issuer: str | None
        _settings: SettingsSource

        @property
        def server_metadata(self) -> dict[str, Any]: ...
        def get_request_token(self) -> Any: ...
        def get(self, *args: Any, **kwargs: Any) -> OAuthResponse: ...

        _http: HTTPCall

    def userinfo(self, token: Any = None) -> dict[str, Any]:
        """Ask the provider's userinfo endpoint about the user (OpenID Connect Core 5.3).

        The endpoint is the ``userinfo_endpoint`` of the metadata document; the request
        carries the access token as any :meth:`request` does (refreshed first if it
        expires). When the token holds the verified claims of its ID token, the
        answer's ``sub`` must be theirs::

            token = google.authorized_response()
            profile = google.userinfo(token)  # {"sub": ..., "email": ..., ...}

        :param token: the token; the :meth:`tokengetter`'s by default.
        :returns: the claims the endpoint answered.
        :raises OAuthException: ``invalid_configuration`` without a userinfo endpoint in
            the metadata; ``invalid_userinfo`` for an answer that is not ``200`` with a
            JSON object, without ``sub``, or with another ``sub`` than the ID token's.

        .. versionadded:: 1.1
        """
        url = self._oidc_metadata("userinfo_endpoint")
        resp = self.get(url, token=token)
        data = resp.data
        if resp.status != 200 or not isinstance(data, dict):
            raise OAuthException(
                f"{self.name}: the userinfo endpoint answered {resp.status} without a JSON"
                " object (signed or encrypted answers are not supported)",
                type="invalid_userinfo",
                data=data,
            )
        stored = token if token is not None else self.get_request_token()
        claims = stored.get(CLAIMS_KEY) if isinstance(stored, Mapping) else None
        sub = data.get("sub")
        expected = claims.get("sub") if isinstance(claims, Mapping) else None
        if not isinstance(sub, str) or (expected is not None and sub != expected):
            log.warning("%s: refused a userinfo answer: sub mismatch", self.name)
            raise OAuthException(
                f"{self.name}: the userinfo answer is about another user than the ID token",
                type="invalid_userinfo",
            )
        return data

    def _openid_nonce(self, query: dict[str, Any], given: Any = None) -> str:
        """Put the nonce of a login that asks for ``openid`` in ``query``; return it.

        :param given: a ``nonce`` passed to this ``authorize()`` call, used as is; a
            random one otherwise (one in :attr:`request_token_params` would be the same
            for every login, so it is replaced).

        :raises ImportError: without the ``oidc`` extra, before the user is sent away.
        :raises OAuthException: ``invalid_configuration`` without ``server_metadata_url``.
        """
        require_jwt()
        if not self._settings.get("server_metadata_url"):
            raise OAuthException(
                f"{self.name}: the scope asks for openid, whose ID token is verified with"
                " the provider's keys: set server_metadata_url (its discovery document)",
                type="invalid_configuration",
            )
        nonce = str(given or secrets.token_urlsafe(24))
        query["nonce"] = nonce
        return nonce

    def _verify_login(self, data: dict[str, Any], nonce: str | None) -> dict[str, Any]:
        """Verify the ID token of a login's token response; return its claims.

        :raises OAuthException: ``invalid_id_token`` without an ID token,
            ``invalid_nonce`` when the login kept no nonce, or a refusal of
            :func:`verify_id_token`.
        """
        id_token = data.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise _refuse("invalid_id_token", "the token response holds no id_token")
        if nonce is None:
            raise _refuse("invalid_nonce", "this login kept no nonce")
        return self._verify(id_token, nonce, data.get("access_token"))

    def _verify_refreshed(self, old: Mapping[str, Any], new: dict[str, Any]) -> None:
        """Carry the claims of ``old`` over to ``new``, or verify ``new``'s own ID token
        (OpenID Connect Core 12.2: same subject, no nonce)."""
        claims = old.get(CLAIMS_KEY)
        if not isinstance(claims, Mapping):
            return
        id_token = new.get("id_token")
        if not isinstance(id_token, str) or not id_token or id_token == old.get("id_token"):
            new.setdefault(CLAIMS_KEY, dict(claims))
            return
        fresh = self._verify(id_token, None, new.get("access_token"))
        if fresh.get("sub") != claims.get("sub"):
            raise _refuse("invalid_id_token", "the refreshed ID token is about another user")
        new[CLAIMS_KEY] = fresh

    def _verify(self, id_token: str, nonce: str | None, access_token: Any) -> dict[str, Any]:
        issuer = self.issuer
        if not issuer:
            raise OAuthException(
                f"{self.name}: no issuer to check the ID token against: set issuer, or a"
                " server_metadata_url whose document has one",
                type="invalid_configuration",
            )
        return verify_id_token(
            id_token,
            client_id=self.consumer_key,
            issuer=issuer,
            keys=self._provider_keys,
            nonce=nonce,
            access_token=access_token if isinstance(access_token, str) else None,
        )

    def _provider_keys(self, refetch: bool) -> Mapping[str, Any]:
        """The provider's JWK Set, cached per Flask app (see :mod:`~.jwks`)."""
        url = self._oidc_metadata("jwks_uri")
        try:
            cache = jwks_cache(config_app(self.oauth))
        except RuntimeError:  # no app at all: settings given directly, OAuth() unbound
            cache = JwksCache()
        return cache.get(url, lambda where: fetch_jwks(self.name, where, self._http), refetch)

    def _oidc_metadata(self, key: str) -> str:
        """The URL ``key`` of the metadata document.

        :raises OAuthException: ``invalid_configuration`` if it has none.
        """
        value = None
        if self._settings.get("server_metadata_url"):
            value = self.server_metadata.get(key)
        if not isinstance(value, str) or not value:
            raise OAuthException(
                f"{self.name}: the provider's metadata (server_metadata_url) has no {key}",
                type="invalid_configuration",
            )
        return value
