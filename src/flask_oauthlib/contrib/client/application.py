"""``flask_oauthlib.contrib.client.application``: ``flask_oauthlib_client.contrib.application``."""

from __future__ import annotations

from flask_oauthlib_client.contrib.application import *  # noqa: F403
from flask_oauthlib_client.contrib.application import __all__  # noqa: F401
