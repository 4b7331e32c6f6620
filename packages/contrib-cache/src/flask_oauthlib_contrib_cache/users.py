"""How a cached grant keeps the user who authorized it, without pickle.

0.9.6 pickled the whole user object into the cache, so ``grant.user`` (and the user of
the token issued from it) had every attribute. Grants here are JSON, so the user is
stored as a reference and loaded again when the code is redeemed, in this order:

1. the ``user_loader`` given to :func:`~.bind_cache_grant` (``f(user_id)``);
2. the app's Flask-Login user loader (``login_manager.user_loader``), with
   ``user.get_id()``;
3. for a SQLAlchemy mapped user, its class and primary key, loaded with Flask-SQLAlchemy's
   session (or the class's ``query`` session);
4. else a snapshot of the user's attributes, restored as a :class:`UserSnapshot`; a
   warning is logged once, since methods and relationships are lost.

A snapshot keeps, in this order of precedence:

- ``id`` always (when the user has one);
- the names in the user's ``__oauth_snapshot__`` (a class or instance attribute: a
  sequence of attribute names, properties allowed) if it has one, else every public
  attribute of its ``__dict__`` (names not starting with ``_``);
- of those, only values JSON holds exactly (``str``, numbers, ``bool``, ``None``, and
  lists and dicts of them), and never an attribute, or a key of a dict inside one, whose
  name looks secret: it contains, in any case, one of :data:`SECRET_NAME_PARTS`
  (``password``, ``passwd``, ``secret``, ``token``, ``hash``, ``salt``, ``key``,
  ``otp``, ``totp``, ``pin``, ``credential``, ``ssn``). Listing such a name in
  ``__oauth_snapshot__`` does not change that (a warning names it): the cache is
  shared, so password hashes, TOTP seeds and tokens stay out of it. A user whose code
  needs more than the snapshot gives should come back through a loader (1 or 2).

Every reference is signed with an HMAC of the app's ``SECRET_KEY``, so a cache that
someone else can write to cannot name another user or another class.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask

from flask_oauthlib_core import equal_secrets

from .cache import exact_json

__all__ = ["SECRET_NAME_PARTS", "SNAPSHOT_ATTRIBUTE", "UserSnapshot", "UserStore", "looks_secret"]

log = logging.getLogger(__name__)

#: the key used when the app has no ``SECRET_KEY`` (good for one process only)
_PROCESS_KEY = secrets.token_bytes(32)
_MISSING = object()

#: an attribute whose name contains one of these (in any case) is never snapshotted
SECRET_NAME_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "hash",
    "salt",
    "key",
    "otp",
    "totp",
    "pin",
    "credential",
    "ssn",
)
#: the user attribute listing the names a snapshot keeps (besides ``id``)
SNAPSHOT_ATTRIBUTE = "__oauth_snapshot__"


def looks_secret(name: str) -> bool:
    """Whether the attribute ``name`` looks like it holds a secret (see the module docs)."""
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAME_PARTS)


def _without_secrets(value: Any) -> Any:
    """``value`` with the entries of its dicts (nested ones too) whose keys look secret
    left out."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if not looks_secret(k)}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value


class UserSnapshot:
    """A user restored from the public attributes it had when it authorized a code."""

    def __init__(self, **attributes: Any) -> None:
        self.__dict__.update(attributes)

    def __repr__(self) -> str:
        return f"<UserSnapshot {getattr(self, 'id', None)!r}>"

    def __eq__(self, other: object) -> bool:
        return bool(getattr(other, "id", object()) == getattr(self, "id", object()))

    def __hash__(self) -> int:
        return hash(getattr(self, "id", None))


def _mapped(user: Any) -> Any:
    """The SQLAlchemy instance state of ``user``, or ``None`` if it is not mapped."""
    try:
        from sqlalchemy import inspect
        from sqlalchemy.exc import NoInspectionAvailable
    except ImportError:
        return None
    try:
        return inspect(user)
    except NoInspectionAvailable:
        return None


