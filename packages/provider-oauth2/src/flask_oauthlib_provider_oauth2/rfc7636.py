"""RFC 7636 (PKCE) rules on the provider side.

oauthlib checks a verifier against a stored challenge. What it leaves to us:

- a public client must send a challenge (``OAUTH2_PROVIDER_PKCE_REQUIRED``, applied
  by the validator's ``is_pkce_required``);
- ``plain`` is refused unless ``OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN`` is set;
- a verifier sent for a code stored without a challenge is refused (no downgrade);
- grant storage written for 0.9.6 has no ``code_challenge`` attribute, so PKCE cannot
  be enforced there: we warn once and behave as 0.9.6 did.
"""

from __future__ import annotations

import logging
from typing import Any

from oauthlib.oauth2.rfc6749 import errors

__all__ = ["LEGACY_GRANT_WARNING", "check_plain", "stores_challenge"]

log = logging.getLogger(__name__)

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


def check_plain(request: Any, allow_plain: bool) -> dict[str, Any]:
    """Refuse ``code_challenge_method=plain`` (also the method a challenge without one
    defaults to) unless allowed. An oauthlib ``post_auth`` validator."""
    if getattr(request, "code_challenge", None) is None:
        return {}
    method = getattr(request, "code_challenge_method", None) or "plain"
    if method == "plain" and not allow_plain:
        raise errors.UnsupportedCodeChallengeMethodError(
            request=request, description="Transform algorithm not supported: use S256."
        )
    return {}
