"""The providers, read from ``providers.json``: one entry each, no code per provider.

Add a provider by adding an entry there (the fields of :class:`~.factory.Provider`).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from .factory import Provider

__all__ = ["PROVIDERS", "load_providers"]


def load_providers(text: str) -> tuple[Provider, ...]:
    """Build the :class:`Provider` entries from their JSON list."""
    entries: list[dict[str, Any]] = json.loads(text)
    providers = []
    for entry in entries:
        if "default_scope" in entry:
            entry["default_scope"] = tuple(entry["default_scope"])
        providers.append(Provider(**entry))
    return tuple(providers)


PROVIDERS: tuple[Provider, ...] = load_providers(
    files(__package__).joinpath("providers.json").read_text(encoding="utf-8")
)
