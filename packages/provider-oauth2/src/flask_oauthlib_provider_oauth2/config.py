"""The ``OAUTH2_PROVIDER_*`` configuration keys, their defaults, and the settings an app
resolves from them.

Every key is set with ``app.config.setdefault`` in :meth:`OAuth2Provider.init_app`, so
``app.config`` shows the defaults. The provider reads the keys once per app, on its
first OAuth request, into an :class:`OAuth2Settings`; the server, the metadata document
and resource protection all use that one object, so they never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import current_app

from flask_oauthlib_core import AppState, import_callable

__all__ = ["DEFAULTS", "OAuth2Settings", "current_state"]

DEFAULTS: dict[str, Any] = {
    # where fatal authorization errors are shown (a path or URL) ...
    "OAUTH2_PROVIDER_ERROR_URI": None,
    # ... or the endpoint name of the app's error page
    "OAUTH2_PROVIDER_ERROR_ENDPOINT": None,
    # access token lifetime in seconds (or a callable taking the oauthlib request)
    "OAUTH2_PROVIDER_TOKEN_EXPIRES_IN": 3600,
    # callables (or import strings) generating access and refresh tokens
    "OAUTH2_PROVIDER_TOKEN_GENERATOR": None,
    "OAUTH2_PROVIDER_REFRESH_TOKEN_GENERATOR": None,
    # the implicit (response_type=token) and password grants; RFC 9700 advises off
    "OAUTH2_PROVIDER_ALLOW_IMPLICIT": True,
    "OAUTH2_PROVIDER_ALLOW_PASSWORD": True,
    # PKCE: "public" (public clients must use it), "all", or "none"
    "OAUTH2_PROVIDER_PKCE_REQUIRED": "public",
    # accept code_challenge_method=plain
    "OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN": False,
    # a token must carry every scope require_oauth names (False: any one, as in 0.9.6)
    "OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES": True,
    # accept bearer tokens in the query string or form body, not only the header
    "OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY": False,
    # the issuer identifier: sent as ``iss`` on authorization responses (RFC 9207) and
    # in the metadata document; without it metadata uses the request's host URL
    "OAUTH2_PROVIDER_ISSUER": None,
    # resource indicators (RFC 8707): the resources clients may name with ``resource``
    # (``None``: any absolute URI); the identifiers of the resources this app serves
    # (``require_oauth`` then accepts only tokens meant for one of them, and RFC 9728
    # metadata describes them); whether a token without any audience is still accepted
    "OAUTH2_PROVIDER_ALLOWED_RESOURCES": None,
    "OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS": None,
    "OAUTH2_PROVIDER_ALLOW_TOKENS_WITHOUT_AUDIENCE": True,
    # issue a new refresh token on every refresh (and revoke the old one when storage can)
    "OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS": True,
    # device flow (RFC 8628, oauthlib 4.x): where users enter their code (a URL or an
    # endpoint name), how long device codes live, the polling interval
    "OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI": None,
    "OAUTH2_PROVIDER_DEVICE_EXPIRES_IN": 600,
    "OAUTH2_PROVIDER_DEVICE_INTERVAL": 5,
    # refuse a consent POST without the session's csrf_token (a token that is sent is
    # always checked, and cross-site consent always refused)
    "OAUTH2_PROVIDER_CSRF_REQUIRED": False,
    # OpenID Connect (the ``openid`` scope): off unless switched on; the signing keys
    # (a list, newest first, or a callable / import string returning one), the ID
    # token's algorithm and lifetime, and whether authentication requests need a nonce
    "OAUTH2_PROVIDER_OIDC_ENABLED": False,
    "OAUTH2_PROVIDER_OIDC_KEYS": None,
    "OAUTH2_PROVIDER_OIDC_ID_TOKEN_ALG": "RS256",
    "OAUTH2_PROVIDER_OIDC_ID_TOKEN_EXPIRES_IN": 3600,
    "OAUTH2_PROVIDER_OIDC_REQUIRE_NONCE": True,
    # dynamic client registration (RFC 7591) and management (RFC 7592): off unless
    # switched on; the scopes a registered client may ask for (all of them when it names
    # none), and the seconds a client secret it gets lives (0: it never expires)
    "OAUTH2_PROVIDER_REGISTRATION_ENABLED": False,
    "OAUTH2_PROVIDER_REGISTRATION_SCOPES": None,
    "OAUTH2_PROVIDER_REGISTRATION_SECRET_EXPIRES_IN": 0,
    # client ID metadata documents (a ``client_id`` that is the https URL of the
    # client's metadata): off unless switched on; the scopes such a client may ask for
    # (``None``: those of REGISTRATION_SCOPES); fetching (private addresses refused
    # unless allowed, a CA bundle replacing the system's, the largest document in bytes,
    # seconds for the whole fetch); caching (the bounds of a document's lifetime in
    # seconds, how long a failure is kept, how many documents)
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS": False,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES": None,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES": False,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CA_BUNDLE": None,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_MAX_SIZE": 5120,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_TIMEOUT": 5,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_MIN": 60,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_MAX": 3600,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_ERRORS": 30,
    "OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_SIZE": 1000,
    # DPoP (RFC 9449, needs PyJWT): sender-constrained tokens for clients that send
    # proofs; the algorithms proofs may use (asymmetric only); how old (seconds) and how
    # far in the future a proof's iat may be; server nonces (a stateless HMAC keyed by
    # DPOP_NONCE_SECRET, else SECRET_KEY) and their lifetime in seconds
    "OAUTH2_PROVIDER_DPOP_ENABLED": True,
    "OAUTH2_PROVIDER_DPOP_SIGNING_ALGS": ["ES256", "RS256", "PS256", "EdDSA"],
    "OAUTH2_PROVIDER_DPOP_MAX_AGE": 60,
    "OAUTH2_PROVIDER_DPOP_LEEWAY": 5,
    "OAUTH2_PROVIDER_DPOP_NONCE": False,
    "OAUTH2_PROVIDER_DPOP_NONCE_SECRET": None,
    "OAUTH2_PROVIDER_DPOP_NONCE_LIFETIME": 300,
    # the largest JWK Set fetched from a client's jwks_uri, in bytes (the other limits of
    # that fetch are the CLIENT_ID_METADATA_* ones above)
    "OAUTH2_PROVIDER_CLIENT_JWKS_MAX_SIZE": 65536,
    # pushed authorization requests (RFC 9126): seconds a request_uri lives, and whether
    # every client must push its authorization requests
    "OAUTH2_PROVIDER_PAR_EXPIRES_IN": 60,
    "OAUTH2_PROVIDER_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": False,
    # request objects (RFC 9101): whether every client must send a signed one
    "OAUTH2_PROVIDER_REQUIRE_SIGNED_REQUEST_OBJECT": False,
    # JWT assertions (RFC 7523: private_key_jwt, client_secret_jwt and the JWT bearer
    # grant): the most seconds their exp may lie in the future
    "OAUTH2_PROVIDER_ASSERTION_MAX_LIFETIME": 3600,
    # the JWT bearer authorization grant (RFC 7523 2.1): off unless issuers are trusted;
    # a dict of issuer to its keys (a JWK Set dict, or the https URL of one)
    "OAUTH2_PROVIDER_JWT_BEARER_ISSUERS": None,
    # JWT access tokens (RFC 9068): "opaque" (the default) or "jwt" (a client's
    # access_token_format overrides it), their signing algorithm (with the keys of
    # OAUTH2_PROVIDER_OIDC_KEYS), their default audience (None: the issuer), and whether
    # require_oauth also asks the tokengetter whether a JWT access token was revoked
    "OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT": "opaque",
    "OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_ALG": "RS256",
    "OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_AUDIENCE": None,
    "OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_CHECK_REVOCATION": False,
}


PKCEPolicy = Literal["public", "all", "none"]


def _pkce_policy(value: Any) -> PKCEPolicy:
    if value is True:
        return "all"
    if value is False or value is None:
        return "none"
    if value not in ("public", "all", "none"):
        raise ValueError(
            f"OAUTH2_PROVIDER_PKCE_REQUIRED must be 'public', 'all' or 'none', not {value!r}"
        )
    return value  # type: ignore[no-any-return]


def _scope_list(value: Any) -> tuple[str, ...]:
    """Scopes from a space-separated string or a list of them (``None``: none)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(dict.fromkeys(value.split()))
    return tuple(dict.fromkeys(str(scope) for scope in value))


