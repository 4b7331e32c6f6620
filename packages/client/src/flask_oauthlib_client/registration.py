"""Dynamic client registration from the client (RFC 7591; RFC 7592's credentials kept).

A remote app that has no client id of its own registers with the server:
:meth:`DynamicRegistration.register` POSTs the client's metadata as JSON to the
``registration_endpoint`` of the server's metadata document (``server_metadata_url``,
RFC 8414), checks the answer, hands it to the app's
:meth:`~DynamicRegistration.registration_saver`, and uses it at once: its ``client_id``
and ``client_secret`` become the remote app's ``consumer_key`` and ``consumer_secret``,
and the token endpoint is called with its ``token_endpoint_auth_method``
(``client_secret_basic``, ``client_secret_post`` or ``none``). A restarted app gets the
registration back from its :meth:`~DynamicRegistration.registration_loader` instead of
registering again.

The registration in use is kept per Flask app, as the metadata document is, in
``app.extensions["oauthlib.client.registrations"]`` (a :class:`Registrations`, by remote
app name): one ``OAuth`` on two apps configured for two servers registers with each.

What is saved is the server's answer as it came (``client_id``, ``client_secret``,
``client_secret_expires_at``, ``registration_access_token``,
``registration_client_uri``, the metadata the server registered), with the
``token_endpoint_auth_method`` asked for when the server did not name one. The client
secret, the registration access token and an initial access token are never logged and
never put in an exception.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask
from oauthlib.oauth2.rfc6749.utils import is_secure_transport

from .exceptions import OAuthException
from .rfc7591 import AUTH_METHODS, PUBLIC, refusal, registration_problem, secret_expired
from .settings import Registry, SettingsSource, config_app
from .transport import status_of

if TYPE_CHECKING:
    from .transport import HTTPCall

__all__ = ["REGISTRATIONS_KEY", "DynamicRegistration", "Registrations", "registrations"]

#: where the registrations a Flask app uses are kept (a :class:`Registrations`)
REGISTRATIONS_KEY = "oauthlib.client.registrations"
#: what a client with redirect URIs asks for, as far as the server offers it
LOGIN_GRANT_TYPES = ("authorization_code", "refresh_token")

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)


class Registrations:
    """The registrations one Flask app uses, by remote app name. Thread-safe.

    There is one per app, in ``app.extensions["oauthlib.client.registrations"]``.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        #: held while a remote app registers, so that two requests of the app that find
        #: no registration do not both register (across processes, the storage behind
        #: the loader and saver decides)
        self.registering = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> dict[str, Any] | None:
        """The registration of the remote app ``name``, if any."""
        with self._lock:
            return self._by_name.get(name)

    def set(self, name: str, registration: dict[str, Any]) -> None:
        """Use ``registration`` for the remote app ``name`` from now on."""
        with self._lock:
            self._by_name[name] = registration

    def forget(self, name: str) -> None:
        """Forget the registration of ``name``: the next use asks the loader again."""
        with self._lock:
            self._by_name.pop(name, None)


def registrations(app: Flask) -> Registrations:
    """Return ``app``'s :class:`Registrations` (:meth:`OAuth.init_app
    <flask_oauthlib_client.OAuth.init_app>` creates it), creating it if need be."""
    found = app.extensions.get(REGISTRATIONS_KEY)
    if not isinstance(found, Registrations):
        found = app.extensions[REGISTRATIONS_KEY] = Registrations()
    return found


