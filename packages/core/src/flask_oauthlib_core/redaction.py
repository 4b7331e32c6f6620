"""Keep credentials out of log records.

The providers and the client never format a secret into a log message themselves; this
filter is a second line of defence for records that libraries below us (oauthlib,
requests-oauthlib, urllib3) write at DEBUG level.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "redact"]

_PARAMS = (
    "access_token|refresh_token|id_token|code|code_verifier|client_secret|password|"
    "oauth_token|oauth_token_secret|oauth_verifier|oauth_signature|device_code|token"
)
_PAIR = re.compile(rf"(?i)(['\"]?\b(?:{_PARAMS})\b['\"]?\s*[:=]\s*['\"]?)([^&'\",\s}}]+)")
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*")
MASK = "[redacted]"


def redact(text: str) -> str:
    """Replace the values of credential parameters and Authorization headers in ``text``."""
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _PAIR.sub(lambda m: m.group(1) + MASK, text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials in the formatted message of each record.

    Add it to the handlers that receive records from ``oauthlib``,
    ``requests_oauthlib`` and ``flask_oauthlib*`` loggers::

        handler.addFilter(RedactingFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
