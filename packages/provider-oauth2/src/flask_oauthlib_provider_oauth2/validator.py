"""The oauthlib request validator built on the user's getters and setters."""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from ipaddress import ip_address
from typing import Any
from urllib.parse import unquote, urlsplit

from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2 import RequestValidator
from oauthlib.oauth2.rfc6749 import errors

from . import rfc7636, rfc8628
from .expiry import as_utc, is_expired

__all__ = ["OAuth2RequestValidator"]

log = logging.getLogger(__name__)

#: what a token may hold: printable ASCII without spaces (RFC 6750's b64token and every
#: generator's output fit; control bytes and NULs never reach storage)
TOKEN_SYNTAX = re.compile(r"[!-~]+")

DEFAULT_GRANT_TYPES = (
    "authorization_code",
    "password",
    "client_credentials",
    "refresh_token",
    rfc8628.DEVICE_GRANT_TYPE,
)
DEFAULT_RESPONSE_TYPES = ("code", "token")
AUTHENTICATED_GRANT_TYPES = (
    "password",
    "authorization_code",
    "refresh_token",
    rfc8628.DEVICE_GRANT_TYPE,
)


def is_confidential(client: Any) -> bool:
    """Whether ``client`` is confidential: ``is_confidential``, else ``client_type``."""
    if hasattr(client, "is_confidential"):
        return bool(client.is_confidential)
    client_type = getattr(client, "client_type", None)
    if client_type:
        return bool(client_type == "confidential")
    return True


