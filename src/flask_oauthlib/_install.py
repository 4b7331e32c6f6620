"""Turn "that distribution is not installed" into an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_distribution"]


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
