"""The demo provider and client, served in-process on free ports, for tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo_client import create_client
from demo_provider import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, create_provider

from flask_oauthlib_core.testing import free_port


@dataclass
class Demo:
    provider_url: str
    client_url: str


def start_demo(
    serve: Callable[..., str], tmp_path: Path, initial_access_token: str | None = None
) -> Demo:
    provider_port, client_port = free_port(), free_port()
    provider_url = f"http://127.0.0.1:{provider_port}"
    client_url = f"http://127.0.0.1:{client_port}"
    database = "sqlite:///" + str(tmp_path / "demo.sqlite")
    provider = create_provider(
        database, client_url + "/authorized", provider_url, initial_access_token
    )
    serve(provider, provider_port)
    serve(create_client(provider_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET), client_port)
    return Demo(provider_url, client_url)
