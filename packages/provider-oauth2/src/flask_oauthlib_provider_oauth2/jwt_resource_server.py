"""A resource server of its own, with no database, verifying the JWT access tokens
(RFC 9068) of an authorization server against its published keys::

    verifier = JWTAccessTokenVerifier(
        issuer="https://auth.example.com",
        jwks_uri="https://auth.example.com/oauth/jwks",
        audience="https://api.example.com",
    )

    @app.route("/api/me")
    @verifier.require_jwt("profile")
    def me():
        return {"sub": request.oauth.access_token.sub}

A token bound to a DPoP key (its ``cnf.jkt``, RFC 9449) is accepted only as
``Authorization: DPoP <token>`` with a proof of that key for this request; each proof
once (``replay_store``: share one between the processes of the resource server).

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response
from flask import request as flask_request

from .config import OAuth2Settings
from .dpop_proof import InvalidDPoPProof, check_proof, record_proof
from .jwks import ALGORITHMS, Key, KeySet, load_key
from .replay import MemoryReplayStore, ReplayStore
from .rfc6750 import TOKEN_SYNTAX, BearerRequest, bearer_error
from .rfc9068 import LEEWAY, InvalidJWTAccessToken, JWTAccessToken, UnknownKey, decode_access_token
from .validation import scopes_match

__all__ = ["JWTAccessTokenVerifier"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: the largest JWK Set read from ``jwks_uri``, in bytes
MAX_JWKS_SIZE = 1024 * 1024


class JWTAccessTokenVerifier:
    """Verifies the JWT access tokens of one authorization server, with no database: a
    resource server of its own configures the issuer, its keys (a JWK Set, or the URL
    of its JWKS endpoint, fetched when first needed, kept ``cache_seconds`` and fetched
    again, at most every ``refetch_interval`` seconds, for a ``kid`` it lacks) and its
    own resource identifier.

    :param issuer: the authorization server's issuer identifier (``iss``).
    :param audience: this resource server's identifier (or several): ``aud`` must name
        one of them.
    :param jwks: the authorization server's public keys, a JWK Set dict.
    :param jwks_uri: the URL of its JWKS (``jwks_uri`` of its metadata), instead.
    :param algorithms: the algorithms accepted.
    :param timeout: seconds for fetching ``jwks_uri``.
    :param realm: the ``realm`` of refusals' challenges.
    :param replay_store: where DPoP proofs are recorded (one process's memory if
        ``None``).
    :param dpop_settings: the DPoP rules (``OAUTH2_PROVIDER_DPOP_*`` keys, as a dict),
        the defaults if ``None``.

    .. versionadded:: 1.1
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Iterable[str],
        *,
        jwks: Mapping[str, Any] | None = None,
        jwks_uri: str | None = None,
        algorithms: Collection[str] = ALGORITHMS,
        timeout: float = 5.0,
        cache_seconds: float = 300.0,
        refetch_interval: float = 30.0,
        leeway: float = LEEWAY,
        realm: str | None = None,
        require_all_scopes: bool = True,
        replay_store: ReplayStore | None = None,
        dpop_settings: Mapping[str, Any] | None = None,
    ) -> None:
        if (jwks is None) == (jwks_uri is None):
            raise ValueError("give the issuer's keys as jwks or jwks_uri (one of them)")
        if jwks_uri is not None and not jwks_uri.startswith(("https://", "http://")):
            raise ValueError("jwks_uri must be an https (or, for tests, http) URL")
        self.issuer = issuer
        self.audiences = [audience] if isinstance(audience, str) else list(audience)
        self.jwks_uri = jwks_uri
        self.algorithms = tuple(algorithms)
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self.leeway = leeway
        self.realm = realm
        self.require_all_scopes = require_all_scopes
        self.replay_store: ReplayStore = replay_store or MemoryReplayStore()
        self.dpop = OAuth2Settings.from_config(dpop_settings or {})
        self._keys: KeySet | None = public_key_set(jwks) if jwks is not None else None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _fetch(self) -> KeySet:
        url = cast(str, self.jwks_uri)
        with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310 - the configured jwks_uri
            body = answer.read(MAX_JWKS_SIZE + 1)
        if len(body) > MAX_JWKS_SIZE:
            raise ValueError("the JWKS document is too large")
        return public_key_set(json.loads(body))

    def keys(self, refresh: bool = False) -> KeySet:
        """The issuer's keys, fetched from ``jwks_uri`` when stale (or ``refresh``)."""
        if self.jwks_uri is None:
            return cast(KeySet, self._keys)
        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = self._keys is None or age > self.cache_seconds
            if stale or (refresh and age > self.refetch_interval):
                try:
                    self._keys = self._fetch()
                    self._fetched_at = time.monotonic()
                except Exception as exc:  # network, JSON, keys: keep what we had
                    log.warning("the JWKS at %s cannot be fetched: %s", self.jwks_uri, exc)
                    if self._keys is None:
                        raise InvalidJWTAccessToken(
                            "The authorization server's keys cannot be fetched."
                        ) from exc
            return cast(KeySet, self._keys)

    def verify(self, token: str) -> JWTAccessToken:
        """The verified token (a DPoP-bound one has ``dpop_jkt``; :meth:`require_jwt`
        also checks its proof).

        :raises InvalidJWTAccessToken: when it is not a valid token of the issuer for
            this resource.
        """
        if not isinstance(token, str) or not TOKEN_SYNTAX.fullmatch(token):
            raise InvalidJWTAccessToken("The access token is malformed.")

        def decode(keys: KeySet) -> dict[str, Any]:
            return decode_access_token(
                token,
                keys,
                issuer=self.issuer,
                audiences=self.audiences,
                algorithms=self.algorithms,
                leeway=self.leeway,
            )

        try:
            claims = decode(self.keys())
        except UnknownKey:
            if self.jwks_uri is None:
                raise
            claims = decode(self.keys(refresh=True))  # the issuer may have rotated its keys
        return JWTAccessToken.from_claims(token, claims)

    def _check_binding(self, scheme: str, token: JWTAccessToken) -> None:
        """A bound token only as ``DPoP`` with a proof of its key for this request, an
        unbound one only as ``Bearer`` (RFC 9449 7)."""
        jkt = token.dpop_jkt
        if scheme == "bearer":
            if jkt:
                raise InvalidJWTAccessToken("The access token is DPoP-bound: send it as DPoP.")
            return
        if not jkt:
            raise InvalidJWTAccessToken("The access token is not DPoP-bound.")
        proofs = flask_request.headers.getlist("DPoP")
        if len(proofs) != 1:
            raise InvalidDPoPProof(description="One DPoP proof is required.")
        proof = check_proof(
            proofs[0], flask_request.method, flask_request.url, self.dpop, token.access_token
        )
        if proof.jkt != jkt:
            raise InvalidJWTAccessToken("The DPoP proof is not of the token's key.")
        record_proof(self.replay_store, proof, self.dpop)

    def _refusal(self, scheme: str, error: str | None, description: str, status: int) -> Response:
        realm = self.realm or flask_request.host
        answer = bearer_error(error, description, status, realm)
        if scheme == "dpop":
            challenge = answer.headers["WWW-Authenticate"].replace("Bearer ", "DPoP ", 1)
            algs = " ".join(self.dpop.dpop_algorithms)
            answer.headers["WWW-Authenticate"] = f'{challenge}, algs="{algs}"'
        return answer

    def require_jwt(self, *scopes: str) -> Callable[[F], F]:
        """Protect a view: it runs only with a valid JWT access token carrying
        ``scopes`` (``Authorization: Bearer <token>``, or ``DPoP <token>`` with its proof
        for a bound token), and finds it as ``request.oauth.access_token``
        (``request.oauth.scopes``, ``request.oauth.client_id`` too)."""
        needed = list(scopes)

        def wrapper(f: F) -> F:
            @wraps(f)
            def decorated(*args: Any, **kwargs: Any) -> Any:
                auth = flask_request.headers.get("Authorization") or ""
                scheme, _, credentials = auth.strip().partition(" ")
                scheme = scheme.lower()
                if scheme not in ("bearer", "dpop") or not credentials.strip():
                    return self._refusal("bearer", None, "No access token was sent.", 401)
                token: JWTAccessToken | None = None
                try:
                    token = self.verify(credentials.strip())
                    self._check_binding(scheme, token)
                except InvalidDPoPProof as exc:
                    return self._refusal(scheme, exc.error, exc.description, 401)
                except InvalidJWTAccessToken as exc:
                    # a bound token sent as Bearer: a DPoP challenge (RFC 9449 7.2)
                    challenge = "dpop" if token is not None and token.dpop_jkt else scheme
                    return self._refusal(challenge, "invalid_token", str(exc), 401)
                oauth = BearerRequest(flask_request._get_current_object(), needed)  # type: ignore[attr-defined]
                oauth.require_all_scopes = self.require_all_scopes
                if needed and not scopes_match(token.scopes, needed, oauth):
                    description = "The access token lacks a scope this resource needs."
                    answer = self._refusal(scheme, "insufficient_scope", description, 403)
                    return answer
                oauth.access_token = token
                oauth.user = None
                oauth.client_id = token.client_id
                flask_request.oauth = oauth  # type: ignore[attr-defined]
                return f(*args, **kwargs)

            return cast(F, decorated)

        return wrapper


def public_key_set(document: Any) -> KeySet:
    """The signing keys of a JWK Set (public members only are read)."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWK Set is an object with a 'keys' list")
    keys: list[Key] = []
    for jwk in document["keys"]:
        if not isinstance(jwk, Mapping) or jwk.get("use", "sig") != "sig":
            continue
        public = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e", "kid")}
        try:
            keys.append(load_key(public))
        except (ValueError, TypeError, KeyError):
            continue  # a key type or size this verifier does not use
    return KeySet(keys)
