"""The OpenID discovery document a factory reads, served on 127.0.0.1 over plain HTTP.

``serve`` and plain HTTP come from ``flask_oauthlib_core.testing``, as in the repository's
root conftest, so that these tests run from the sdist too.
"""

from __future__ import annotations

from flask_oauthlib_core.testing import allow_insecure_transport, serve_fixture

allow_insecure_transport()

serve = serve_fixture()
