"""The fixtures of the OAuth 2 provider's tests (``oauth2_app``), for the tests here that
attack that provider over real HTTP: ``make_provider`` and ``provider``."""

from __future__ import annotations

from oauth2_app import make_provider, provider

__all__ = ["make_provider", "provider"]