class DynamicRegistration:
    """Dynamic client registration, a mixin of
    :class:`~flask_oauthlib_client.OAuthRemoteApp` through
    :class:`~flask_oauthlib_client.oauth2.OAuth2Flow`: :meth:`register`, the
    :meth:`registration_saver` and :meth:`registration_loader`, and the
    :attr:`registration` in use.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        oauth: Registry
        pkce: bool
        request_token_params: dict[str, Any]
        _settings: SettingsSource

        @property
        def server_metadata(self) -> dict[str, Any]: ...

        _http: HTTPCall

    _registrationsaver: Callable[[dict[str, Any]], Any] | None = None
    _registrationloader: Callable[[], Any] | None = None

    def registration_saver(self, f: F) -> F:
        """Register the function that stores a new registration.

        :meth:`register` calls it with the registration (a dict: the server's answer,
        with ``client_id``, ``client_secret``, ``registration_access_token`` and
        ``registration_client_uri``) before using it. Keep it as you keep secrets::

            @mcp.registration_saver
            def save_registration(registration):
                vault.put("mcp-registration", registration)

        .. versionadded:: 1.1
        """
        self._registrationsaver = f
        return f

    #: the same decorator in the style of ``tokengetter``
    registrationsaver = registration_saver

    def registration_loader(self, f: F) -> F:
        """Register the function that returns the saved registration, or ``None``.

        Called with no arguments, once per Flask app, the first time the remote app
        needs its client id (or :meth:`register` is called): what it returns is used
        as if just registered, so a restarted app does not register again::

            @mcp.registration_loader
            def load_registration():
                return vault.get("mcp-registration")

        .. versionadded:: 1.1
        """
        self._registrationloader = f
        return f

    #: the same decorator in the style of ``tokengetter``
    registrationloader = registration_loader

    @property
    def registration(self) -> dict[str, Any] | None:
        """The registration this remote app uses in the current Flask app: the one
        :meth:`register` got, or the :meth:`registration_loader`'s (asked until it
        returns one); ``None`` for neither, or for an OAuth 1.0a remote app.

        :raises OAuthException: ``invalid_configuration`` if the loader returns
            something that is no registration (see
            :func:`~.rfc7591.registration_problem`).

        .. versionadded:: 1.1
        """
        if self._settings.get("request_token_url"):
            return None
        store = self._registration_store()
        found = store.get(self.name)
        if found is None and self._registrationloader is not None:
            loaded = self._registrationloader()
            if loaded is not None:
                problem = registration_problem(loaded, "client_secret_basic")
                if problem is not None:
                    raise OAuthException(
                        f"{self.name}: what the registration_loader returned {problem}",
                        type="invalid_configuration",
                    )
                found = dict(loaded)
                store.set(self.name, found)
        return dict(found) if found is not None else None

    def register(
        self,
        redirect_uris: str | Sequence[str] | None = None,
        *,
        client_name: str | None = None,
        public: bool = False,
        scope: str | Sequence[str] | None = None,
        grant_types: Sequence[str] | None = None,
        response_types: Sequence[str] | None = None,
        initial_access_token: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """Register this remote app with the server (RFC 7591), unless it has a
        registration already; return the registration.

        The client's metadata is POSTed as JSON to the ``registration_endpoint`` of the
        server's metadata document (``server_metadata_url``). The answer must be ``201``
        (or ``200``) with a JSON object holding a ``client_id``, and a ``client_secret``
        unless the client is public; it goes to the :meth:`registration_saver` and
        becomes the :attr:`registration` in use in this Flask app::

            mcp = oauth.remote_app("mcp", server_metadata_url=..., resource=MCP_URL)

            with app.test_request_context():  # in a CLI command, or on first use
                mcp.register(url_for("authorized", _external=True), client_name="Agent")

        When a registration is in use or the :meth:`registration_loader` returns one,
        nothing is sent and that one is returned, unless ``force`` is true or its
        ``client_secret_expires_at`` has passed.

        :param redirect_uris: the callback URL, or several; none for a client that
            never sends users to the server (``client_credentials``).
        :param client_name: the name the server shows on its consent page.
        :param public: register a public client (``token_endpoint_auth_method``
            ``none``, which logs in with PKCE, so ``pkce`` must be on); by default a
            confidential one (``client_secret_basic``).
        :param scope: the scopes asked for; the ``scope`` of ``request_token_params``
            by default.
        :param grant_types: by default ``authorization_code`` (with ``refresh_token``
            when the server's metadata offers it) with redirect URIs, else
            ``client_credentials``.
        :param response_types: by default ``["code"]`` with ``authorization_code``.
        :param initial_access_token: sent as ``Authorization: Bearer`` to a server that
            lets only holders of such a token register.
        :param metadata: more client metadata (``client_uri``, ``logo_uri``,
            ``contacts``, ``software_id`` ...), over the fields above.
        :param force: register again even with a registration in use.
        :raises OAuthException: ``invalid_configuration`` for an OAuth 1.0a remote app,
            a public client without PKCE, or a server whose metadata names no
            ``registration_endpoint``; ``insecure_transport`` for a plain ``http``
            endpoint; ``registration_failed`` when the server refuses (its ``error``
            and ``error_description`` as ``data``); ``invalid_response`` for an answer
            that is no registration; ``timeout``, ``network_error``,
            ``response_too_large``, or what fetching the metadata raises.

        .. versionadded:: 1.1
        """
        if self._settings.get("request_token_url"):
            raise OAuthException(
                f"{self.name}: OAuth 1.0a servers have no dynamic registration",
                type="invalid_configuration",
            )
        document = self._client_metadata(
            redirect_uris, client_name, public, scope, grant_types, response_types
        )
        document.update(metadata or {})
        if document["token_endpoint_auth_method"] == PUBLIC and not self.pkce:
            raise OAuthException(
                f"{self.name}: a public client logs in with PKCE; do not switch pkce off",
                type="invalid_configuration",
            )
        store = self._registration_store()
        with store.registering:  # two requests of this app never both register
            endpoint = self._registration_endpoint()
            if not force:
                known = self.registration
                if known is not None and self._still_good(known, endpoint, document):
                    log.debug("%s: using the registration in use, not registering", self.name)
                    return dict(known)
            registration = self._send_registration(document, initial_access_token, endpoint)
            if self._registrationsaver is not None:
                self._registrationsaver(dict(registration))
            else:
                log.warning(
                    "%s: registered without a registration_saver: the registration is lost"
                    " when the app stops, and the app registers again",
                    self.name,
                )
            store.set(self.name, registration)
        log.info(
            "%s: registered as client %s (%s)",
            self.name,
            registration["client_id"],
            registration["token_endpoint_auth_method"],
        )
        return dict(registration)

    # -- helpers ---------------------------------------------------------------------------

    def _registration_store(self) -> Registrations:
        """The registrations of the app this remote app reads its settings from."""
        try:
            return registrations(config_app(self.oauth))
        except RuntimeError:  # no app at all: settings given directly, OAuth() unbound
            found = self.__dict__.get("_registrations_without_app")
            if not isinstance(found, Registrations):
                found = self.__dict__["_registrations_without_app"] = Registrations()
            return found

    def _still_good(
        self, known: Mapping[str, Any], endpoint: str, document: Mapping[str, Any]
    ) -> bool:
        """Whether the registration in use serves this login: its secret has not
        expired, it came from this server's registration endpoint (a registration of
        another server, after ``server_metadata_url`` changed or with one loader for
        several apps, would send its secret to the wrong server), and it holds the
        redirect URIs asked for now."""
        if secret_expired(known):
            return False
        origin = known.get("registration_endpoint")
        if origin is not None and origin != endpoint:
            log.warning("%s: the saved registration is another server's: registering", self.name)
            return False
        registered = known.get("redirect_uris")
        wanted = document.get("redirect_uris") or []
        if isinstance(registered, list) and not set(wanted) <= set(registered):
            log.info("%s: the callback is not registered: registering again", self.name)
            return False
        return True

    def _send_registration(
        self, document: dict[str, Any], initial_access_token: str | None, endpoint: str
    ) -> dict[str, Any]:
        """POST ``document`` to the registration ``endpoint``; return the checked answer,
        with the endpoint it came from as ``registration_endpoint``."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if initial_access_token:
            headers["Authorization"] = f"Bearer {initial_access_token}"
        body = json.dumps(document).encode("utf-8")
        resp, content = self._http(endpoint, headers, body, "POST", follow_redirects=False)
        registration = self._registration_answer(resp, content, document)
        registration["registration_endpoint"] = endpoint
        return registration

    def _registration_endpoint(self) -> str:
        """The ``registration_endpoint`` of the server's metadata.

        :raises OAuthException: ``invalid_configuration`` without one,
            ``insecure_transport`` for plain ``http``.
        """
        metadata_url = self._settings.get("server_metadata_url")
        if not metadata_url:
            raise OAuthException(
                f"{self.name}: registering needs the server's metadata: set server_metadata_url",
                type="invalid_configuration",
            )
        if not is_secure_transport(str(metadata_url)):
            # the endpoint it names would receive the initial access token and the secret
            raise OAuthException(
                f"{self.name}: the server's metadata is fetched over plain http, so its"
                " registration_endpoint cannot be trusted",
                type="insecure_transport",
            )
        endpoint = self.server_metadata.get("registration_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise OAuthException(
                f"{self.name}: the server's metadata (server_metadata_url) has no"
                " registration_endpoint: it offers no dynamic client registration",
                type="invalid_configuration",
            )
        if not is_secure_transport(endpoint):
            raise OAuthException(
                f"{self.name}: the registration endpoint is plain http, which would carry"
                " the client secret in the clear",
                type="insecure_transport",
            )
        return endpoint

    def _client_metadata(
        self,
        redirect_uris: str | Sequence[str] | None,
        client_name: str | None,
        public: bool,
        scope: str | Sequence[str] | None,
        grant_types: Sequence[str] | None,
        response_types: Sequence[str] | None,
    ) -> dict[str, Any]:
        """The client metadata (RFC 7591 2) :meth:`register` sends."""
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris or ())
        if grant_types is None:
            grant_types = self._default_grant_types() if uris else ["client_credentials"]
        if response_types is None and "authorization_code" in grant_types:
            response_types = ["code"]
        document: dict[str, Any] = {
            "token_endpoint_auth_method": PUBLIC if public else "client_secret_basic",
            "grant_types": list(grant_types),
        }
        if uris:
            document["redirect_uris"] = uris
        if response_types is not None:
            document["response_types"] = list(response_types)
        if client_name:
            document["client_name"] = client_name
        if scope is None:
            scope = self.request_token_params.get("scope")
        if scope:
            document["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        return document

    def _default_grant_types(self) -> list[str]:
        """``authorization_code``, with ``refresh_token`` if the metadata offers it."""
        if not self._settings.get("server_metadata_url"):
            return ["authorization_code"]  # register() refuses before sending anything
        offered = self.server_metadata.get("grant_types_supported")
        offered = offered if isinstance(offered, list) else []
        return [g for g in LOGIN_GRANT_TYPES if g == "authorization_code" or g in offered]

    def _registration_answer(
        self, resp: Any, content: bytes, document: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check the registration endpoint's answer; return the registration.

        :raises OAuthException: ``registration_failed`` for a status other than ``201``
            or ``200``, ``invalid_response`` for an answer that is no registration.
        """
        status = status_of(resp)
        if status not in (200, 201):
            log.warning("%s: the registration endpoint answered %s", self.name, status)
            raise refusal(self.name, status, content)
        try:
            answer = json.loads(content)
        except (ValueError, RecursionError):
            answer = None
        asked = document["token_endpoint_auth_method"]
        problem = registration_problem(answer, asked)
        if problem is not None:
            log.warning("%s: refused a registration answer: it %s", self.name, problem)
            raise OAuthException(
                f"{self.name}: the registration endpoint's answer {problem}",
                type="invalid_response",
            )
        registration = dict(answer)
        registration.setdefault("token_endpoint_auth_method", asked)
        return registration

    def _token_endpoint_auth_method(self) -> str:
        """How the client authenticates at the token endpoint: the method of the
        :attr:`registration` whose credentials are in use; otherwise the secret goes
        in the body (``client_secret_post``), as it always did."""
        registration = self.registration
        if registration is None or "consumer_key" in self._settings.assigned:
            return "client_secret_post"
        method = registration.get("token_endpoint_auth_method")
        return method if method in AUTH_METHODS else "client_secret_basic"

    def _registered(self, key: str) -> tuple[bool, Any]:
        """``(True, value)``: the :attr:`registration` in use supplies the setting
        ``key`` (``consumer_key``: its ``client_id``, ``consumer_secret``: its
        ``client_secret``, ``None`` for a public client); ``(False, None)`` when none
        does or the setting was assigned on the remote app."""
        if key in self._settings.assigned:
            return False, None
        registration = self.registration
        if registration is None:
            return False, None
        if key == "consumer_key":
            return True, registration["client_id"]
        if registration.get("token_endpoint_auth_method") == PUBLIC:
            return True, None  # a public client sends no secret, even one it was given
        return True, registration.get("client_secret")
