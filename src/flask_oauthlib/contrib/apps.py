"""``flask_oauthlib.contrib.apps`` (distribution ``flask-oauthlib-contrib-apps``)."""

from __future__ import annotations

from .._install import import_distribution

import_distribution(
    "flask_oauthlib_contrib_apps", "flask-oauthlib[apps]", "The ready-made remote apps package"
)

from flask_oauthlib_contrib_apps import *  # noqa: E402, F403
from flask_oauthlib_contrib_apps import __all__  # noqa: E402, F401
