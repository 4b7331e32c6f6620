"""Test helpers for apps that run the OAuth 2 provider: tokens and clients made in the
app's own storage, so tests of protected views need no login.

:func:`mint_token` issues an access token as the token endpoint would (the app's token
generator, its ``tokensetter`` or ``bind_sqlalchemy`` storage) for a client, a user,
scopes and a lifetime, bound to a DPoP key (:class:`DPoPKey`) if asked, and returns a
:class:`MintedToken` with the headers to send it. :func:`create_client` makes a client
through the provider's ``clientsetter``::

    from flask_oauthlib_provider_oauth2.testing import mint_token

    def test_me(app):
        token = mint_token(app, client="my-client", user=alice, scopes=["email"])
        assert app.test_client().get("/api/me", headers=token.headers).status_code == 200

With pytest, the ``oauth2_token`` and ``oauth2_client`` fixtures
(:mod:`flask_oauthlib_provider_oauth2.pytest_plugin`, registered when the distribution is
installed) call them with the test's app. DPoP keys and proofs need the ``oidc`` extra
(PyJWT with cryptography).

.. versionadded:: 1.1
"""

from __future__ import annotations

from .clients import RegisteredClient, create_client
from .dpop import DPoPKey
from .tokens import MintedToken, mint_token

__all__ = ["DPoPKey", "MintedToken", "RegisteredClient", "create_client", "mint_token"]
