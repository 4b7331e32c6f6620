"""Statements the binding saves: what a commit leaves loaded, and the rows a request saved.

Every setter ends with a COMMIT, which expires what the session loaded (the default
``expire_on_commit``): the client, its user and the new row would each be read again
by the next attribute access, one SELECT each, although the request itself read or
wrote them a moment earlier. :func:`commit_keeping` commits without expiring the objects
it is told to keep (their values are those of the transaction just committed); every
other object expires as usual, among them a code just redeemed and a refresh token just
rotated (their conditional UPDATE does not touch the objects).

:func:`remember` and :func:`recall` keep the rows a setter saved for the rest of the
request: the provider reads a new token or code back to confirm it
kept ``resources`` and ``dpop_jkt`` (RFC 8707, RFC 9449), and the getter answers with
the row it just committed instead of asking the database. A row no longer in the
session, or expired since (another commit, a rollback), is read from the database.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

__all__ = ["commit_keeping", "recall", "remember"]

#: the attribute of the request (or ``flask.g``) holding the rows saved, by binding and key
SAVED = "_flask_oauthlib_contrib_sqla_saved"


def _owner(objs: list[Any]) -> Any:
    """The ``Session`` the first mapped object of ``objs`` belongs to, or ``None``."""
    for obj in objs:
        try:
            owner = inspect(obj).session
        except NoInspectionAvailable:
            continue
        if owner is not None:
            return owner
    return None


def commit_keeping(session: Any, *keep: Any) -> None:
    """Commit ``session``; the objects of ``keep`` (``None`` skipped) keep what they had
    loaded instead of expiring, so reading them afterwards costs no SELECT. Every other
    object of the session expires as the commit would have expired it.

    A session without ``expire_on_commit`` (or objects in none) is just committed.
    """
    kept = [obj for obj in keep if obj is not None]
    owner = _owner(kept)
    if owner is None or not owner.expire_on_commit:
        session.commit()
        return
    owner.expire_on_commit = False
    try:
        session.commit()
    finally:
        owner.expire_on_commit = True
    spared = {id(obj) for obj in kept}
    for state in list(owner.identity_map.all_states()):
        obj = state.obj()
        if obj is not None and id(obj) not in spared:
            owner.expire(obj)


def _is_fresh(session: Any, obj: Any) -> bool:
    """Whether ``obj`` is in ``session`` with nothing expired."""
    try:
        state = inspect(obj)
    except NoInspectionAvailable:
        return False
    return obj in session and not state.expired and not state.expired_attributes


def _saved() -> dict[Any, Any] | None:
    """The rows saved in this request (outside one, this app context), by binding and
    key; ``None`` outside both. A request has its own even when it runs in an app context
    pushed before it (which several requests may share)."""
    if has_request_context():
        holder: Any = request._get_current_object()  # type: ignore[attr-defined]
    elif has_app_context():
        holder = g._get_current_object()
    else:
        return None
    saved = getattr(holder, SAVED, None)
    if saved is None:
        saved = {}
        setattr(holder, SAVED, saved)
    return saved


def remember(owner: Any, key: Any, obj: Any) -> None:
    """Keep ``obj``, which ``owner`` (a binding) just saved, as ``key`` until the request
    ends (outside a request, the app context; outside both, nothing is kept)."""
    saved = _saved()
    if saved is not None:
        saved[(owner, key)] = obj


def recall(owner: Any, key: Any, session: Any) -> Any:
    """The row ``owner`` saved as ``key`` in this request, while it is still loaded in
    ``session``; ``None`` otherwise (then ask the database)."""
    saved = _saved()
    obj = None if saved is None else saved.get((owner, key))
    return obj if obj is not None and _is_fresh(session, obj) else None
