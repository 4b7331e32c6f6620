"""Single use in the same transaction as the token it pays for.

Redeeming a code or rotating a refresh token is a conditional UPDATE (or, for 0.9.6-style
tables, DELETE) whose row count says who won. It is not committed on its own: the row
stays locked until the new token is inserted and both are committed together by the
tokensetter. So

- a concurrent second use waits for the first to commit and then finds the code used
  (or the refresh token rotated), and the tokens it revokes include the winner's new
  ones;
- a failure while writing the new token rolls the claim back, and the client can retry
  (it does not look like a replay).

A request that claims and then fails before the token is written (a wrong PKCE
verifier, say) rolls the claim back when the app context ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from flask_oauthlib_core import StorageUnavailable

from .kept import commit_keeping

__all__ = ["claim", "commit", "release"]

#: the ``session.info`` key of a claim waiting for its token
PENDING = "flask_oauthlib.pending_claim"


def claim(session: Any, statement: Any) -> int:
    """Run the claiming ``statement`` in ``session``'s transaction, uncommitted; return
    the number of rows it changed."""
    try:
        result: Any = session.execute(statement, execution_options={"synchronize_session": False})
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageUnavailable("the OAuth storage database failed") from exc
    session.info[PENDING] = True
    return int(result.rowcount)


def commit(session: Any, *keep: Any) -> None:
    """Commit the new token together with the claim it pays for; ``keep``: objects that
    stay loaded (:func:`~.kept.commit_keeping`)."""
    commit_keeping(session, *keep)
    session.info.pop(PENDING, None)


def release(session: Any) -> None:
    """Roll back a claim whose token was never written (called when the app context
    ends, also for sessions the app does not remove at teardown)."""
    if session.info.pop(PENDING, False):
        session.rollback()
