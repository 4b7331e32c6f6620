"""RFC 7636 (PKCE) rules on the provider side.

oauthlib checks a verifier against a stored challenge. What it leaves to us:

- a public client must send a challenge (``OAUTH2_PROVIDER_PKCE_REQUIRED``: the
  :class:`PKCE` feature puts the app's policy on each request, where the validator's
  ``is_pkce_required`` reads it);
- ``plain`` is refused unless ``OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN`` is set;
- a verifier sent for a code stored without a challenge is refused (no downgrade);
- verifiers and challenges must have the form RFC 7636 4.1/4.2 gives them: a verifier
  (and a ``plain`` challenge) is 43 to 128 unreserved characters, an ``S256``
  challenge exactly 43 base64url characters; anything else is ``invalid_request``;
- grant storage written for 0.9.6 has no ``code_challenge`` attribute, so PKCE cannot
  be enforced there: we warn once and behave as 0.9.6 did;
- the consent template of the 0.9.6 docs re-posts the request as hidden fields without
  the challenge: the challenge of the validated request is kept in the session and
  restored on the consent POST that lacks it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import current_app, request, session
from oauthlib.oauth2.rfc6749 import errors

from .clientauth import is_confidential
from .features import Feature
from .validation import ValidatorBase

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "LEGACY_GRANT_WARNING",
    "PKCE",
    "PKCEMixin",
    "check_challenge",
    "check_verifier",
    "forget_challenge",
    "remember_challenge",
    "restore_challenge",
    "stores_challenge",
]

log = logging.getLogger(__name__)

#: RFC 7636 4.1: ``code-verifier = 43*128unreserved``
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
#: RFC 7636 4.2: BASE64URL(SHA256(verifier)) without padding is 43 characters
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")

LEGACY_GRANT_WARNING = (
    "PKCE is not enforced: the grant objects returned by the grantgetter have no"
    " 'code_challenge' and 'code_challenge_method' attributes. Store the request's"
    " code_challenge and code_challenge_method in the grantsetter and expose them on the"
    " grant (the bundled SQLAlchemy models and cache binding do)."
)


def stores_challenge(grant: Any, warn: bool) -> bool:
    """Whether ``grant`` comes from storage that keeps PKCE challenges; if not, log the
    warning when ``warn`` is true (the validator asks once)."""
    if hasattr(grant, "code_challenge"):
        return True
    if warn:
        log.warning(LEGACY_GRANT_WARNING)
    return False


def check_challenge(request: Any, allow_plain: bool) -> dict[str, Any]:
    """Refuse a malformed challenge, and ``code_challenge_method=plain`` (also the method
    a challenge without one defaults to) unless allowed. An oauthlib ``post_auth``
    validator: it runs once the redirect URI is validated, so its errors go there."""
    challenge = getattr(request, "code_challenge", None)
    if challenge is None:
        return {}
    method = getattr(request, "code_challenge_method", None) or "plain"
    if method == "plain" and not allow_plain:
        raise errors.UnsupportedCodeChallengeMethodError(
            request=request, description="Transform algorithm not supported: use S256."
        )
    form = S256_CHALLENGE if method == "S256" else VERIFIER
    if not form.fullmatch(challenge):
        raise errors.InvalidRequestError(
            request=request,
            description=f"The code_challenge is not a valid {method} challenge (RFC 7636 4.2).",
        )
    return {}


def check_verifier(request: Any) -> None:
    """Refuse a ``code_verifier`` that is not 43 to 128 unreserved characters, before
    any code is looked up. An oauthlib ``pre_token`` validator."""
    verifier = getattr(request, "code_verifier", None)
    if verifier is not None and not VERIFIER.fullmatch(verifier):
        raise errors.InvalidRequestError(
            request=request,
            description="The code_verifier must be 43 to 128 unreserved characters (RFC 7636 4.1).",
        )


#: the session key of the challenges of validated authorization requests
SESSION_KEY = "_flask_oauthlib_pkce"
#: how many pending authorizations of one session keep their challenge
REMEMBERED = 8


def _key(client_id: Any, state: Any) -> str:
    return f"{client_id or ''}\x00{state or ''}"


def _session_usable() -> bool:
    return not current_app.session_interface.is_null_session(session)


def remember_challenge(credentials: Mapping[str, Any]) -> None:
    """Keep the challenge of a validated authorization request in the session, keyed by
    its ``client_id`` and ``state``, for a consent form that does not re-post it."""
    challenge = credentials.get("code_challenge")
    if not challenge or not _session_usable():
        return
    remembered = dict(session.get(SESSION_KEY) or {})
    remembered.pop(_key(credentials.get("client_id"), credentials.get("state")), None)
    remembered[_key(credentials.get("client_id"), credentials.get("state"))] = [
        challenge,
        credentials.get("code_challenge_method") or "plain",
    ]
    session[SESSION_KEY] = dict(list(remembered.items())[-REMEMBERED:])


def restore_challenge(body: str | None) -> str | None:
    """The consent POST's form ``body``, with the challenge its GET carried added when
    the form posts none (a 0.9.6 consent template)."""
    if request.method != "POST" or "code_challenge" in request.values or not _session_usable():
        return body
    remembered = session.get(SESSION_KEY) or {}
    entry = remembered.get(_key(request.values.get("client_id"), request.values.get("state")))
    if not entry:
        return body
    extra = urlencode({"code_challenge": entry[0], "code_challenge_method": entry[1]})
    return f"{body}&{extra}" if body else extra


def forget_challenge() -> None:
    """Drop the remembered challenge of the request just answered."""
    if not _session_usable() or SESSION_KEY not in session:
        return
    remembered = dict(session[SESSION_KEY])
    if remembered.pop(_key(request.values.get("client_id"), request.values.get("state")), None):
        session[SESSION_KEY] = remembered


class PKCEMixin(ValidatorBase):
    """The validator's PKCE rules."""

    #: the policy of a validator used without a server (a server sets its app's policy
    #: on each request instead: ``OAUTH2_PROVIDER_PKCE_REQUIRED``)
    pkce_required_for: str = "public"
    _legacy_grants_seen = False

    def _stores_challenge(self, grant: Any) -> bool:
        """Whether the grant storage keeps PKCE challenges (warns once if it does not)."""
        keeps = stores_challenge(grant, warn=not self._legacy_grants_seen)
        if not keeps:
            self._legacy_grants_seen = True
        return keeps

    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        """PKCE is required from public clients (``OAUTH2_PROVIDER_PKCE_REQUIRED``
        widens this to all clients or switches it off), except with 0.9.6 grant storage,
        which cannot keep a challenge."""
        policy = getattr(request, "pkce_required_for", None) or self.pkce_required_for
        if policy == "none":
            return False
        if request.code is not None:  # token endpoint
            grant = self._grant(client_id, request.code, request)
            if grant and not self._stores_challenge(grant):
                return False
        if policy == "all":
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


class PKCE(Feature):
    """PKCE on the authorization code grant, with the app's policy and methods."""

    def install(self, server: Server) -> None:
        if server.auth_grant is None:
            return
        settings = server.settings

        def set_policy(request: Any) -> dict[str, Any]:
            request.pkce_required_for = settings.pkce_required
            return {}

        def check(request: Any) -> dict[str, Any]:
            return check_challenge(request, settings.pkce_allow_plain)

        validators = server.auth_grant.custom_validators
        validators.pre_auth.insert(0, set_policy)
        validators.post_auth.append(check)
        validators.pre_token.insert(0, set_policy)
        validators.pre_token.append(check_verifier)

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        plain = server.settings.pkce_allow_plain
        return {"code_challenge_methods_supported": ["S256", "plain"] if plain else ["S256"]}
