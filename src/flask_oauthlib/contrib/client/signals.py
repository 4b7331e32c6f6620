"""``flask_oauthlib.contrib.client.signals``: ``flask_oauthlib_client.contrib.signals``."""

from __future__ import annotations

from flask_oauthlib_client.contrib.signals import *  # noqa: F403
from flask_oauthlib_client.contrib.signals import __all__  # noqa: F401
