"""Pieces shared by the flask-oauthlib distributions.

Nothing here is specific to one protocol: moving a request from Flask to oauthlib and
a response back, small encoding helpers, the storage error the providers turn into
``temporarily_unavailable``, helpers that keep secrets out of logs, and the check that
refuses consent forged from another site, and the headers that keep consent pages out
of frames.
"""

from __future__ import annotations

from .adapters import FORM_MIMETYPE, BadRequestBody, create_response, extract_params, request_uri
from .clock import as_utc, is_expired, utcnow
from .compare import equal_secrets, hash_secret, matches_hash
from .consent import (
    CSRF_FIELD,
    consent_csrf_token,
    is_cross_site,
    refuse_forged_consent,
    takes_keyword,
    url_origin,
)
from .consent_pages import (
    CONSENT_PAGE_MARK,
    guard_consent_page,
    harden_consent_page,
    install_hardening,
)
from .context import app_context_for
from .encoding import decode_base64, to_bytes, to_unicode
from .errorpage import DEFAULT_ERROR_PATH, register_error_page
from .errors import StorageUnavailable, log_unavailable
from .imports import import_callable
from .provider import AppState, ProviderBase
from .redaction import RedactingFilter, install_redaction, redact
from .transport import warn_if_insecure_transport
from .users import granting_user, resolve_user

__all__ = [
    "FORM_MIMETYPE",
    "AppState",
    "ProviderBase",
    "app_context_for",
    "as_utc",
    "equal_secrets",
    "hash_secret",
    "is_expired",
    "matches_hash",
    "utcnow",
    "CONSENT_PAGE_MARK",
    "CSRF_FIELD",
    "DEFAULT_ERROR_PATH",
    "BadRequestBody",
    "RedactingFilter",
    "StorageUnavailable",
    "consent_csrf_token",
    "create_response",
    "decode_base64",
    "extract_params",
    "granting_user",
    "guard_consent_page",
    "harden_consent_page",
    "import_callable",
    "install_hardening",
    "install_redaction",
    "is_cross_site",
    "log_unavailable",
    "redact",
    "refuse_forged_consent",
    "register_error_page",
    "request_uri",
    "resolve_user",
    "takes_keyword",
    "to_bytes",
    "to_unicode",
    "url_origin",
    "warn_if_insecure_transport",
]
