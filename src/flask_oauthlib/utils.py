"""``flask_oauthlib.utils``: the 0.9.6 helpers (``flask-oauthlib-core`` underneath).

:func:`extract_params` keeps its 0.9.6 result, the form as a dict; the providers use
:func:`flask_oauthlib_core.extract_params` instead, which passes oauthlib the raw body.
"""

from __future__ import annotations

from typing import overload

from flask import request

from ._install import import_distribution

import_distribution("flask_oauthlib_core", "flask-oauthlib-core", "flask-oauthlib-core")

from flask_oauthlib_core import create_response, decode_base64, to_unicode  # noqa: E402
from flask_oauthlib_core import to_bytes as _to_bytes  # noqa: E402

__all__ = ["create_response", "decode_base64", "extract_params", "to_bytes", "to_unicode"]


def extract_params() -> tuple[str, str, dict[str, str], dict[str, str]]:
    """Return ``(uri, http_method, body, headers)`` of the current request, as 0.9.6 did:
    ``body`` is the form as a dict (one value per key), ``headers`` a dict without
    ``wsgi.*`` entries.

    It reads this module's ``request`` when called, so a test may patch it with any
    Werkzeug or Flask ``Request``::

        with mock.patch("flask_oauthlib.utils.request", Request(environ)):
            uri, method, body, headers = extract_params()

    .. versionchanged:: 1.1
        Back to the 0.9.6 result (1.0 returned the raw body text, which the providers
        now get from ``flask_oauthlib_core.extract_params``).
    """
    req = request
    headers = {key: value for key, value in req.headers.items() if not key.startswith("wsgi.")}
    return req.url, req.method, req.form.to_dict(), headers


@overload
def to_bytes(text: None, encoding: str = "utf-8") -> None: ...


@overload
def to_bytes(text: str | bytes, encoding: str = "utf-8") -> bytes: ...


def to_bytes(text: str | bytes | None, encoding: str = "utf-8") -> bytes | None:
    """Encode ``text`` to bytes; bytes pass through and, as in 0.9.6, ``None`` stays
    ``None``.

    .. versionchanged:: 1.1
        ``None`` is returned as ``None`` again (1.0 returned ``b""``).
    """
    return None if text is None else _to_bytes(text, encoding)
