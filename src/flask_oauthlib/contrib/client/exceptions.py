"""``flask_oauthlib.contrib.client.exceptions``: ``flask_oauthlib_client.contrib.exceptions``."""

from __future__ import annotations

from flask_oauthlib_client.contrib.exceptions import *  # noqa: F403
from flask_oauthlib_client.contrib.exceptions import __all__  # noqa: F401
