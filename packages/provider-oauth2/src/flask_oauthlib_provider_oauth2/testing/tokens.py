"""Access tokens minted for a test, in the app's own storage, with no login.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from flask import Flask, current_app

from .clients import (
    DEFAULT_BASE_URL,
    RegisteredClient,
    create_client,
    in_app,
    load_client,
    oauth_request,
    provider_of,
)
from .dpop import DPoPKey

__all__ = ["MintedToken", "mint_token"]


@dataclass(frozen=True)
class MintedToken:
    """A token minted for a test, with the headers to send it::

        answer = client.get("/api/me", headers=token.headers)
        answer = client.get("/api/me", headers=dpop_token.headers_for("GET", "/api/me"))

    :ivar access_token: the access token.
    :ivar token_type: ``Bearer``, or ``DPoP`` for a token bound to :attr:`dpop_key`.
    :ivar refresh_token: its refresh token, if one was minted.
    :ivar expires_in: its lifetime in seconds (negative: it has expired).
    :ivar scopes: its scopes.
    :ivar client_id: the client it was issued to.
    :ivar response: the token as the token endpoint would have answered it.
    :ivar dpop_key: the key a DPoP-bound token is bound to.
    :ivar base_url: what relative URLs of :meth:`headers_for` are joined to.

    .. versionadded:: 1.1
    """

    access_token: str
    token_type: str
    refresh_token: str | None
    expires_in: int
    scopes: tuple[str, ...]
    client_id: str
    response: dict[str, Any] = field(repr=False)
    dpop_key: DPoPKey | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Bearer <token>``.

        :raises TypeError: for a DPoP-bound token, whose proof names the request: use
            :meth:`headers_for`.
        """
        if self.dpop_key is not None:
            raise TypeError(
                "a DPoP-bound token needs a proof for each request: use"
                " token.headers_for(method, url)"
            )
        return {"Authorization": f"Bearer {self.access_token}"}

    def headers_for(
        self, method: str = "GET", url: str = "/", *, nonce: str | None = None
    ) -> dict[str, str]:
        """The headers of a request of ``method`` to ``url`` (relative to
        :attr:`base_url`) with this token: ``Authorization``, and a fresh ``DPoP`` proof
        for a DPoP-bound token.

        :param nonce: the provider's ``DPoP-Nonce``, when it asks for one.
        """
        if self.dpop_key is None:
            return self.headers
        target = urljoin(self.base_url + "/", url)
        proof = self.dpop_key.proof(method, target, self.access_token, nonce=nonce)
        return {"Authorization": f"DPoP {self.access_token}", "DPoP": proof}


def mint_token(
    app: Flask | None = None,
    *,
    client: Any = None,
    user: Any = None,
    scopes: Iterable[str] = (),
    expires_in: int = 3600,
    refresh_token: bool = True,
    dpop: bool | DPoPKey = False,
    resources: Iterable[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> MintedToken:
    """Issue an access token as the provider's token endpoint would, without the login.

    The token is made by the app's token generator (a JWT access token when the app or
    client wants those) and saved by its validator's ``save_bearer_token``, that is by
    its ``tokensetter`` (or ``bind_sqlalchemy``'s), from an oauthlib request carrying
    ``client``, ``user``, ``scopes``, ``resources`` and, bound, ``dpop_jkt``; so
    ``require_oauth`` finds it as it finds any other::

        token = mint_token(app, client="my-client", user=alice, scopes=["email"])
        assert app.test_client().get("/api/me", headers=token.headers).status_code == 200

    :param app: the app; the current one by default.
    :param client: a client object, its ``client_id``, or a :class:`RegisteredClient`;
        without one, a client is made (:func:`create_client`).
    :param user: the user the token is for; ``None`` for a client's own token (as the
        client credentials grant gives).
    :param scopes: its scopes.
    :param expires_in: its lifetime, seconds; a negative one makes a token that has
        already expired.
    :param refresh_token: mint a refresh token too.
    :param dpop: ``True`` (a new :class:`DPoPKey`) or a key: a DPoP-bound token. Needs
        ``OAUTH2_PROVIDER_DPOP_ENABLED`` to be accepted, and PyJWT.
    :param resources: its audience (RFC 8707 resource indicators).
    :param base_url: the URL of the request context it is minted in.
    :raises RuntimeError: a DPoP token the storage did not keep bound.
    :raises LookupError: for a client the ``clientgetter`` does not find.

    .. versionadded:: 1.1
    """
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    key = DPoPKey.generate() if dpop is True else (dpop or None)
    wanted = list(scopes)
    with in_app(app, base_url):
        server = provider_of(app).server
        validator = server.request_validator
        if client is None:
            client = create_client(app, scopes=wanted, base_url=base_url)
        if isinstance(client, str | RegisteredClient):
            client_id = client if isinstance(client, str) else client.client_id
            client = load_client(validator, client_id, base_url)
        req = oauth_request(
            base_url + "/oauth/token",
            client=client,
            client_id=client.client_id,
            user=user,
            scopes=wanted,
            grant_type="authorization_code" if user is not None else "client_credentials",
            refresh_token=None,
            expires_in=expires_in,
            dpop_jkt=key.jkt if key is not None else None,
            resources=list(resources) if resources is not None else None,
        )
        bearer = server.bearer
        token: dict[str, Any] = {
            "access_token": bearer.token_generator(req),
            "token_type": "Bearer",
            "expires_in": expires_in,
        }
        if wanted:
            token["scope"] = " ".join(wanted)
        if refresh_token:
            token["refresh_token"] = bearer.refresh_token_generator(req)
        validator.save_bearer_token(token, req)
    if key is not None and token["token_type"] != "DPoP":  # noqa: S105 - a token type
        raise RuntimeError(
            "the tokensetter did not keep request.dpop_jkt as the token's dpop_jkt, so the"
            " token was saved as a Bearer token"
        )
    return MintedToken(
        access_token=token["access_token"],
        token_type=token["token_type"],
        refresh_token=token.get("refresh_token"),
        expires_in=expires_in,
        scopes=tuple(wanted),
        client_id=str(req.client_id),
        response=dict(token),
        dpop_key=key,
        base_url=base_url,
    )
