"""The provider app of ``oauth2_app`` with storage that keeps resources (RFC 8707), its
resource metadata view (RFC 9728), and what a client does there over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, jsonify, request
from oauth2_app import REDIRECT, SECRETS, Store, create_app

from flask_oauthlib_core.testing import code_from, consent
from flask_oauthlib_provider_oauth2 import OAuth2Provider

WELL_KNOWN = "/.well-known/oauth-protected-resource"


class ResourceApp:
    """A provider served for one test; its storage keeps ``resources`` unless told
    otherwise (``keep_grants``/``keep_tokens`` false: storage as 0.9.6 apps wrote it)."""

    def __init__(
        self,
        serve: Callable[[Flask], str],
        store: Store | None = None,
        *,
        keep_grants: bool = True,
        keep_tokens: bool = True,
        metadata_view: bool = True,
        **config: Any,
    ) -> None:
        self.app, self.oauth, self.store = create_app(store, **config)
        self.consent_kwargs: list[dict[str, Any]] = []
        if keep_grants:
            keep_grant_resources(self.oauth, self.store)
        if keep_tokens:
            keep_token_resources(self.oauth, self.store)
        add_views(self.app, self.oauth, self.consent_kwargs, metadata_view)
        self.url = serve(self.app)

    def configure(self, **config: Any) -> None:
        """Set config keys before the app's first OAuth request (they are read then)."""
        self.app.config.update(config)

    def authorize_url(
        self, resources: Iterable[str] = (), client_id: str = "confidential", **params: str
    ) -> str:
        query = [
            ("response_type", params.pop("response_type", "code")),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", params.pop("scope", "email")),
            *params.items(),
            *(("resource", resource) for resource in resources),
        ]
        return f"{self.url}/oauth/consent?" + urlencode(query)

    def code(self, resources: Iterable[str] = (), **params: str) -> str:
        """A code the user allowed, asked with ``resources``."""
        return code_from(consent(self.authorize_url(resources, **params), open_page=True))

    def token(
        self, pairs: list[tuple[str, str]], as_client: str = "confidential"
    ) -> requests.Response:
        """POST ``pairs`` (names may repeat) to the token endpoint as ``as_client``."""
        auth = (as_client, SECRETS[as_client])
        return requests.post(self.url + "/oauth/token", data=pairs, auth=auth, timeout=10)

    def redeem(self, code: str, resources: Iterable[str] = ()) -> requests.Response:
        pairs = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]
        return self.token(pairs + [("resource", r) for r in resources])

    def refresh(self, refresh_token: str, resources: Iterable[str] = ()) -> requests.Response:
        pairs = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)]
        return self.token(pairs + [("resource", r) for r in resources])

    def machine_token(self, resources: Iterable[str] = ()) -> requests.Response:
        pairs = [("grant_type", "client_credentials")]
        return self.token(pairs + [("resource", r) for r in resources], "machine")

    def get(self, path: str, access_token: str | None = None) -> requests.Response:
        headers = {"Authorization": "Bearer " + access_token} if access_token else {}
        return requests.get(self.url + path, headers=headers, timeout=10)


def keep_grant_resources(oauth: OAuth2Provider, store: Store) -> None:
    """Give the store's grantsetter ``resources``, as storage that keeps them does."""
    save_grant = store.functions["grantsetter"]

    @oauth.grantsetter
    def save(client_id: str, code: dict[str, str], req: Any, *args: Any) -> Any:
        grant = save_grant(client_id, code, req)
        grant.resources = list(req.resources)
        return grant


def keep_token_resources(oauth: OAuth2Provider, store: Store) -> None:
    """Give the store's tokensetter ``resources``."""
    save_token = store.functions["tokensetter"]

    @oauth.tokensetter
    def save(token: dict[str, Any], req: Any, *args: Any) -> Any:
        tok = save_token(token, req)
        tok.resources = list(getattr(req, "resources", None) or [])
        return tok


def add_views(
    app: Flask, oauth: OAuth2Provider, seen: list[dict[str, Any]], metadata_view: bool
) -> None:
    """A consent view that shows what it was given, an API and the metadata view."""

    @app.route("/oauth/consent", methods=["GET", "POST"])
    @oauth.authorize_handler
    def consent_page(*args: Any, **kwargs: Any) -> Any:
        seen.append({k: v for k, v in kwargs.items() if k != "request"})
        if request.method == "GET":
            return "<form method='post'><button name='confirm' value='yes'>Allow</button></form>"
        return request.form.get("confirm") == "yes"

    @app.route("/api/data")
    @oauth.require_oauth("email")
    def data() -> Any:
        return jsonify(resources=list(getattr(request.oauth.access_token, "resources", [])))

    if metadata_view:

        @app.route(WELL_KNOWN)
        @app.route(WELL_KNOWN + "/<path:resource>")
        @oauth.resource_metadata_handler
        def resource_metadata(resource: str | None = None) -> dict[str, Any]:
            return {"resource_name": "Test API"}