class UserStore:
    """Turns the user of a grant into signed JSON and back (see the module docs).

    :param app: the app whose ``SECRET_KEY``, Flask-Login manager and Flask-SQLAlchemy
        extension are used.
    :param user_loader: ``f(user_id)`` returning the user, if the app gives one.

    .. versionadded:: 1.1
    """

    def __init__(self, app: Flask, user_loader: Callable[[Any], Any] | None = None) -> None:
        self.app = app
        self.user_loader = user_loader
        self._warned = False
        #: user classes whose ``__oauth_snapshot__`` named a secret-looking attribute
        self._warned_lists: set[type] = set()
        #: mapped user classes seen by this process, by ``module:qualname``
        self._models: dict[str, type] = {}

    # -- signing ---------------------------------------------------------------------------

    def _sign(self, ref: dict[str, Any]) -> str:
        secret = self.app.secret_key
        key = secret.encode() if isinstance(secret, str) else (secret or _PROCESS_KEY)
        body = json.dumps(ref, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(key, b"flask-oauthlib grant user\x00" + body, hashlib.sha256).hexdigest()

    # -- dump ------------------------------------------------------------------------------

    def dump(self, user: Any) -> dict[str, Any] | None:
        """A signed reference to ``user`` (``None`` for no user)."""
        if user is None:
            return None
        ref = self._reference(user)
        return {**ref, "sig": self._sign(ref)}

    def reloadable(self, user: Any) -> bool:
        """Whether ``user`` comes back as itself (``user_loader``, Flask-Login, or a
        SQLAlchemy class and primary key), not as a snapshot.

        .. versionadded:: 1.1
        """
        if self.user_loader is not None:
            return True
        if self._login_loader() is not None and hasattr(user, "get_id"):
            return True
        state = _mapped(user)
        return (
            state is not None and state.identity is not None and bool(self._session_for(type(user)))
        )

    def _login_loader(self) -> Callable[[str], Any] | None:
        manager = getattr(self.app, "login_manager", None)
        return getattr(manager, "_user_callback", None)

    def _reference(self, user: Any) -> dict[str, Any]:
        if self.user_loader is not None:
            return {"kind": "loader", "id": user.id}
        if self._login_loader() is not None and hasattr(user, "get_id"):
            return {"kind": "login", "id": user.get_id()}
        state = _mapped(user)
        if state is not None and state.identity is not None and self._session_for(type(user)):
            cls = type(user)
            name = f"{cls.__module__}:{cls.__qualname__}"
            self._models[name] = cls
            return {"kind": "model", "class": name, "pk": list(state.identity)}
        if not self._warned:
            self._warned = True
            log.warning(
                "cached grants keep the user as a snapshot of its attributes; pass"
                " user_loader= to bind_cache_grant (or use Flask-Login's user_loader) to"
                " get the user object back"
            )
        return {"kind": "snapshot", "attributes": self._snapshot(user)}

    def _snapshot(self, user: Any) -> dict[str, Any]:
        """The attributes a snapshot keeps of ``user`` (see the module docs)."""
        listed = getattr(user, SNAPSHOT_ATTRIBUTE, None)
        if listed is None:
            names = [name for name in vars(user) if not name.startswith("_")]
        else:
            names = [listed] if isinstance(listed, str) else [str(name) for name in listed]
            refused = [name for name in names if looks_secret(name)]
            if refused and type(user) not in self._warned_lists:
                self._warned_lists.add(type(user))
                log.warning(
                    "%s.%s names attributes that look secret; they are not snapshotted: %s",
                    type(user).__name__,
                    SNAPSHOT_ATTRIBUTE,
                    ", ".join(refused),
                )
        attributes: dict[str, Any] = {}
        for name in ["id", *names]:
            if name in attributes or looks_secret(name):
                continue
            value = getattr(user, name, _MISSING)
            if value is not _MISSING and exact_json(value):
                attributes[name] = _without_secrets(value)
        return attributes

    # -- load ------------------------------------------------------------------------------

    def load(self, ref: Any) -> Any:
        """The user ``ref`` names; ``None`` if it is unsigned, tampered with or cannot be
        loaded (the grant is then refused)."""
        if not isinstance(ref, dict) or not isinstance(ref.get("sig"), str):
            return None
        body = {key: value for key, value in ref.items() if key != "sig"}
        if not equal_secrets(ref["sig"], self._sign(body)):
            log.warning("ignored a grant whose user reference is not signed by this app")
            return None
        try:
            return self._load(body)
        except (KeyError, TypeError, ValueError, ImportError, AttributeError) as exc:
            log.warning("could not load the user of a grant (%s)", type(exc).__name__)
            return None

    def _load(self, body: dict[str, Any]) -> Any:
        kind = body.get("kind")
        if kind == "loader" and self.user_loader is not None:
            return self.user_loader(body["id"])
        if kind == "login":
            loader = self._login_loader()
            return loader(body["id"]) if loader is not None else None
        if kind == "model":
            return self._load_model(body["class"], body["pk"])
        if kind == "snapshot":
            return UserSnapshot(**body["attributes"])
        return None

    def _session_for(self, cls: type) -> Any:
        """A session that can load instances of ``cls``: Flask-SQLAlchemy's, or the
        session behind the class's ``query`` property."""
        extension = self.app.extensions.get("sqlalchemy")
        if extension is not None and hasattr(extension, "session"):
            return extension.session
        query = getattr(cls, "query", None)
        return getattr(query, "session", None)

    def _load_model(self, name: str, pk: list[Any]) -> Any:
        """The row ``pk`` of the mapped class ``name`` (seen by this process, or imported:
        the reference is signed, so the name is one this app wrote)."""
        target: Any = self._models.get(name)
        if target is None:
            module, _, qualname = name.partition(":")
            target = importlib.import_module(module)
            for part in qualname.split("."):
                target = getattr(target, part)
        if _mapped(target) is None:
            return None
        session = self._session_for(target)
        if session is None:
            return None
        return session.get(target, pk[0] if len(pk) == 1 else tuple(pk))