def _resource_uris(name: str, value: Any) -> tuple[str, ...]:
    """Resource identifiers from one string or a list of them (``None``: none); each an
    absolute URI without a fragment."""
    if value is None:
        return ()
    uris = (value,) if isinstance(value, str) else tuple(str(uri) for uri in value)
    for uri in uris:
        parts = urlsplit(uri)
        if not parts.scheme or parts.fragment or "#" in uri or any(c.isspace() for c in uri):
            raise ValueError(
                f"OAUTH2_PROVIDER_{name} holds absolute URIs without a fragment, not {uri!r}"
            )
    return tuple(dict.fromkeys(uris))


def _number(name: str, value: Any, minimum: float) -> float:
    """``value`` as a number of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= minimum:
        raise ValueError(f"OAUTH2_PROVIDER_{name} must be a number >= {minimum}, not {value!r}")
    return value


def _id_token_alg(value: Any, name: str = "OIDC_ID_TOKEN_ALG") -> str:
    if value not in ("RS256", "ES256"):
        raise ValueError(f"OAUTH2_PROVIDER_{name} must be 'RS256' or 'ES256', not {value!r}")
    return str(value)


def _access_token_format(value: Any) -> Literal["opaque", "jwt"]:
    if value not in ("opaque", "jwt"):
        raise ValueError(
            f"OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT must be 'opaque' or 'jwt', not {value!r}"
        )
    return value  # type: ignore[no-any-return]


def _jwt_bearer_issuers(value: Any) -> Mapping[str, Any] | None:
    """The trusted issuers of JWT bearer grants: each a JWK Set (a dict with ``keys``)
    or the ``https`` URL of one."""
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("OAUTH2_PROVIDER_JWT_BEARER_ISSUERS maps issuers to their keys")
    for issuer, keys in value.items():
        by_value = isinstance(keys, Mapping) and isinstance(keys.get("keys"), list)
        by_reference = isinstance(keys, str) and keys.startswith("https://")
        if not isinstance(issuer, str) or not issuer or not (by_value or by_reference):
            raise ValueError(
                "OAUTH2_PROVIDER_JWT_BEARER_ISSUERS maps each issuer to a JWK Set (a dict"
                f" with 'keys') or the https URL of one, not {issuer!r}: {type(keys).__name__}"
            )
    return dict(value)


def _dpop_algorithms(value: Any) -> tuple[str, ...]:
    """The DPoP proof algorithms: a subset of the asymmetric ones supported."""
    algs = (value,) if isinstance(value, str) else tuple(str(alg) for alg in value or ())
    allowed = ("ES256", "RS256", "PS256", "EdDSA")
    if not algs or any(alg not in allowed for alg in algs):
        raise ValueError(
            f"OAUTH2_PROVIDER_DPOP_SIGNING_ALGS holds some of {', '.join(allowed)}, not {value!r}"
        )
    return tuple(dict.fromkeys(algs))


def _dpop_nonce_secret(config: Mapping[str, Any], enabled: bool) -> bytes:
    """The key of DPoP server nonces: ``OAUTH2_PROVIDER_DPOP_NONCE_SECRET`` or the
    app's ``SECRET_KEY``, required while nonces are on."""
    secret = config.get("OAUTH2_PROVIDER_DPOP_NONCE_SECRET") or config.get("SECRET_KEY")
    if not secret:
        if enabled:
            raise ValueError(
                "OAUTH2_PROVIDER_DPOP_NONCE needs OAUTH2_PROVIDER_DPOP_NONCE_SECRET or SECRET_KEY"
            )
        return b""
    return secret if isinstance(secret, bytes) else str(secret).encode("utf-8")


