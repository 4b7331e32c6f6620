"""Nonces stored only once a request turned out valid: the block the provider's endpoints
validate in, and what the validator asks of it.

oauthlib checks the nonce before anything else, so a nonce stored right then could be one
of an unsigned request with a made-up client key: anyone could fill the store.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from contextvars import ContextVar, Token

__all__ = ["PENDING_NONCE", "nonce_is_deferred", "nonce_stored_after_validation"]

#: set while one of the provider's endpoints validates a request: the nonce is then only
#: checked, and stored once the whole request is valid
_DEFER_NONCE: ContextVar[bool] = ContextVar("flask_oauthlib_oauth1_defer_nonce", default=False)
#: the oauthlib request attribute holding the checked nonce until it is stored
PENDING_NONCE = "_flask_oauthlib_pending_nonce"


class _NonceDeferred:
    """The block of :func:`nonce_stored_after_validation` (a plain class: it is entered
    on every request, and a generator-based context manager costs more)."""

    __slots__ = ("_reset",)
    _reset: Token[bool]

    def __enter__(self) -> None:
        self._reset = _DEFER_NONCE.set(True)

    def __exit__(self, *exc_info: object) -> None:
        _DEFER_NONCE.reset(self._reset)


def nonce_stored_after_validation() -> AbstractContextManager[None]:
    """While oauthlib validates a request in this block,
    :meth:`~.validator.OAuth1RequestValidator.validate_timestamp_and_nonce` only checks
    the nonce; the endpoint stores it with
    :meth:`~.validator.OAuth1RequestValidator.record_nonce` once the request (client key
    and signature included) turned out valid."""
    return _NonceDeferred()


def nonce_is_deferred() -> bool:
    """Whether a validation runs in :func:`nonce_stored_after_validation`'s block."""
    return _DEFER_NONCE.get()
