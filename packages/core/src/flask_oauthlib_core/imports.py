"""Resolve a config value that is either a callable or its dotted import path."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["import_callable"]


def import_callable(value: str | Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Return ``value`` if it is callable, or import it from ``"package.module.name"``.

    :raises ImportError: if the path cannot be imported.
    :raises TypeError: if the value (or what the path names) is not callable.
    """
    if value is None:
        return None
    if isinstance(value, str):
        module_name, _, attribute = value.rpartition(".")
        if not module_name:
            raise ImportError(f"{value!r} is not a dotted path to a callable")
        value = getattr(importlib.import_module(module_name), attribute)
    if not callable(value):
        raise TypeError(f"{value!r} is not callable")
    return value
