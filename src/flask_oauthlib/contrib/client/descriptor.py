"""``flask_oauthlib.contrib.client.descriptor``: ``flask_oauthlib_client.contrib.descriptor``."""

from __future__ import annotations

from flask_oauthlib_client.contrib.descriptor import *  # noqa: F403
from flask_oauthlib_client.contrib.descriptor import __all__  # noqa: F401
