"""Turn "that distribution is not installed" into an error that says what to install."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["import_distribution", "lazy_exports"]


def import_distribution(module: str, requirement: str, what: str) -> ModuleType:
    """Import ``module`` (the top-level package of one distribution).

    If that package itself is missing, raise an ``ImportError`` saying what to install
    (``requirement``, for example ``flask-oauthlib[oauth1]``); any other import error (a
    missing dependency of it, a bug) propagates unchanged.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise ImportError(
            f'{what} is not installed: pip install "{requirement}"', name=module
        ) from exc


def lazy_exports(
    module: str, names: dict[str, tuple[str, str, str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that load each name from its distribution on
    first use: ``names`` maps a name to ``(import package, requirement, what)``."""

    def __getattr__(name: str) -> Any:
        try:
            package, requirement, what = names[name]
        except KeyError:
            raise AttributeError(f"module {module!r} has no attribute {name!r}") from None
        return getattr(import_distribution(package, requirement, what), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