def basic_credentials(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Client id and secret from an HTTP Basic ``Authorization`` header (RFC 6749 2.3.1)."""
    auth = headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None, None
    client_id, secret = unquote(client_id), unquote(secret)
    if "\x00" in client_id or "\x00" in secret:
        return None, None
    return client_id, secret


#: parameters a request may not repeat (oauthlib checks client_id, grant_type,
#: redirect_uri, response_type, scope and state itself)
SINGLE_PARAMS = (
    "code",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "refresh_token",
    "client_secret",
    "username",
    "password",
    "token",
)


def refuse_duplicates(request: Any) -> dict[str, Any]:
    """Refuse a request that repeats a parameter whose value decides something: which
    of two values counts would be the server's guess. An oauthlib custom validator."""
    repeated = sorted(set(request.duplicate_params).intersection(SINGLE_PARAMS))
    if repeated:
        raise errors.InvalidRequestError(
            request=request, description=f"Duplicate {', '.join(repeated)} parameter."
        )
    return {}


def secret_matches(client: Any, secret: str | None) -> bool:
    """Whether ``secret`` is the client's secret, compared in constant time.

    A client without a secret never matches, whatever was sent: it cannot authenticate
    (RFC 6749 2.3.1), so it can only be identified as a public client. Clients may
    provide ``check_client_secret(secret)`` (the ready models compare hashes).
    """
    if not secret:
        return False
    check = getattr(client, "check_client_secret", None)
    if check is not None:
        return bool(check(secret))
    expected = getattr(client, "client_secret", None)
    if not expected:
        return False
    return hmac.compare_digest(str(expected).encode(), secret.encode())


def scopes_match(granted: Any, needed: list[str], request: Any) -> bool:
    """Whether a token's ``granted`` scopes satisfy ``needed``: all of them, or any one
    when the request says so (``require_all_scopes`` false: 0.9.6's rule)."""
    have = set(granted or ())
    if getattr(request, "require_all_scopes", True) is False:
        return bool(have.intersection(needed))
    return have.issuperset(needed)


def _field(obj: Any, name: str) -> Any:
    """``obj[name]`` for a dict, ``obj.name`` otherwise (device records may be either)."""
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def call_optional(obj: Any, method: str) -> None:
    """Call ``obj.<method>()`` if the storage object offers it."""
    hook = getattr(obj, method, None)
    if hook is not None:
        hook()


def drop_wire_user(request: Any) -> None:
    """Forget a ``user`` that came as a request parameter: only a validator sets users."""
    if isinstance(getattr(request, "user", None), str | bytes):
        request.user = None


def loopback_match(registered: str, given: str) -> bool:
    """RFC 8252 7.3: a loopback redirect URI may differ from the registered one in port only."""
    reg, got = urlsplit(registered), urlsplit(given)
    if reg.scheme != "http" or got.scheme != "http":
        return False
    try:
        if got.port == 0:
            return False
    except ValueError:  # a port out of range
        return False
    try:
        if not ip_address(reg.hostname or "").is_loopback:
            return False
    except ValueError:
        return False
    return (reg.hostname, reg.path, reg.query) == (got.hostname, got.path, got.query) and (
        got.fragment == ""
    )


class OAuth2RequestValidator(RequestValidator):
    """oauthlib's ``RequestValidator`` on top of the provider's getters and setters.

    :param clientgetter: ``f(client_id)`` returning a client object or ``None``.
    :param tokengetter: ``f(access_token=None, refresh_token=None)`` returning a token.
    :param grantgetter: ``f(client_id, code)`` returning a grant (authorization code).
    :param usergetter: ``f(username, password, client, request)`` for the password grant.
    :param tokensetter: ``f(token, request)`` saving a bearer token.
    :param grantsetter: ``f(client_id, code, request)`` saving a grant.

    Subclass it to change one rule and pass the subclass as
    ``OAuth2Provider(validator_class=...)``, or assign an instance to
    ``oauth._validator``.

    Storage may opt in to stronger guarantees by giving its objects these optional
    members (the bundled SQLAlchemy models and cache binding do):

    - grants: ``code_challenge`` / ``code_challenge_method`` (PKCE is then enforced) and
      ``redeem()`` returning ``False`` when the code was already used, plus
      ``revoke_issued_tokens()`` called on such a replay;
    - tokens: ``revoked``; ``rotate()`` returning ``False`` when the refresh token was
      already rotated, plus ``revoke_family()`` called on such a reuse.
    """

    def __init__(
        self,
        clientgetter: Callable[..., Any],
        tokengetter: Callable[..., Any],
        grantgetter: Callable[..., Any],
        usergetter: Callable[..., Any] | None = None,
        tokensetter: Callable[..., Any] | None = None,
        grantsetter: Callable[..., Any] | None = None,
        devicegetter: Callable[..., Any] | None = None,
    ) -> None:
        self._clientgetter = clientgetter
        self._tokengetter = tokengetter
        self._usergetter = usergetter
        self._tokensetter = tokensetter
        self._grantgetter = grantgetter
        self._grantsetter = grantsetter
        self._devicegetter = devicegetter
        #: set by the provider from ``OAUTH2_PROVIDER_PKCE_REQUIRED``
        self.pkce_required_for: str = "public"
        self._legacy_grants_seen = False

    # -- helpers -------------------------------------------------------------------------

    def _client(self, client_id: str | None, request: Any) -> Any:
        client = getattr(request, "client", None)
        if client is not None and getattr(client, "client_id", None) == client_id:
            return client
        if not client_id:
            return None
        client = self._clientgetter(client_id)
        if client is not None:
            request.client = client
        return client

    def _grant(self, client_id: str, code: str, request: Any) -> Any:
        """The grant for ``code``, looked up once per request."""
        cached = getattr(request, "_grant", None)
        if cached is not None and getattr(request, "_grant_code", None) == code:
            return cached
        grant = self._grantgetter(client_id=client_id, code=code)
        request._grant, request._grant_code = grant, code
        return grant

    def _stores_challenge(self, grant: Any) -> bool:
        """Whether the grant storage keeps PKCE challenges (warns once if it does not)."""
        keeps = rfc7636.stores_challenge(grant, warn=not self._legacy_grants_seen)
        if not keeps:
            self._legacy_grants_seen = True
        return keeps

    def _client_credentials(self, request: Any) -> tuple[str | None, str | None]:
        client_id, secret = basic_credentials(request.headers)
        if client_id is not None:
            if request.client_secret is not None:
                # two authentication methods in one request (RFC 6749 2.3): neither counts
                log.debug("client authentication by Basic and by the body at once refused")
                return client_id, None
            return client_id, secret
        return request.client_id, request.client_secret

    # -- client authentication -----------------------------------------------------------

    def client_authentication_required(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Confidential clients authenticate for the password, code and refresh grants
        (RFC 6749 3.2.1) and to revoke or introspect tokens."""
        client_id, _ = self._client_credentials(request)
        if not client_id:
            return False
        if request.grant_type not in AUTHENTICATED_GRANT_TYPES and request.grant_type:
            return False
        client = self._client(client_id, request)
        return client is not None and is_confidential(client)

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Authenticate a client by HTTP Basic or by ``client_id``/``client_secret`` in
        the body; secrets are compared in constant time."""
        client_id, secret = self._client_credentials(request)
        if not client_id:
            return False
        client = self._client(client_id, request)
        if client is None:
            return False
        if not secret_matches(client, secret):
            log.debug("client authentication failed")
            return False
        request.client = client
        request.client_id = client.client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Identify a public client by its id alone."""
        if client_id is None:
            client_id, _ = self._client_credentials(request)
        client = self._client(client_id, request)
        if client is None:
            return False
        if is_confidential(client):
            # a confidential client must authenticate; its id alone proves nothing
            return False
        request.client = client
        return True

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Whether ``client_id`` names a known client."""
        return self._client(client_id, request) is not None

    # -- redirect URIs, scopes, grant and response types ---------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Match ``redirect_uri`` exactly against the client's registered URIs (a loopback
        URI may differ in port only); a client may provide ``validate_redirect_uri``."""
        client = self._client(client_id, request)
        if client is None:
            return False
        if hasattr(client, "validate_redirect_uri"):
            return bool(client.validate_redirect_uri(redirect_uri))
        registered = list(getattr(client, "redirect_uris", None) or [])
        if redirect_uri in registered:
            return True
        return any(loopback_match(uri, redirect_uri) for uri in registered)

    def get_default_redirect_uri(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """The client's ``default_redirect_uri``, used when a request names none; a
        client with several registered URIs has none, so its requests must name one
        (RFC 6749 3.1.2.3)."""
        client = self._client(client_id, request)
        if len(getattr(client, "redirect_uris", None) or ()) > 1:
            return None
        return getattr(client, "default_redirect_uri", None)

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """Scopes must lie within the client's ``default_scopes`` unless the client
        provides ``validate_scopes``; a scope named twice counts once."""
        scopes = list(dict.fromkeys(scopes))
        request.scopes = scopes
        if hasattr(client, "validate_scopes"):
            return bool(client.validate_scopes(scopes))
        return set(getattr(client, "default_scopes", None) or []).issuperset(scopes)

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        """The client's ``default_scopes``."""
        client = self._client(client_id, request)
        return list(getattr(client, "default_scopes", None) or [])

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """``code`` and ``token`` unless the client restricts ``allowed_response_types``."""
        if response_type not in DEFAULT_RESPONSE_TYPES:
            return False
        allowed = getattr(client, "allowed_response_types", None)
        if allowed is not None:
            return response_type in allowed
        return True

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The four RFC 6749 grant types unless the client restricts
        ``allowed_grant_types``; the password grant needs a usergetter, and the client
        credentials grant a confidential client (RFC 6749 4.4) with a ``client.user``."""
        if grant_type == "password" and self._usergetter is None:
            return False
        if grant_type == "client_credentials" and not is_confidential(client):
            log.debug("client credentials refused to a public client")
            return False
        allowed = getattr(client, "allowed_grant_types", None)
        if grant_type not in (allowed if allowed is not None else DEFAULT_GRANT_TYPES):
            return False
        if grant_type == "client_credentials":
            if not hasattr(client, "user"):
                log.debug("client credentials need a client.user")
                return False
            request.user = client.user
        return True

    # -- authorization codes -------------------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Pass the new code to the grantsetter."""
        if self._grantsetter is None:
            raise RuntimeError("register a grantsetter to issue authorization codes")
        drop_wire_user(request)
        self._grantsetter(client_id, code, request, *args, **kwargs)
        return getattr(request.client, "default_redirect_uri", None)

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The code must exist for this client, be unexpired and unused; a replayed code
        revokes what was issued from it when the storage can tell."""
        grant = self._grant(client.client_id, code, request)
        if not grant:
            return False
        grant_client = getattr(grant, "client_id", None)
        if grant_client is not None and grant_client != client.client_id:
            return False
        if is_expired(getattr(grant, "expires", None)):
            return False
        redeem = getattr(grant, "redeem", None)
        if redeem is not None and not redeem():
            log.warning("an authorization code was replayed")
            call_optional(grant, "revoke_issued_tokens")
            return False
        request.user = grant.user
        request.scopes = grant.scopes
        request.grant = grant
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """The token request's ``redirect_uri`` must be the one the code was issued for;
        a grant may provide ``validate_redirect_uri``. (``request`` may be left out, as
        0.9.6's signature did.)"""
        if request is None:
            request = OAuthlibRequest(redirect_uri or "http://localhost")
        client = client or self._client(client_id, request)
        grant = self._grant(client.client_id, code, request)
        if not grant:
            return False
        if hasattr(grant, "validate_redirect_uri"):
            return bool(grant.validate_redirect_uri(redirect_uri))
        stored = getattr(grant, "redirect_uri", None)
        if getattr(request, "using_default_redirect_uri", False) and not stored:
            return True
        return bool(stored == redirect_uri)

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> None:
        """Delete the used code (storage with ``redeem()`` marked it used already)."""
        grant = self._grant(client_id, code, request)
        if grant and not hasattr(grant, "redeem"):
            grant.delete()

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        """PKCE is required from public clients (``OAUTH2_PROVIDER_PKCE_REQUIRED``
        widens this to all clients or switches it off), except with 0.9.6 grant storage,
        which cannot keep a challenge."""
        if self.pkce_required_for == "none":
            return False
        if request.code is not None:  # token endpoint
            grant = self._grant(client_id, request.code, request)
            if grant and not self._stores_challenge(grant):
                return False
        if self.pkce_required_for == "all":
            return True
        client = self._client(client_id, request)
        return client is not None and not is_confidential(client)

    def get_code_challenge(self, code: str, request: Any) -> str | None:
        """The stored challenge; a verifier for a code stored without one is refused."""
        grant = self._grant(request.client_id, code, request)
        if not grant or not self._stores_challenge(grant):
            return None
        challenge = grant.code_challenge
        if challenge is None and request.code_verifier is not None:
            raise errors.InvalidGrantError(
                request=request,
                description="A code_verifier was sent for a code issued without PKCE.",
            )
        return challenge  # type: ignore[no-any-return]

    def get_code_challenge_method(self, code: str, request: Any) -> str | None:
        """The stored challenge method (``plain`` when the grant stored none)."""
        grant = self._grant(request.client_id, code, request)
        if not grant:
            return None
        return getattr(grant, "code_challenge_method", None) or "plain"

    # -- device codes (RFC 8628) ---------------------------------------------------------

    def validate_device_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        """The status of a device code for oauthlib 4: ``authorized`` once (the code is
        then used up), else pending, denied, expired or unknown (``None``)."""
        if self._devicegetter is None:
            return None
        device = self._devicegetter(device_code=code)
        if not device or _field(device, "client_id") != client_id:
            return None
        if is_expired(_field(device, "expires")):
            return "expired_token"
        status = rfc8628.device_status(device)
        if status != "authorized":
            return status
        redeem = getattr(device, "redeem", None) or getattr(device, "delete", None)
        if redeem is None:
            log.error("device records need redeem() or delete() to be single use")
            return None
        if redeem() is False:  # another poll took it first
            return None
        request.user = _field(device, "user")
        request.scopes = list(_field(device, "scopes") or [])
        return status

    # -- tokens --------------------------------------------------------------------------

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Save the new token with the tokensetter.

        On a refresh that issued a new refresh token, the one just used is rotated first
        (when the storage can: ``rotate()``); a reuse revokes its family. With rotation
        switched off (``OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS``) the client keeps its
        refresh token: it is passed on in ``token["refresh_token"]`` and stays valid.
        """
        if self._tokensetter is None:
            raise RuntimeError("register a tokensetter to issue tokens")
        drop_wire_user(request)
        old = getattr(request, "refresh_token_object", None)
        if old is not None and not token.get("refresh_token"):
            token["refresh_token"] = request.refresh_token
        elif old is not None:
            rotate = getattr(old, "rotate", None)
            if rotate is not None and not rotate():
                call_optional(old, "revoke_family")
                raise errors.InvalidGrantError(request=request, description="Refresh token reused.")
        self._tokensetter(token, request, *args, **kwargs)
        return getattr(request.client, "default_redirect_uri", None)

    def validate_bearer_token(self, token: str | None, scopes: Any, request: Any) -> bool:
        """The token must exist, be unexpired and unrevoked, and carry every scope asked
        for; on success ``request`` gets ``access_token``, ``user``, ``client``, ``scopes``."""
        if not token:
            request.error_message = "No access token was sent."
            return False
        if not TOKEN_SYNTAX.fullmatch(token):
            request.error_message = "The access token is malformed."
            return False
        tok = self._tokengetter(access_token=token)
        if not tok:
            request.error_message = "The access token is invalid."
            return False
        if getattr(tok, "revoked", False):
            request.error_message = "The access token was revoked."
            return False
        if is_expired(getattr(tok, "expires", None)):
            request.error_message = "The access token expired."
            return False
        if scopes and not scopes_match(tok.scopes, scopes, request):
            request.error_message = "The access token lacks a scope this resource needs."
            request.insufficient_scope = True
            return False
        request.access_token = tok
        request.user = getattr(tok, "user", None)
        request.scopes = scopes
        if hasattr(tok, "client"):
            request.client = tok.client
        elif hasattr(tok, "client_id"):
            request.client = self._clientgetter(tok.client_id)
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """The refresh token must belong to ``client`` and not be revoked; presenting a
        rotated one revokes its family when the storage supports it."""
        tok = self._tokengetter(refresh_token=refresh_token)
        if not tok or tok.client_id != client.client_id:
            return False
        if getattr(tok, "revoked", False):
            log.warning("a used or revoked refresh token was presented; revoking its family")
            call_optional(tok, "revoke_family")
            return False
        request.client_id = tok.client_id
        request.user = tok.user
        request.refresh_token_object = tok
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        """The scopes the refresh token was issued with."""
        tok = getattr(request, "refresh_token_object", None) or self._tokengetter(
            refresh_token=refresh_token
        )
        return list(tok.scopes)

    def confirm_scopes(
        self, refresh_token: str, scopes: list[str], request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Whether ``scopes`` equal the refresh token's (kept for old oauthlib callers)."""
        if not scopes:
            return True
        tok = self._tokengetter(refresh_token=refresh_token)
        return bool(tok) and set(tok.scopes) == set(scopes)

    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Check the password with the usergetter and attach the user to the request."""
        if self._usergetter is None:
            return False
        user = self._usergetter(username, password, client, request, *args, **kwargs)
        if not user:
            return False
        request.user = user
        return True

    def _find_token(self, token: str, token_type_hint: str | None) -> tuple[Any, str | None]:
        """The stored token ``token`` is the access or refresh token of, and which."""
        kinds = ["access_token", "refresh_token"]
        if token_type_hint == kinds[1]:
            kinds.reverse()
        for kind in kinds:
            found = self._tokengetter(**{kind: token})
            if found:
                return found, kind
        return None, None

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Revoke an access or refresh token of the requesting client (RFC 7009); a
        refresh token takes the access tokens issued from the same authorization with it
        (RFC 7009 2.1) when the storage offers ``revoke_family()``."""
        refuse_duplicates(request)
        tok, kind = self._find_token(token, token_type_hint)
        client = getattr(request, "client", None)
        if not tok or (client is not None and tok.client_id != client.client_id):
            request.error_message = "Invalid token supplied."
            return False
        request.client_id = tok.client_id
        request.user = getattr(tok, "user", None)
        family = getattr(tok, "revoke_family", None) if kind == "refresh_token" else None
        revoke = family or getattr(tok, "revoke", None)
        if revoke is not None:
            revoke()
        else:
            tok.delete()
        return True

    def may_introspect(self, client: Any, token: Any) -> bool:
        """Whether ``client`` may learn about ``token`` by introspection: its own tokens,
        and every token when the client is a resource server (``is_resource_server``
        true on the client object). Override to decide otherwise.

        .. versionadded:: 1.1
        """
        if getattr(client, "is_resource_server", False):
            return True
        return bool(getattr(token, "client_id", None) == getattr(client, "client_id", object()))

    def introspect_token(
        self, token: str, token_type_hint: str | None, request: Any, *args: Any, **kwargs: Any
    ) -> dict[str, Any] | None:
        """Claims of an active token (RFC 7662), or ``None`` if it is not active or the
        authenticated client may not see it (:meth:`may_introspect`)."""
        refuse_duplicates(request)
        tok, kind = self._find_token(token, token_type_hint)
        # ``expires`` is the access token's: a refresh token lives until it is revoked
        expires = getattr(tok, "expires", None) if kind == "access_token" else None
        if not tok or getattr(tok, "revoked", False) or is_expired(expires):
            return None
        if not self.may_introspect(request.client, tok):
            return None
        claims: dict[str, Any] = {
            "client_id": tok.client_id,
            "scope": " ".join(tok.scopes or ()),
            "token_type": "Bearer",
        }
        if expires is not None:
            claims["exp"] = int(as_utc(expires).timestamp())
        user = getattr(tok, "user", None)
        username = getattr(user, "username", None)
        if username is not None:
            claims["username"] = str(username)
        return claims
