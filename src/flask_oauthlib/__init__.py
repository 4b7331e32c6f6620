"""flask-oauthlib: OAuth 1 and OAuth 2 clients and providers for Flask.

This package re-exports the split distributions under the import paths of
Flask-OAuthlib 0.9.6: ``flask_oauthlib.client``, ``flask_oauthlib.provider``,
``flask_oauthlib.contrib.*`` and ``flask_oauthlib.utils``. Install the parts you use::

    pip install "flask-oauthlib[oauth2,sqla]"
"""

from __future__ import annotations

from importlib.metadata import version

__version__ = version("flask-oauthlib")
__all__ = ["__version__"]
