"""``flask_oauthlib.contrib.client.structure``: ``flask_oauthlib_client.contrib.structure``."""

from __future__ import annotations

from flask_oauthlib_client.contrib.structure import *  # noqa: F403
from flask_oauthlib_client.contrib.structure import __all__  # noqa: F401
