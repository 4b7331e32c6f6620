"""``flask_oauthlib.utils``: helpers shared by the providers (``flask-oauthlib-core``)."""

from __future__ import annotations

from ._install import import_distribution

import_distribution("flask_oauthlib_core", "flask-oauthlib-core", "flask-oauthlib-core")

from flask_oauthlib_core import (  # noqa: E402
    create_response,
    decode_base64,
    extract_params,
    to_bytes,
    to_unicode,
)

__all__ = ["create_response", "decode_base64", "extract_params", "to_bytes", "to_unicode"]
