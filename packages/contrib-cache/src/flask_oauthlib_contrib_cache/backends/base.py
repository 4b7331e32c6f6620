"""What every backend is (:class:`Backend`) and the decoding they share: entries are text,
counters JSON integers, and a cache server that does not answer is
:class:`StorageUnavailable`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from flask_oauthlib_core import StorageUnavailable

__all__ = ["Backend", "as_integer", "as_text", "unavailable"]

F = TypeVar("F", bound=Callable[..., Any])


class Backend(Protocol):
    """A store of text entries that expire (see the package docs for each operation)."""

    default_timeout: int

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, timeout: int | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None: ...

    def add(self, key: str, value: str, timeout: int | None = None) -> bool: ...

    def incr(self, key: str, delta: int) -> int: ...

    def clear(self) -> bool: ...


def as_text(value: Any) -> str | None:
    """A value a cache server returned, as text; ``None`` when it is not UTF-8."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def as_integer(key: str, text: str | None) -> int:
    """The integer the entry ``text`` holds (``0`` when missing).

    :raises TypeError: when it holds anything else.
    """
    if text is None:
        return 0
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"the cache entry {key!r} is not an integer")
    return value


def unavailable(f: F) -> F:
    """Turn a connection error of the cache client into ``StorageUnavailable``: for
    methods of a backend whose ``errors`` are its client's connection errors and whose
    ``name`` says which cache it is."""

    @functools.wraps(f)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return f(self, *args, **kwargs)
        except self.errors as exc:
            raise StorageUnavailable(f"the {self.name} cache is unavailable") from exc

    return wrapper  # type: ignore[return-value]
