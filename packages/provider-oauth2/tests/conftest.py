"""The provider fixtures, and what these tests need from the repository's test tools.

``make_provider`` and ``provider`` are defined in ``oauth2_app`` (root tests that drive this
provider register them too); ``provider`` takes the storage as an indirect parameter,
``"modern"`` by default or ``"0.9.6"``. ``serve`` and plain HTTP come from
``flask_oauthlib_core.testing``, as in the repository's root conftest, so that these tests
run from the sdist too.
"""

from __future__ import annotations

from oauth2_app import make_provider, provider

from flask_oauthlib_core.testing import allow_insecure_transport, serve_fixture

__all__ = ["make_provider", "provider", "serve"]

allow_insecure_transport()

serve = serve_fixture()
