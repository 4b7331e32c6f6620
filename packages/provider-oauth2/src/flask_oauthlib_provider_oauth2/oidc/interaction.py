"""The end-user's part of an OpenID authentication request at the authorization
endpoint.

- Whether they must log in (again) before a code is issued: nobody is logged in, the
  login is older than ``max_age``, or ``prompt=login`` and they have not logged in since
  the request was first seen (kept in the session). The authorization view gets
  ``login_required`` and sends the user to its login page; a code is never issued while
  it holds (``login_required`` goes to the client instead).
- What the view may answer: under ``prompt=none`` no page (``consent_required``), under
  ``prompt=consent`` no decision without asking (``consent_required``).
- The OpenID parameters a consent form does not re-post (``nonce``, ``claims``,
  ``max_age``, ``prompt``), kept in the session from the request's first visit, as
  :mod:`..rfc7636` keeps the PKCE challenge.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, session
from oauthlib.oauth2.rfc6749 import errors

__all__ = [
    "forget_first_seen",
    "login_required",
    "refuse_answer",
    "remember_parameters",
    "restore_parameters",
]

#: the session keys: when requests were first seen, and their OpenID parameters
SEEN_KEY = "_flask_oauthlib_oidc_seen"
PARAMS_KEY = "_flask_oauthlib_oidc"
#: how many pending authentication requests of one session are kept
REMEMBERED = 8
#: the parameters carried from a request's first visit to its consent POST
CARRIED = ("nonce", "claims", "max_age", "prompt")


def _session_usable() -> bool:
    return has_request_context() and not current_app.session_interface.is_null_session(session)


def _keep(name: str, key: str, value: Any) -> None:
    kept = dict(session.get(name) or {})
    kept.pop(key, None)
    kept[key] = value
    session[name] = dict(list(kept.items())[-REMEMBERED:])


def _seen_key(req: Any) -> str:
    return "\x00".join(
        str(getattr(req, name, None) or "") for name in ("client_id", "state", "nonce")
    )


def _first_seen(req: Any, record: bool) -> int | None:
    """When this session first saw the request (seconds since the epoch); recorded now
    if ``record`` and it was not seen before."""
    if not _session_usable():
        return None
    key = _seen_key(req)
    seen = (session.get(SEEN_KEY) or {}).get(key)
    if seen is None and record:
        seen = req.openid.now()
        _keep(SEEN_KEY, key, seen)
    return int(seen) if seen is not None else None


def forget_first_seen(req: Any) -> None:
    """Drop the request's first-seen time once its code is issued."""
    if _session_usable() and SEEN_KEY in session:
        kept = dict(session[SEEN_KEY])
        if kept.pop(_seen_key(req), None) is not None:
            session[SEEN_KEY] = kept


def login_required(validator: Any, login: Any, req: Any, *, record: bool) -> bool:
    """Whether the end-user must log in (again) before a code is issued for ``req``.

    A login made after this session first saw the request satisfies ``max_age``: time
    spent on the consent page after logging in never sends the user to log in again
    (with ``max_age=0`` they could never finish)."""
    prompt_login = "login" in str(req.prompt or "").split()
    asks_max_age = vars(req).get("max_age_seconds") is not None
    # seen from the first visit on, also when nobody is logged in yet: the login that
    # visit leads to is after it, in whatever second it happens
    seen = _first_seen(req, record) if prompt_login or asks_max_age else None
    if login is None:
        return True
    auth_time = login[1]
    if not validator.login_is_fresh(auth_time, req, at=seen):
        return True
    if prompt_login:
        return auth_time is None or seen is None or auth_time < seen
    return False


def refuse_answer(credentials: Mapping[str, Any], answer: Any) -> errors.OAuth2Error | None:
    """The error for what the authorization view answered an OpenID request, if the
    request's ``prompt`` forbids it: a page under ``prompt=none``, or a decision taken
    on the first visit (a ``GET`` answered ``True``) under ``prompt=consent``."""
    prompt = credentials.get("prompt")
    if prompt is None:  # not an OpenID request
        return None
    prompt = str(prompt).split()
    error: errors.OAuth2Error | None = None
    if "none" in prompt and not isinstance(answer, bool):
        error = errors.ConsentRequired(description="The end-user must be asked for consent.")
    elif "consent" in prompt and answer is True and request.method == "GET":
        error = errors.ConsentRequired(description="prompt=consent: ask the end-user first.")
    if error is not None:
        error.state = credentials.get("state")
        error.redirect_uri = credentials.get("redirect_uri")
    return error


def _params_key(client_id: Any, state: Any) -> str:
    return f"{client_id or ''}\x00{state or ''}"


def remember_parameters(credentials: Mapping[str, Any]) -> None:
    """Keep the OpenID parameters of a validated authentication request's first visit
    in the session, keyed by its ``client_id`` and ``state``."""
    if "login_required" not in credentials or not _session_usable():
        return
    carried = {name: request.values.get(name) for name in CARRIED}
    if carried["prompt"] == "none":
        carried["prompt"] = None
    kept = {name: value for name, value in carried.items() if value}
    if kept:
        key = _params_key(credentials.get("client_id"), credentials.get("state"))
        _keep(PARAMS_KEY, key, kept)


def restore_parameters(body: str | None) -> str | None:
    """The consent POST's form ``body`` with the OpenID parameters of its first visit
    added, those the form does not post itself."""
    if request.method != "POST" or not _session_usable():
        return body
    key = _params_key(request.values.get("client_id"), request.values.get("state"))
    kept = (session.get(PARAMS_KEY) or {}).get(key)
    if not kept:
        return body
    missing = {name: value for name, value in kept.items() if name not in request.values}
    if not missing:
        return body
    extra = urlencode(missing)
    return f"{body}&{extra}" if body else extra
