"""OpenID Connect logins of a remote app: the ID token of a login, verified; the
provider's userinfo endpoint.

When the scope of an OAuth 2 login holds ``openid``, the authorization request carries
a one-time ``nonce``, and the ``max_age`` the app asked for if any, both kept with the
pending login (:mod:`~flask_oauthlib_client.pending`), and
:meth:`~flask_oauthlib_client.OAuthRemoteApp.authorized_response` verifies the
``id_token`` of the token response before returning it with
:func:`~flask_oauthlib_client.id_token.verify_id_token` (OpenID Connect Core 1.0,
section 3.1.3.7): its signature with a key of the provider's JWK Set (the ``jwks_uri`` of
the metadata document at ``server_metadata_url``, cached per Flask app, fetched again
once when the token names a key the cached set lacks: see
:mod:`~flask_oauthlib_client.jwks`); ``iss`` (the remote app's ``issuer``, or the
metadata's), ``aud`` and ``azp`` (the client id), the times, ``sub``, ``auth_time``
against ``max_age``, the ``nonce`` of this login (used once: the pending login is
consumed), and ``at_hash`` when present.

The verified claims are added to the token data as ``id_token_claims``. A refusal
raises :class:`~flask_oauthlib_client.OAuthException` whose ``type`` names the check
(:data:`~flask_oauthlib_client.id_token.REFUSALS`). Tokens, codes and claims are never
logged. The names of :mod:`~flask_oauthlib_client.id_token` are importable from here too.

JOSE comes from PyJWT with cryptography, the extra ``flask-oauthlib-client[oidc]``,
imported only when a login asks for ``openid``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from oauthlib.common import add_params_to_uri

from .exceptions import OAuthException
from .id_token import (
    ALGORITHMS,
    LEEWAY,
    OIDC_EXTRA,
    REFUSALS,
    KeySource,
    at_hash,
    refuse,
    require_jwt,
    verify_id_token,
)
from .jwks import JwksCache, fetch_jwks, jwks_cache
from .settings import SettingsSource, config_app

if TYPE_CHECKING:
    from .response import OAuthResponse
    from .settings import Registry
    from .transport import HTTPCall

__all__ = [
    "ALGORITHMS",
    "CLAIMS_KEY",
    "LEEWAY",
    "OIDC_EXTRA",
    "REFUSALS",
    "KeySource",
    "OpenIDConnect",
    "at_hash",
    "require_jwt",
    "verify_id_token",
    "wants_openid",
]

#: the key of the verified claims in the token data
CLAIMS_KEY = "id_token_claims"

log = logging.getLogger(__name__)


def wants_openid(scope: Any) -> bool:
    """Whether ``scope`` (a space-separated string, or a list of scopes) holds ``openid``."""
    if isinstance(scope, bytes):
        scope = scope.decode("utf-8", "replace")
    if isinstance(scope, str):
        scope = scope.replace(",", " ").split()
    return isinstance(scope, Iterable) and "openid" in list(scope)


class OpenIDConnect:
    """The OpenID Connect part of :class:`~flask_oauthlib_client.OAuthRemoteApp`, through
    :class:`~flask_oauthlib_client.oauth2.OAuth2Flow`: the nonce and ``max_age`` of a
    login, the verification of its ID token, :meth:`userinfo`.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        oauth: Registry
        consumer_key: str
        issuer: str | None
        _settings: SettingsSource

        @property
        def server_metadata(self) -> dict[str, Any]: ...
        def get_request_token(self) -> Any: ...
        def get(self, *args: Any, **kwargs: Any) -> OAuthResponse: ...

        _http: HTTPCall

    def userinfo(self, token: Any = None) -> dict[str, Any]:
        """Ask the provider's userinfo endpoint about the user (OpenID Connect Core 5.3).

        The endpoint is the ``userinfo_endpoint`` of the metadata document; the request
        carries the access token as any :meth:`request` does (refreshed first if it
        expires). When the token holds the verified claims of its ID token, the
        answer's ``sub`` must be theirs::

            token = google.authorized_response()
            profile = google.userinfo(token)  # {"sub": ..., "email": ..., ...}

        :param token: the token; the :meth:`tokengetter`'s by default.
        :returns: the claims the endpoint answered.
        :raises OAuthException: ``invalid_configuration`` without a userinfo endpoint in
            the metadata; ``invalid_userinfo`` for an answer that is not ``200`` with a
            JSON object, without ``sub``, or with another ``sub`` than the ID token's.

        .. versionadded:: 1.1
        """
        url = self._oidc_metadata("userinfo_endpoint")
        resp = self.get(url, token=token)
        data = resp.data
        if resp.status != 200 or not isinstance(data, dict):
            raise OAuthException(
                f"{self.name}: the userinfo endpoint answered {resp.status} without a JSON"
                " object (signed or encrypted answers are not supported)",
                type="invalid_userinfo",
                data=data,
            )
        stored = token if token is not None else self.get_request_token()
        claims = stored.get(CLAIMS_KEY) if isinstance(stored, Mapping) else None
        sub = data.get("sub")
        expected = claims.get("sub") if isinstance(claims, Mapping) else None
        if not isinstance(sub, str) or (expected is not None and sub != expected):
            log.warning("%s: refused a userinfo answer: sub mismatch", self.name)
            raise OAuthException(
                f"{self.name}: the userinfo answer is about another user than the ID token",
                type="invalid_userinfo",
            )
        return data

    def end_session_url(
        self,
        id_token_hint: str | None = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
    ) -> str:
        """The URL that logs the user out at the provider too (OpenID Connect
        RP-Initiated Logout 1.0): its ``end_session_endpoint`` with the given parameters
        and ``client_id``. Clear your own session, then redirect the browser there::

            id_token = session.pop("id_token", None)
            session.clear()
            return redirect(google.end_session_url(id_token, url_for("index", _external=True)))

        :param id_token_hint: the ID token the login got (``token["id_token"]``): the
            provider then knows the user and the client, and need not ask.
        :param post_logout_redirect_uri: where the provider sends the browser back; the
            client must have registered it with the provider.
        :param state: sent back to ``post_logout_redirect_uri``.
        :raises OAuthException: ``invalid_configuration`` when the metadata has no
            ``end_session_endpoint``.

        .. versionadded:: 1.1
        """
        url = self._oidc_metadata("end_session_endpoint")
        given = {
            "id_token_hint": id_token_hint,
            "client_id": self.consumer_key,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "state": state,
        }
        uri: str = add_params_to_uri(url, [(k, v) for k, v in given.items() if v])
        return uri

    def _openid_login(self, query: dict[str, Any], given: Any = None) -> dict[str, str]:
        """Put the nonce of a login that asks for ``openid`` in ``query``, and its
        ``max_age`` as text (``0`` is sent too); return both, to keep with the login.

        :param query: the authorization request's parameters, with the ``max_age`` of
            :attr:`request_token_params` or of this ``authorize()`` call if any.
        :param given: a ``nonce`` passed to this ``authorize()`` call, used as is; a
            random one otherwise (one in :attr:`request_token_params` would be the same
            for every login, so it is replaced).

        :raises ImportError: without the ``oidc`` extra, before the user is sent away.
        :raises OAuthException: ``invalid_configuration`` without ``server_metadata_url``,
            or for a ``max_age`` that is not a number of seconds.
        """
        require_jwt()
        if not self._settings.get("server_metadata_url"):
            raise OAuthException(
                f"{self.name}: the scope asks for openid, whose ID token is verified with"
                " the provider's keys: set server_metadata_url (its discovery document)",
                type="invalid_configuration",
            )
        login = {"nonce": str(given or secrets.token_urlsafe(24))}
        query["nonce"] = login["nonce"]
        max_age = self._max_age(query.pop("max_age", None))
        if max_age is not None:
            login["max_age"] = query["max_age"] = str(max_age)
        return login

    def _max_age(self, value: Any) -> int | None:
        """``value`` as a ``max_age``: whole seconds, an integer or its digits.

        :raises OAuthException: ``invalid_configuration`` for anything else.
        """
        if value is None:
            return None
        number = -1
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 11:
            number = int(value)
        if not 0 <= number < 10**10:
            raise OAuthException(
                f"{self.name}: max_age must be a number of seconds (an integer, 0 or more),"
                f" not {value!r}",
                type="invalid_configuration",
            )
        return number

    def _verify_login(self, data: dict[str, Any], login: Mapping[str, str]) -> dict[str, Any]:
        """Verify the ID token of a login's token response; return its claims.

        :param login: the pending login, with its ``nonce`` and ``max_age`` if any.
        :raises OAuthException: ``invalid_id_token`` without an ID token,
            ``invalid_nonce`` when the login kept no nonce, or a refusal of
            :func:`verify_id_token`.
        """
        id_token = data.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise refuse("invalid_id_token", "the token response holds no id_token")
        nonce = login.get("nonce")
        if nonce is None:
            raise refuse("invalid_nonce", "this login kept no nonce")
        max_age = self._max_age(login.get("max_age"))
        return self._verify(id_token, nonce, data.get("access_token"), max_age)

    def _verify_refreshed(self, old: Mapping[str, Any], new: dict[str, Any]) -> None:
        """Carry the claims of ``old`` over to ``new``, or verify ``new``'s own ID token
        (OpenID Connect Core 12.2: same subject, no nonce)."""
        claims = old.get(CLAIMS_KEY)
        if not isinstance(claims, Mapping):
            return
        id_token = new.get("id_token")
        if not isinstance(id_token, str) or not id_token or id_token == old.get("id_token"):
            new.setdefault(CLAIMS_KEY, dict(claims))
            return
        fresh = self._verify(id_token, None, new.get("access_token"))
        if fresh.get("sub") != claims.get("sub"):
            raise refuse("invalid_id_token", "the refreshed ID token is about another user")
        new[CLAIMS_KEY] = fresh

    def _verify(
        self, id_token: str, nonce: str | None, access_token: Any, max_age: int | None = None
    ) -> dict[str, Any]:
        issuer = self.issuer
        if not issuer:
            raise OAuthException(
                f"{self.name}: no issuer to check the ID token against: set issuer, or a"
                " server_metadata_url whose document has one",
                type="invalid_configuration",
            )
        return verify_id_token(
            id_token,
            client_id=self.consumer_key,
            issuer=issuer,
            keys=self._provider_keys,
            nonce=nonce,
            access_token=access_token if isinstance(access_token, str) else None,
            max_age=max_age,
        )

    def _provider_keys(self, refetch: bool) -> Mapping[str, Any]:
        """The provider's JWK Set, cached per Flask app (see :mod:`~.jwks`)."""
        url = self._oidc_metadata("jwks_uri")
        try:
            cache = jwks_cache(config_app(self.oauth))
        except RuntimeError:  # no app at all: settings given directly, OAuth() unbound
            cache = JwksCache()
        return cache.get(url, lambda where: fetch_jwks(self.name, where, self._http), refetch)

    def _oidc_metadata(self, key: str) -> str:
        """The URL ``key`` of the metadata document.

        :raises OAuthException: ``invalid_configuration`` if it has none.
        """
        value = None
        if self._settings.get("server_metadata_url"):
            value = self.server_metadata.get(key)
        if not isinstance(value, str) or not value:
            raise OAuthException(
                f"{self.name}: the provider's metadata (server_metadata_url) has no {key}",
                type="invalid_configuration",
            )
        return value
