"""Pieces shared by the flask-oauthlib distributions.

Nothing here is specific to one protocol: moving a request from Flask to oauthlib and
a response back, small encoding helpers, the storage error the providers turn into
``temporarily_unavailable``, and helpers that keep secrets out of logs.
"""

from __future__ import annotations

from .adapters import BadRequestBody, create_response, extract_params
from .encoding import decode_base64, to_bytes, to_unicode
from .errors import StorageUnavailable
from .imports import import_callable
from .redaction import RedactingFilter, install_redaction, redact
from .transport import warn_if_insecure_transport

__all__ = [
    "BadRequestBody",
    "RedactingFilter",
    "StorageUnavailable",
    "create_response",
    "decode_base64",
    "extract_params",
    "import_callable",
    "install_redaction",
    "redact",
    "to_bytes",
    "to_unicode",
    "warn_if_insecure_transport",
]