@dataclass(frozen=True)
class OAuth2Settings:
    """The ``OAUTH2_PROVIDER_*`` config of one app, resolved once.

    Built by :meth:`from_config` on the app's first OAuth request (after the app's
    factory set its config); ``oauth.settings`` shows the current app's. Changing
    ``app.config`` later has no effect until a storage function is registered again.
    (``OAUTH2_PROVIDER_ERROR_URI`` and ``OAUTH2_PROVIDER_ERROR_ENDPOINT`` are read when
    an error page is shown.)

    .. versionadded:: 1.1
    """

    token_expires_in: int | Callable[[Any], int] = 3600
    token_generator: Callable[[Any], str] | None = None
    refresh_token_generator: Callable[[Any], str] | None = None
    allow_implicit: bool = True
    allow_password: bool = True
    pkce_required: PKCEPolicy = "public"
    pkce_allow_plain: bool = False
    require_all_scopes: bool = True
    allow_token_in_query: bool = False
    issuer: str | None = None
    allowed_resources: tuple[str, ...] | None = None
    resource_identifiers: tuple[str, ...] = ()
    allow_tokens_without_audience: bool = True
    rotate_refresh_tokens: bool = True
    device_verification_uri: str | None = None
    device_expires_in: int = 600
    device_interval: int = 5
    csrf_required: bool = False
    oidc_enabled: bool = False
    oidc_keys: Any = None
    oidc_id_token_alg: str = "RS256"  # noqa: S105 - an algorithm name
    oidc_id_token_expires_in: int = 3600
    oidc_require_nonce: bool = True
    registration_enabled: bool = False
    registration_scopes: tuple[str, ...] = ()
    registration_secret_expires_in: int = 0
    client_id_metadata_documents: bool = False
    client_id_metadata_scopes: tuple[str, ...] = ()
    client_id_metadata_allow_private_addresses: bool = False
    client_id_metadata_ca_bundle: str | None = None
    client_id_metadata_max_size: int = 5120
    client_id_metadata_timeout: float = 5.0
    client_id_metadata_cache_min: int = 60
    client_id_metadata_cache_max: int = 3600
    client_id_metadata_cache_errors: int = 30
    client_id_metadata_cache_size: int = 1000
    dpop_enabled: bool = True
    dpop_algorithms: tuple[str, ...] = ("ES256", "RS256", "PS256", "EdDSA")
    dpop_max_age: int = 60
    dpop_leeway: int = 5
    dpop_nonce: bool = False
    dpop_nonce_secret: bytes = field(default=b"", repr=False)
    dpop_nonce_lifetime: int = 300
    client_jwks_max_size: int = 65536
    par_expires_in: int = 60
    require_pushed_authorization_requests: bool = False
    require_signed_request_object: bool = False
    assertion_max_lifetime: int = 3600
    jwt_bearer_issuers: Mapping[str, Any] | None = None
    access_token_format: Literal["opaque", "jwt"] = "opaque"  # noqa: S105 - a format name
    jwt_access_token_alg: str = "RS256"  # noqa: S105 - an algorithm name
    jwt_access_token_audience: str | None = None
    jwt_access_token_check_revocation: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OAuth2Settings:
        """Resolve ``config`` (an app's config); missing keys take :data:`DEFAULTS`.

        :raises ValueError: for an ``OAUTH2_PROVIDER_PKCE_REQUIRED`` or
            ``OAUTH2_PROVIDER_OIDC_ID_TOKEN_ALG`` it does not know, or a resource in
            ``OAUTH2_PROVIDER_ALLOWED_RESOURCES`` or
            ``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS`` that is no absolute URI, or a
            ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_*`` limit out of range.
        """

        def get(name: str) -> Any:
            key = "OAUTH2_PROVIDER_" + name
            return config.get(key, DEFAULTS[key])

        def limit(name: str, minimum: float) -> float:
            name = "CLIENT_ID_METADATA_" + name
            return _number(name, get(name), minimum)

        cache_min = int(limit("CACHE_MIN", 0))
        ca_bundle = get("CLIENT_ID_METADATA_CA_BUNDLE")

        return cls(
            token_expires_in=get("TOKEN_EXPIRES_IN"),
            token_generator=import_callable(get("TOKEN_GENERATOR")),
            refresh_token_generator=import_callable(get("REFRESH_TOKEN_GENERATOR")),
            allow_implicit=bool(get("ALLOW_IMPLICIT")),
            allow_password=bool(get("ALLOW_PASSWORD")),
            pkce_required=_pkce_policy(get("PKCE_REQUIRED")),
            pkce_allow_plain=bool(get("PKCE_ALLOW_PLAIN")),
            require_all_scopes=bool(get("REQUIRE_ALL_SCOPES")),
            allow_token_in_query=bool(get("ALLOW_TOKEN_IN_QUERY")),
            issuer=get("ISSUER") or None,
            allowed_resources=(
                None
                if get("ALLOWED_RESOURCES") is None
                else _resource_uris("ALLOWED_RESOURCES", get("ALLOWED_RESOURCES"))
            ),
            resource_identifiers=_resource_uris(
                "RESOURCE_IDENTIFIERS", get("RESOURCE_IDENTIFIERS")
            ),
            allow_tokens_without_audience=bool(get("ALLOW_TOKENS_WITHOUT_AUDIENCE")),
            rotate_refresh_tokens=bool(get("ROTATE_REFRESH_TOKENS")),
            device_verification_uri=get("DEVICE_VERIFICATION_URI") or None,
            device_expires_in=int(get("DEVICE_EXPIRES_IN")),
            device_interval=int(get("DEVICE_INTERVAL")),
            csrf_required=bool(get("CSRF_REQUIRED")),
            oidc_enabled=bool(get("OIDC_ENABLED")),
            oidc_keys=get("OIDC_KEYS"),
            oidc_id_token_alg=_id_token_alg(get("OIDC_ID_TOKEN_ALG")),
            oidc_id_token_expires_in=int(get("OIDC_ID_TOKEN_EXPIRES_IN")),
            oidc_require_nonce=bool(get("OIDC_REQUIRE_NONCE")),
            registration_enabled=bool(get("REGISTRATION_ENABLED")),
            registration_scopes=_scope_list(get("REGISTRATION_SCOPES")),
            registration_secret_expires_in=int(get("REGISTRATION_SECRET_EXPIRES_IN")),
            client_id_metadata_documents=bool(get("CLIENT_ID_METADATA_DOCUMENTS")),
            client_id_metadata_scopes=(
                _scope_list(get("REGISTRATION_SCOPES"))
                if get("CLIENT_ID_METADATA_SCOPES") is None
                else _scope_list(get("CLIENT_ID_METADATA_SCOPES"))
            ),
            client_id_metadata_allow_private_addresses=bool(
                get("CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES")
            ),
            client_id_metadata_ca_bundle=str(ca_bundle) if ca_bundle else None,
            client_id_metadata_max_size=int(limit("MAX_SIZE", 1)),
            client_id_metadata_timeout=float(limit("TIMEOUT", 0.001)),
            client_id_metadata_cache_min=cache_min,
            client_id_metadata_cache_max=int(limit("CACHE_MAX", cache_min)),
            client_id_metadata_cache_errors=int(limit("CACHE_ERRORS", 0)),
            client_id_metadata_cache_size=int(limit("CACHE_SIZE", 1)),
            dpop_enabled=bool(get("DPOP_ENABLED")),
            dpop_algorithms=_dpop_algorithms(get("DPOP_SIGNING_ALGS")),
            dpop_max_age=int(_number("DPOP_MAX_AGE", get("DPOP_MAX_AGE"), 1)),
            dpop_leeway=int(_number("DPOP_LEEWAY", get("DPOP_LEEWAY"), 0)),
            dpop_nonce=bool(get("DPOP_NONCE")),
            dpop_nonce_secret=_dpop_nonce_secret(config, bool(get("DPOP_NONCE"))),
            dpop_nonce_lifetime=int(_number("DPOP_NONCE_LIFETIME", get("DPOP_NONCE_LIFETIME"), 1)),
            client_jwks_max_size=int(
                _number("CLIENT_JWKS_MAX_SIZE", get("CLIENT_JWKS_MAX_SIZE"), 1)
            ),
            par_expires_in=int(_number("PAR_EXPIRES_IN", get("PAR_EXPIRES_IN"), 1)),
            require_pushed_authorization_requests=bool(
                get("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS")
            ),
            require_signed_request_object=bool(get("REQUIRE_SIGNED_REQUEST_OBJECT")),
            assertion_max_lifetime=int(
                _number("ASSERTION_MAX_LIFETIME", get("ASSERTION_MAX_LIFETIME"), 1)
            ),
            jwt_bearer_issuers=_jwt_bearer_issuers(get("JWT_BEARER_ISSUERS")),
            access_token_format=_access_token_format(get("ACCESS_TOKEN_FORMAT")),
            jwt_access_token_alg=_id_token_alg(get("JWT_ACCESS_TOKEN_ALG"), "JWT_ACCESS_TOKEN_ALG"),
            jwt_access_token_audience=get("JWT_ACCESS_TOKEN_AUDIENCE") or None,
            jwt_access_token_check_revocation=bool(get("JWT_ACCESS_TOKEN_CHECK_REVOCATION")),
        )


def current_state() -> AppState[Any, OAuth2Settings] | None:
    """The current app's OAuth 2 provider state once its settings and server are built
    (its first request), else ``None``; in an app context only.

    .. versionadded:: 1.1
    """
    for value in current_app.extensions.values():
        if (
            isinstance(value, AppState)
            and isinstance(value.settings, OAuth2Settings)
            and value.server is not None
        ):
            return value
    return None
