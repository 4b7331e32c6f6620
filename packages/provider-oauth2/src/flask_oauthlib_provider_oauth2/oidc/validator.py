"""The validator's part of OpenID Connect: the methods oauthlib's ``oauthlib.openid``
grants call, on top of the provider's storage functions.

- who is logged in, and since when: the ``logingetter``, ``f()`` returning
  ``(user, auth_time)`` or ``None`` (:meth:`OpenIDMixin.current_login`);
- what a user's claims are: the ``claimsgetter``, ``f(user, request)`` returning a dict,
  or the user's attributes (:meth:`OpenIDMixin.user_claims`);
- what the grant stored: its ``nonce``, ``auth_time`` and ``claims`` (the grantsetter
  finds them on the request as ``request.nonce``, ``request.auth_time``,
  ``request.claims``), and the same on tokens for refreshes and the userinfo endpoint.

Override a method in a subclass to change one rule: :meth:`~OpenIDMixin.id_token_claims`
to add claims to ID tokens, :meth:`~OpenIDMixin.get_userinfo_claims` for the userinfo
answer.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from typing import Any

from oauthlib.oauth2.rfc6749 import errors

from ..jwks import NoSigningKey
from ..validation import ValidatorBase, field
from .claims import PROTECTED, attribute_claims, consented, requested, select_claims, subject
from .context import epoch, openid_context

__all__ = ["OpenIDMixin"]

log = logging.getLogger(__name__)


class OpenIDMixin(ValidatorBase):
    """OpenID Connect Core 1.0 for oauthlib's OpenID grants."""

    # -- the user: who is logged in, and their claims ------------------------------------

    def current_login(self, request: Any) -> tuple[Any, int | None] | None:
        """The end-user logged in at the provider and the time they authenticated
        (seconds since the epoch, ``None`` if unknown), from the ``logingetter``;
        ``None`` when nobody is logged in or no logingetter is registered."""
        if self._logingetter is None:
            return None
        login = self._logingetter()
        if not login:
            return None
        user, auth_time = login
        if user is None or getattr(user, "is_authenticated", True) is False:
            return None
        return user, epoch(auth_time)

    def user_claims(self, user: Any, request: Any) -> dict[str, Any]:
        """Every claim of ``user``: the ``claimsgetter``'s dict, or the user's attributes
        of the standard claim names (:func:`~.claims.attribute_claims`)."""
        if self._claimsgetter is not None:
            return dict(self._claimsgetter(user, request) or {})
        return attribute_claims(user)

    # -- authorization codes -------------------------------------------------------------

    def get_authorization_code_scopes(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> list[str]:
        """The scopes of the stored code."""
        grant = self._grant(client_id, code, request)
        return list(getattr(grant, "scopes", None) or [])

    def get_authorization_code_nonce(
        self, client_id: str, code: str, redirect_uri: str, request: Any
    ) -> str | None:
        """The ``nonce`` the grant stored (its ``nonce`` attribute)."""
        grant = getattr(request, "grant", None) or self._grant(client_id, code, request)
        nonce = field(grant, "nonce")
        return str(nonce) if nonce else None

    # -- ID tokens -----------------------------------------------------------------------

    def get_id_token(self, token: dict[str, Any], token_handler: Any, request: Any) -> None:
        """``None``: oauthlib starts the ID token (``aud``, ``iat``, ``nonce``,
        ``at_hash``) and :meth:`finalize_id_token` completes and signs it."""
        return None

    def finalize_id_token(
        self, id_token: dict[str, Any], token: dict[str, Any], token_handler: Any, request: Any
    ) -> str:
        """Complete the ID token (:meth:`id_token_claims`) and sign it with the newest
        key for the client's algorithm.

        :raises oauthlib.oauth2.rfc6749.errors.ServerError: when no key can sign it: no
            token is issued then, never an unsigned one.
        """
        context = openid_context(request)
        claims = self.id_token_claims(dict(id_token), request)
        alg = context.algorithm(request.client)
        try:
            return context.keys.sign(claims, alg)
        except NoSigningKey as exc:
            log.error("cannot sign an ID token: %s", exc)
            raise errors.ServerError(
                description="The provider cannot sign ID tokens.", status_code=500
            ) from exc

    def id_token_claims(self, id_token: dict[str, Any], request: Any) -> dict[str, Any]:
        """The claims of a new ID token: oauthlib's start (``aud``, ``nonce``,
        ``at_hash``) with ``iss``, ``sub``, ``iat``, ``exp``, ``auth_time``, the claims
        the ``claims`` parameter asked for in the ID token, and ``azp`` when ``aud``
        names more than the client. Override to add claims."""
        context = openid_context(request)
        user_claims = self.user_claims(request.user, request)
        now = context.now()
        claims = {
            **id_token,
            "iss": context.issuer,
            "sub": subject(user_claims),
            "iat": now,
            "exp": now + context.settings.oidc_id_token_expires_in,
        }
        auth_time = epoch(vars(request).get("auth_time"))
        if auth_time is not None:
            claims["auth_time"] = auth_time
        names = requested(vars(request).get("claims"), "id_token")
        for name in consented(names, request.scopes or ()):
            if name in user_claims and name not in PROTECTED:
                claims[name] = user_claims[name]
        audience = claims.get("aud")
        if isinstance(audience, list | tuple) and len(audience) > 1:
            claims["azp"] = request.client_id
        return claims

    def refresh_id_token(self, request: Any) -> bool:
        """A refresh returns a new ID token when its scopes include ``openid``."""
        return "openid" in (request.scopes or ())

    # -- the authentication request -------------------------------------------------------

    def login_is_fresh(self, auth_time: int | None, request: Any, at: int | None = None) -> bool:
        """Whether a login at ``auth_time`` satisfies the request's ``max_age``: it is no
        older than ``max_age`` now, or it happened after the request first arrived
        (``at``): a user who logged in for this request is never sent to log in again,
        even with ``max_age=0``."""
        max_age = vars(request).get("max_age_seconds")
        if max_age is None:
            return True
        if auth_time is None:
            return False
        if at is not None and auth_time >= at:
            return True
        return bool(openid_context(request).now() - auth_time <= max_age)

    def validate_silent_login(self, request: Any) -> bool:
        """``prompt=none``: someone is logged in, recently enough for ``max_age``."""
        login = self.current_login(request)
        return login is not None and self.login_is_fresh(login[1], request)

    def validate_silent_authorization(self, request: Any) -> bool:
        """``prompt=none``: ``True`` here; the authorization view decides without a page
        (a page it returns is answered with ``consent_required``)."""
        return True

    def validate_user_match(
        self, id_token_hint: str | None, scopes: Any, claims: Any, request: Any
    ) -> bool:
        """The logged-in user must be the one ``id_token_hint`` names (an ID token of this
        provider, expired or not) and the ``sub`` the ``claims`` parameter asks for.
        Before anyone is logged in this holds; it is checked again when the code is
        issued."""
        wanted = []
        if id_token_hint:
            context = openid_context(request)
            try:
                hint = context.keys.verify(id_token_hint, expired_ok=True)
            except ValueError as exc:
                raise errors.InvalidRequestError(
                    request=request,
                    description="The id_token_hint is not an ID token of this provider.",
                ) from exc
            if hint.get("iss") != context.issuer:
                raise errors.InvalidRequestError(
                    request=request, description="The id_token_hint has another issuer."
                )
            wanted.append(hint.get("sub"))
        sub_claim = requested(claims, "id_token").get("sub")
        if isinstance(sub_claim, dict) and "value" in sub_claim:
            wanted.append(sub_claim["value"])
        if not wanted:
            return True
        login = self.current_login(request)
        if login is None:
            return True
        sub = subject(self.user_claims(login[0], request))
        return all(str(value) == sub for value in wanted)

    # -- the userinfo endpoint ------------------------------------------------------------

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        """The claims of the token's user for the userinfo endpoint: ``sub`` and those of
        the token's scopes (the ``claims`` parameter never widens them)."""
        token = request.access_token
        user_claims = self.user_claims(request.user, request)
        return select_claims(user_claims, field(token, "scopes") or ())
