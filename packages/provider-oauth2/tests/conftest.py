from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from oauth2_app import Provider, Store, create_app


@pytest.fixture
def make_provider(serve: Callable[[Flask], str]) -> Callable[..., Provider]:
    def make(store: Store | None = None, **options: Any) -> Provider:
        app, oauth, store = create_app(store, **options)
        return Provider(app, oauth, store, serve(app))

    return make


@pytest.fixture
def provider(make_provider: Callable[..., Provider]) -> Provider:
    return make_provider()
