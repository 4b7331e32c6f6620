"""The ``serve`` fixture of ``flask_oauthlib_core.testing``, which test_testing.py checks,
here as in every distribution's tests so that they run from the sdist too."""

from __future__ import annotations

from flask_oauthlib_core.testing import serve_fixture

serve = serve_fixture()
