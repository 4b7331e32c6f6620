"""OAuth 2 logins started in this browser session and not yet called back.

Each login a remote app starts (:meth:`OAuthRemoteApp.authorize
<flask_oauthlib_client.OAuthRemoteApp.authorize>`) keeps, in the Flask session, its
one-time ``state`` (RFC 6749 section 10.12), its PKCE verifier (RFC 7636) and its
redirect URI (for OpenID Connect also its ``nonce`` and ``max_age``: see
:mod:`~flask_oauthlib_client.oidc`; the ``resource`` indicators it asked for, separated
by spaces: :mod:`~flask_oauthlib_client.rfc8707`), under ``<name>_oauthpending``. Up to
:data:`MAX_PENDING` may be pending at once (several tabs); a callback consumes only the
one whose ``state`` it carries, so a stray or forged callback aborts no login in
progress.

.. versionadded:: 1.1
"""

from __future__ import annotations

from flask import session

from flask_oauthlib_core import equal_secrets

__all__ = ["LEGACY_KEYS", "MAX_PENDING", "PendingLogins"]

#: OAuth 2 logins kept pending per remote app and session (several tabs)
MAX_PENDING = 5
#: the session keys of the single pending login before 1.1
LEGACY_KEYS = ("state", "pkce", "redir")


class PendingLogins:
    """The pending logins of one remote app in the current Flask session.

    Each is a dict of ``state`` (unless ``enforce_state`` is off), ``pkce`` (the
    verifier, if PKCE is on) and ``redir`` (the redirect URI)::

        logins = PendingLogins("github", enforce_state=True)
        logins.remember({"state": state, "pkce": verifier, "redir": callback})
        ...
        found = logins.take(request.args.get("state"))  # None: no such login

    :param name: the remote app's name, which prefixes its session keys.
    :param enforce_state: whether a callback must carry the ``state`` of a pending
        login; when off, :meth:`take` returns the latest one.
    """

    def __init__(self, name: str, enforce_state: bool = True) -> None:
        self.name = name
        self.enforce_state = enforce_state
        self.key = f"{name}_oauthpending"

    def all(self) -> list[dict[str, str]]:
        """The pending logins, oldest first, at most :data:`MAX_PENDING`.

        A login started before 1.1 (single ``<name>_oauthstate``, ``_oauthpkce`` and
        ``_oauthredir`` keys) is taken over; ``_oauthredir`` alone, which
        :meth:`~flask_oauthlib_client.OAuthRemoteApp.authorize` still writes for
        0.9.6 subclasses, is no login of its own.
        """
        stored = session.get(self.key)
        pending = (
            [item for item in stored if isinstance(item, dict)] if isinstance(stored, list) else []
        )
        legacy = {
            what: session.pop(f"{self.name}_oauth{what}", None)
            for what in LEGACY_KEYS
            if what != "redir"
        }
        if any(isinstance(value, str) for value in legacy.values()):
            # ``_oauthredir`` stays: authorize() keeps writing it, as 0.9.6 did
            legacy["redir"] = session.get(f"{self.name}_oauthredir")
            pending.append({k: v for k, v in legacy.items() if isinstance(v, str)})
        return pending[-MAX_PENDING:]

    def remember(self, entry: dict[str, str]) -> None:
        """Add a login, forgetting the oldest beyond :data:`MAX_PENDING`.

        :param entry: its ``state``, ``pkce`` and ``redir``.
        """
        session[self.key] = [*self.all(), entry][-MAX_PENDING:]

    def take(self, state: str | None) -> dict[str, str] | None:
        """Remove and return the login a callback answers, or ``None``.

        With ``enforce_state`` it is the one whose ``state`` equals ``state`` (compared
        in constant time); otherwise the latest one. The others stay.

        :param state: the ``state`` the callback carries, if any.
        """
        pending = self.all()
        found: dict[str, str] | None = None
        if not self.enforce_state:
            found = pending[-1] if pending else None
        elif state is not None:
            for entry in pending:
                if equal_secrets(state, entry.get("state") or None):
                    found = entry
        if found is not None:
            pending.remove(found)
            session[self.key] = pending
        return found
