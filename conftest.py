"""Fixtures every test tree of the repository shares (pytest loads this file for all).

Each distribution's ``tests/conftest.py`` sets up the same from
``flask_oauthlib_core.testing``, so its tests also run from its sdist, outside the repository.
"""

from __future__ import annotations

from flask_oauthlib_core.testing import allow_insecure_transport, serve_fixture

# Tests talk plain HTTP to servers on 127.0.0.1; production deployments never set these.
allow_insecure_transport()

serve = serve_fixture()
