"""The ``filesystem`` cache: JSON files in a directory of the app's own, shared by the
workers of one machine under an ``flock``."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from flask_oauthlib_core import StorageUnavailable

from .local import LocalBackend, to_evict

__all__ = ["FILES_UNAVAILABLE", "FileLock", "FileSystemBackend", "private_directory"]

FILES_UNAVAILABLE = "the filesystem cache is unavailable"


class FileLock:
    """An exclusive ``flock`` on a file: atomic across the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self._thread_lock.release()
            raise StorageUnavailable(FILES_UNAVAILABLE) from exc
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._thread_lock.release()


def private_directory(path: Path) -> Path:
    """``path``, created with mode ``0o700`` if missing.

    :raises RuntimeError: when it is not a directory, belongs to another user, or its
        group or others may write to it: whoever can write there decides what the
        cache returns.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeError(f"the cache directory {path} is not a directory")
    if info.st_uid != os.geteuid():
        raise RuntimeError(
            f"the cache directory {path} belongs to uid {info.st_uid}, not to this process"
            f" (uid {os.geteuid()}); give the app a directory of its own"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RuntimeError(
            f"the cache directory {path} is writable by its group or by others"
            f" (mode {stat.S_IMODE(info.st_mode):o}); run chmod 700 on it or use another"
        )
    return path


class FileSystemBackend(LocalBackend):
    """Files in a directory shared by the workers of one machine.

    Each entry is a file of JSON, ``{"expires": <UNIX time>, "value": <text>}``, named by
    a SHA-256 of its key and written to a temporary file first, then moved into place
    (readers see the old entry or the new one, never half of one). Files that are not
    such JSON read as missing. Every write holds an ``flock``; past ``threshold`` files
    (``0``: no limit) the expired ones, then those expiring soonest, are removed.
    :meth:`clear` removes every entry of the directory: give each cache its own.

    :param cache_dir: the directory, created with mode ``0o700`` if missing.
    :raises RuntimeError: when the directory belongs to another user or others may
        write to it.
    """

    _LOCK_NAME = ".flask-oauthlib.lock"
    _TEMP_PREFIX = ".tmp-"

    def __init__(self, cache_dir: str, default_timeout: int = 100, threshold: int = 500) -> None:
        super().__init__(default_timeout)
        self.directory = private_directory(Path(cache_dir))
        self.threshold = threshold
        self._file_lock = FileLock(self.directory / self._LOCK_NAME)

    def _lock(self) -> contextlib.AbstractContextManager[Any]:
        return self._file_lock

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode("utf-8")).hexdigest()

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise StorageUnavailable(FILES_UNAVAILABLE) from exc

    def _read(self, key: str) -> str | None:
        with self._io():
            try:
                raw = self._path(key).read_bytes()
            except FileNotFoundError:
                return None
        return self._decode(raw)

    @staticmethod
    def _decode(raw: bytes) -> str | None:
        try:
            entry = json.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError included
            return None
        if not isinstance(entry, dict):
            return None
        expires, value = entry.get("expires"), entry.get("value")
        if not isinstance(expires, int | float) or not isinstance(value, str):
            return None
        return value if expires > time.time() else None

    def _write(self, key: str, value: str, expires: float, keep_live: bool = False) -> bool:
        with self._io():
            self._prune(keep_live)
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=self._TEMP_PREFIX)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({"expires": expires, "value": value}, file)
                os.utime(temp, (expires, expires))  # lets _prune sort without reading
                os.replace(temp, self._path(key))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
                raise
        return True

    def _remove(self, key: str) -> bool:
        with self._io():
            try:
                self._path(key).unlink()
            except FileNotFoundError:
                return False
        return True

    def _clear(self) -> None:
        with self._io():
            self._unlink(self._expiries())

    def _expiries(self) -> dict[str, float]:
        """The expiry of each entry file, by name (the lock and temporary files start
        with a dot)."""
        with os.scandir(self.directory) as scan:
            return {
                entry.name: entry.stat().st_mtime
                for entry in scan
                if not entry.name.startswith(".") and entry.is_file()
            }

    def _unlink(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / name)

    def _prune(self, keep_live: bool) -> None:
        if self.threshold:
            self._unlink(to_evict(self._expiries(), self.threshold, time.time(), keep_live))
