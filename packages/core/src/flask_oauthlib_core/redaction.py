"""Keep credentials out of log records.

The providers and the client never format a secret into a log message themselves; this
filter is a second line of defence for records that libraries below us (oauthlib,
requests-oauthlib, urllib3) write at DEBUG level.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pkgutil
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["RedactingFilter", "install_redaction", "redact"]

_PARAMS = (
    "access_token|refresh_token|id_token|code|code_verifier|client_secret|password|"
    "oauth_token|oauth_token_secret|oauth_verifier|oauth_signature|device_code|token|"
    "resource_owner_key|resource_owner_secret|verifier|secret|id_token_hint|"
    "client_assertion|registration_access_token"
)
_PAIR = re.compile(
    rf"(?i)(['\"]?(?<![A-Za-z_])(?:{_PARAMS})\b['\"]?\s*(?:[:=,]|%3D)\s*['\"]?)([^&%'\",\s}})\]]+)"
)
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*")
# "refresh token <value>", "code <value>": how oauthlib words its DEBUG messages
_PHRASE = re.compile(r"(?i)\b(token|code|verifier|secret)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)")
MASK = "[redacted]"


def redact(text: str) -> str:
    """Replace the values of credential parameters and Authorization headers in ``text``."""
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _PHRASE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
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


#: loggers of the libraries below us that may format credentials at DEBUG level
#: (werkzeug's: its development server logs each request line, query string included)
THIRD_PARTY_LOGGERS = ("oauthlib", "requests_oauthlib", "urllib3", "werkzeug")
_FILTER = RedactingFilter()


#: the config key that switches the filter off (``False``) for an app's extensions
CONFIG_KEY = "OAUTHLIB_REDACT_LOGS"


def install_redaction(app: Flask | None = None) -> bool:
    """Attach the filter to the loggers of oauthlib, requests-oauthlib, urllib3 and
    werkzeug (the development server's request lines).

    Each extension calls it once, from ``init_app`` (never per request): a logger filter
    only sees records logged on that very logger, so it is attached to the logger of
    every module of those packages, including modules not imported yet (their loggers
    are made now, from the module names on disk). Safe to call more than once. The
    filter acts for the whole process: the first app that does not switch it off
    installs it. Set ``OAUTHLIB_REDACT_LOGS = False`` in ``app``'s config before ``init_app`` to
    leave those loggers alone (to add :class:`RedactingFilter` to your handlers instead).

    :param app: the app being initialised; its config may switch redaction off.
    :returns: whether the filter is installed.

    .. versionchanged:: 1.1
        Takes the app, whose ``OAUTHLIB_REDACT_LOGS`` switches it off.
    """
    if app is not None and not app.config.get(CONFIG_KEY, True):
        return False
    names = {
        name
        for name in logging.Logger.manager.loggerDict
        if name.split(".")[0] in THIRD_PARTY_LOGGERS
    }
    for top in THIRD_PARTY_LOGGERS:
        names.update(_module_names(top))
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return True


def _module_names(top: str) -> list[str]:
    """The dotted names of the modules of the installed package ``top``, found on disk
    without importing them: their loggers (``getLogger(__name__)``) are made now, so a
    module imported later logs through a logger that already has the filter."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return [top] if spec is not None else []
    names, pending = [top], [(top, list(spec.submodule_search_locations))]
    while pending:
        prefix, paths = pending.pop()
        for module in pkgutil.iter_modules(paths):
            name = f"{prefix}.{module.name}"
            names.append(name)
            if module.ispkg:
                pending.append((name, [os.path.join(path, module.name) for path in paths]))
    return names
