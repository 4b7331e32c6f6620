"""Signals of the contrib client (blinker, as Flask's own)."""

from __future__ import annotations

from blinker import Namespace

__all__ = ["request_token_fetched"]

_signals = Namespace()

#: Sent by :meth:`OAuth1Application.authorize` when the request token arrives, with the
#: application as sender and the server's answer (a dict) as ``response``.
request_token_fetched = _signals.signal("request-token-fetched")
