from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from oauth2_app import Store, create_app

from flask_oauthlib_provider_oauth2 import OAuth2Provider


@dataclass
class Provider:
    app: Flask
    oauth: OAuth2Provider
    store: Store
    url: str

    def consent(self, authorization_url: str, allow: bool = True) -> requests.Response:
        """Play the user: open the consent page, then allow or deny."""
        page = requests.get(authorization_url, allow_redirects=False, timeout=10)
        if page.status_code != 200:
            return page
        return requests.post(
            authorization_url,
            data={"confirm": "yes" if allow else "no"},
            allow_redirects=False,
            timeout=10,
        )

    def callback_params(self, authorization_url: str, allow: bool = True) -> dict[str, str]:
        answer = self.consent(authorization_url, allow)
        assert answer.status_code == 302, answer.text
        location = urlsplit(answer.headers["Location"])
        query = location.fragment if location.fragment else location.query
        return {k: v[0] for k, v in parse_qs(query).items()}


@pytest.fixture
def make_provider(serve: Callable[[Flask], str]) -> Callable[..., Provider]:
    def make(store: Store | None = None, **config: Any) -> Provider:
        app, oauth, store = create_app(store, **config)
        return Provider(app, oauth, store, serve(app))

    return make


@pytest.fixture
def provider(make_provider: Callable[..., Provider]) -> Provider:
    return make_provider()
