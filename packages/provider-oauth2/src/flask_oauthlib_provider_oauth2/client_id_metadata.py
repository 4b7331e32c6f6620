"""OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), as
one feature.

A client that was never registered names itself with an ``https`` URL as its
``client_id``; the document at that URL is its metadata (RFC 7591 names). The provider
fetches it (:mod:`.client_id_metadata_fetch`: SSRF-safe, size and time limits, no
redirects), checks it with the rules of dynamic client registration
(:func:`~.client_metadata.check_metadata`) and those of the draft, and keeps it as HTTP
caching allows. MCP clients and ATProto apps identify themselves this way.

- **Order**: the app's ``clientgetter`` is asked first, as for every ``client_id``; only
  an ``http(s)`` URL it does not know is resolved as a document. An app may so pin,
  replace or block a URL client in its own storage.
- **The document**: its ``client_id`` is exactly its URL; it is a public client
  (``token_endpoint_auth_method`` ``none``, the default here; no ``client_secret``; a
  shared-secret method and ``private_key_jwt`` are refused); ``redirect_uris`` follow the
  registration rules; ``grant_types`` are ``authorization_code`` (required) and
  ``refresh_token``, ``response_types`` ``code``; its ``scope`` is narrowed to
  ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES``.
- **The client** (:class:`MetadataDocumentClient`) works wherever a stored client does:
  the authorization endpoint, the consent view (``kwargs["request"].client``, with
  ``client_name`` and ``client_host``), the token endpoint, ``require_oauth``. It always
  uses PKCE, whatever ``OAUTH2_PROVIDER_PKCE_REQUIRED`` says.
- **Failures**: a document that cannot be fetched or is invalid makes the ``client_id``
  unknown: the authorization endpoint shows the error page (``invalid_client``, never a
  redirect to the client), the token endpoint answers ``invalid_client``; one line is
  logged, and the failure is kept for ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_ERRORS``
  seconds.

Off unless ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS`` is set; the metadata
document says ``client_id_metadata_document_supported`` only then.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import AppState

from .client_id_metadata_fetch import (
    DocumentCache,
    FetchError,
    FetchPolicy,
    cache_lifetime,
    fetch_document,
    tls_context,
)
from .client_metadata import MAX_URI_LENGTH, Offer, check_metadata, parse_object
from .clientauth import NONE
from .features import Feature
from .rfc7591 import client_fields
from .validation import ValidatorBase

if TYPE_CHECKING:
    import ssl

    from .server import Server

__all__ = [
    "ClientIDMetadataDocuments",
    "ClientIDMetadataMixin",
    "DocumentRefused",
    "MetadataDocumentClient",
    "MetadataDocuments",
    "check_client_id_url",
    "client_from_document",
    "documents_of",
    "is_client_id_url",
]

log = logging.getLogger(__name__)

#: the token endpoint authentication methods built on a shared secret, which a client
#: identified by a public document cannot have
SHARED_SECRET_METHODS = frozenset(
    {"client_secret_basic", "client_secret_post", "client_secret_jwt"}
)
#: what such a client may do: the code flow, and refresh its tokens
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
RESPONSE_TYPES = frozenset({"code"})
#: where a refusal's reason waits for :meth:`ClientIDMetadataMixin.validate_client_id`
ERROR_ATTRIBUTE = "client_id_metadata_error"
#: what the user learns when a document could not be fetched (the log says why)
NOT_FETCHED = "The client's metadata document could not be fetched."
#: the description of a document with a value of the wrong type
INVALID_DOCUMENT = "The client's metadata document is invalid."
#: the most documents one app fetches at once
MAX_FETCHES = 8
CONTROL = re.compile(r"[\x00-\x20\x7f]")


class DocumentRefused(Exception):
    """A ``client_id`` URL or its document that cannot be used; :attr:`description` is
    shown on the error page (it never echoes the document), :attr:`detail` logged.

    .. versionadded:: 1.1
    """

    def __init__(self, description: str, detail: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail or description


def is_client_id_url(client_id: str | None) -> bool:
    """Whether ``client_id`` looks like a URL (``http://`` or ``https://``, any case):
    resolved as a metadata document when the ``clientgetter`` does not know it.

    .. versionadded:: 1.1
    """
    head = (client_id or "")[:8].lower()
    return head.startswith(("https://", "http://"))


def check_client_id_url(client_id: str) -> None:
    """Refuse a ``client_id`` URL the draft (section 3) does not allow: it is ``https``
    (lower case), has a host and a path, no user or password, no fragment, no ``.`` or
    ``..`` path segment, and at most 2000 ASCII characters without spaces or controls. A
    port and a query are allowed.

    :raises DocumentRefused: otherwise.

    .. versionadded:: 1.1
    """
    if len(client_id) > MAX_URI_LENGTH or not client_id.isascii() or CONTROL.search(client_id):
        raise DocumentRefused("The client_id URL is too long or holds characters a URL may not.")
    if not client_id.startswith("https://"):
        raise DocumentRefused("A client_id URL must use https.")
    try:
        parts = urlsplit(client_id)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise DocumentRefused("The client_id is not a valid URL.") from exc
    if "#" in client_id:
        raise DocumentRefused("A client_id URL must not have a fragment.")
    if "@" in parts.netloc or not parts.hostname:
        raise DocumentRefused("A client_id URL must name a host, and no user or password.")
    if not parts.path:
        raise DocumentRefused("A client_id URL must have a path.")
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        raise DocumentRefused("A client_id URL must not hold . or .. path segments.")


@dataclass(frozen=True)
class MetadataDocumentClient:
    """A client identified by the URL of its metadata document: a public client with
    the attributes the provider reads of every client, named as a registered client's
    (:func:`~.rfc7591.client_fields`).

    A consent page shows ``client_name`` (what the document claims) with
    ``client_host`` (what the URL proves)::

        client = kwargs["request"].client
        if isinstance(client, MetadataDocumentClient):
            title = f"{client.client_name or client.client_host} ({client.client_host})"

    .. versionadded:: 1.1
    """

    #: the URL of the document
    client_id: str
    redirect_uris: tuple[str, ...]
    default_scopes: tuple[str, ...]
    allowed_grant_types: tuple[str, ...]
    allowed_response_types: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    #: what describes the client (``client_name``, ``client_uri``, ``logo_uri``,
    #: ``contacts``, ``tos_uri``, ``policy_uri``, ``software_id``, ``software_version``)
    client_metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    is_confidential: ClassVar[bool] = False
    token_endpoint_auth_method: ClassVar[str] = "none"  # noqa: S105 - a method name
    client_secret: ClassVar[None] = None

    @property
    def default_redirect_uri(self) -> str | None:
        """The first redirect URI (used only when it is the one registered)."""
        return self.redirect_uris[0] if self.redirect_uris else None

    @property
    def client_name(self) -> str | None:
        """The ``client_name`` of the document, as the client claims it."""
        name = self.client_metadata.get("client_name")
        return name if isinstance(name, str) else None

    @property
    def client_host(self) -> str:
        """The host the document is served from (and the client proved it controls)."""
        return urlsplit(self.client_id).hostname or ""


def _narrowed(document: Mapping[str, Any], offer: Offer) -> dict[str, Any]:
    """``document`` with its ``scope`` narrowed to the scopes offered (a document is
    written for many servers), and ``token_endpoint_auth_method`` defaulting to
    ``none``."""
    narrowed = dict(document)
    scope = document.get("scope")
    if isinstance(scope, str):
        narrowed["scope"] = " ".join(s for s in scope.split() if s in offer.scopes)
    if document.get("token_endpoint_auth_method") is None:
        narrowed["token_endpoint_auth_method"] = NONE.name
    return narrowed


def client_from_document(
    client_id: str, document: Mapping[str, Any], offer: Offer
) -> MetadataDocumentClient:
    """The client that ``document``, fetched from ``client_id``, describes.

    :param offer: what such a client may ask for (:meth:`MetadataDocuments.offer`).
    :raises DocumentRefused: if its ``client_id`` is not ``client_id`` exactly, it holds
        a ``client_secret``, names a shared-secret method or ``private_key_jwt``, or any
        value breaks the registration rules (:func:`~.client_metadata.check_metadata`).

    .. versionadded:: 1.1
    """
    if document.get("client_id") != client_id:
        raise DocumentRefused("The document's client_id is not the URL it is served from.")
    for name in ("client_secret", "client_secret_expires_at"):
        if name in document:
            raise DocumentRefused(f"The document must not hold {name}: it is public.")
    method = document.get("token_endpoint_auth_method")
    if method in SHARED_SECRET_METHODS:
        raise DocumentRefused(
            "The document's token_endpoint_auth_method needs a shared secret, which a"
            " client identified by a metadata document cannot have."
        )
    if method == "private_key_jwt":
        raise DocumentRefused(
            "This server does not support private_key_jwt for clients identified by a"
            " metadata document: use token_endpoint_auth_method none (a public client"
            " with PKCE)."
        )
    try:
        checked = check_metadata(_narrowed(document, offer), offer)
    except errors.OAuth2Error as exc:
        raise DocumentRefused(f"The document is invalid: {exc.description}") from exc
    if "authorization_code" not in checked["grant_types"]:
        raise DocumentRefused("The document's grant_types must include authorization_code.")
    fields = client_fields(checked)
    return MetadataDocumentClient(
        client_id=client_id,
        redirect_uris=tuple(fields["redirect_uris"]),
        default_scopes=tuple(fields["default_scopes"]),
        allowed_grant_types=tuple(fields["allowed_grant_types"]),
        allowed_response_types=tuple(fields["allowed_response_types"]),
        post_logout_redirect_uris=tuple(fields["post_logout_redirect_uris"]),
        client_metadata=MappingProxyType(dict(fields["client_metadata"])),
    )


@dataclass(frozen=True)
class _Resolved:
    """What the cache keeps for a URL: its client, or why there is none."""

    client: MetadataDocumentClient | None
    description: str = ""


class MetadataDocuments:
    """The client ID metadata documents of one app's server: fetched, checked, kept.

    Find it with :func:`documents_of`; :meth:`forget` drops a document so that it is
    fetched again (a client changed its redirect URIs, say)::

        documents_of(oauth.server).forget("https://app.example.com/oauth-client.json")

    .. versionadded:: 1.1
    """

    def __init__(self, server: Server) -> None:
        settings = server.settings
        self._server = weakref.ref(server)
        self.policy = FetchPolicy(
            timeout=settings.client_id_metadata_timeout,
            max_size=settings.client_id_metadata_max_size,
            allow_private_addresses=settings.client_id_metadata_allow_private_addresses,
            ca_bundle=settings.client_id_metadata_ca_bundle,
        )
        self.scopes = settings.client_id_metadata_scopes
        self.cache_bounds = (
            float(settings.client_id_metadata_cache_min),
            float(settings.client_id_metadata_cache_max),
        )
        self.error_lifetime = float(settings.client_id_metadata_cache_errors)
        #: what was fetched, and failures, by URL
        self.cache: DocumentCache[_Resolved] = DocumentCache(settings.client_id_metadata_cache_size)
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        #: documents fetched at once: more are refused at once (and not remembered),
        #: so slow hosts cannot tie up the server or starve the lookups of others
        self._fetching = threading.BoundedSemaphore(MAX_FETCHES)

    def offer(self) -> Offer:
        """What a client identified by a document may ask for: the code flow and
        refreshes (as far as the server offers them), no client authentication, the
        scopes of ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES``."""
        server = self._server()
        if server is None:  # pragma: no cover - only while the server is collected
            return Offer(frozenset(), frozenset(), (), ())
        offered = Offer.of(server)
        return Offer(
            grant_types=offered.grant_types & GRANT_TYPES,
            response_types=offered.response_types & RESPONSE_TYPES,
            auth_methods=tuple(m for m in offered.auth_methods if m == NONE.name),
            scopes=self.scopes,
        )

    def client(self, client_id: str, request: Any = None) -> MetadataDocumentClient | None:
        """The client ``client_id`` names, or ``None`` (the reason is then on
        ``request.client_id_metadata_error``)."""
        try:
            check_client_id_url(client_id)
        except DocumentRefused as exc:
            log.debug("refused a client_id URL: %s", exc.detail)
            resolved = _Resolved(None, exc.description)
        else:
            resolved = self.cache.get_or_load(client_id, lambda: self._load(client_id))
        if resolved.client is None and request is not None:
            setattr(request, ERROR_ATTRIBUTE, resolved.description)
        return resolved.client

    def forget(self, client_id: str | None = None) -> None:
        """Drop the document of ``client_id`` (or every document, and every failure)."""
        self.cache.forget(client_id)

    def _tls(self) -> ssl.SSLContext:
        with self._lock:
            if self._context is None:
                try:
                    self._context = tls_context(self.policy.ca_bundle)
                except (OSError, ValueError) as exc:
                    raise FetchError("the CA bundle cannot be read") from exc
            return self._context

    def _load(self, client_id: str) -> tuple[_Resolved, float]:
        if not self._fetching.acquire(blocking=False):
            log.warning("client ID metadata document %r not fetched: too many at once", client_id)
            return _Resolved(None, NOT_FETCHED), 0.0
        try:
            return self._fetch(client_id)
        finally:
            self._fetching.release()

    def _fetch(self, client_id: str) -> tuple[_Resolved, float]:
        try:
            fetched = fetch_document(client_id, self.policy, self._tls())
            lifetime = cache_lifetime(fetched.headers, *self.cache_bounds, now=time.time())
            try:
                document = parse_object(fetched.body)
            except errors.OAuth2Error as exc:
                raise DocumentRefused("The document is not one JSON object.") from exc
            client = client_from_document(client_id, document, self.offer())
        except FetchError as exc:
            return self._refused(client_id, NOT_FETCHED, str(exc))
        except DocumentRefused as exc:
            return self._refused(client_id, exc.description, exc.detail)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a value of the
            # wrong type that slipped past the checks: the document's fault
            return self._refused(client_id, INVALID_DOCUMENT, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # never a 500 for what a remote server sent
            return self._refused(client_id, NOT_FETCHED, f"unexpected {type(exc).__name__}")
        log.debug("fetched the client ID metadata document %r", client_id)
        return _Resolved(client), lifetime

    def _refused(self, client_id: str, description: str, detail: str) -> tuple[_Resolved, float]:
        log.warning("client ID metadata document %r refused: %s", client_id, detail)
        return _Resolved(None, description), self.error_lifetime


_DOCUMENTS: weakref.WeakKeyDictionary[Server, MetadataDocuments] = weakref.WeakKeyDictionary()


def documents_of(server: Server) -> MetadataDocuments | None:
    """The metadata documents of ``server`` (``oauth.server``), ``None`` while the
    feature is off.

    .. versionadded:: 1.1
    """
    return _DOCUMENTS.get(server)


def current_documents() -> MetadataDocuments | None:
    """The metadata documents of the current app's OAuth 2 server, if it resolves them."""
    if not has_app_context():
        return None
    for value in current_app.extensions.values():
        if isinstance(value, AppState) and value.server is not None:
            documents = _DOCUMENTS.get(value.server)
            if documents is not None:
                return documents
    return None


class ClientIDMetadataMixin(ValidatorBase):
    """The validator's part: a ``client_id`` URL the ``clientgetter`` does not know is
    resolved as a metadata document (when the current app's server does so).

    .. versionadded:: 1.1
    """

    def _client(self, client_id: str | None, request: Any) -> Any:
        client = super()._client(client_id, request)
        if client is not None or not client_id or not is_client_id_url(client_id):
            return client
        documents = current_documents()
        if documents is None:
            return None
        client = documents.client(client_id, request)
        if client is not None and request is not None:
            request.client = client
        return client

    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        """Whether ``client_id`` names a known client; a URL whose document was refused
        is answered ``invalid_client`` with the reason (on the error page, never sent to
        a redirect URI)."""
        if super().validate_client_id(client_id, request, *args, **kwargs):
            return True
        reason = getattr(request, ERROR_ATTRIBUTE, None)
        if reason:
            raise errors.InvalidClientError(request=request, description=reason)
        return False


def require_pkce(request: Any) -> dict[str, Any]:
    """A client identified by a metadata document must send a code challenge. An
    oauthlib ``post_auth`` validator (the redirect URI is checked, the error goes there)."""
    client = getattr(request, "client", None)
    if isinstance(client, MetadataDocumentClient) and not request.code_challenge:
        raise errors.MissingCodeChallengeError(request=request)
    return {}


class ClientIDMetadataDocuments(Feature):
    """Clients identified by the URL of their metadata document, while
    ``OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS`` is on, with a validator derived from
    :class:`~.OAuth2RequestValidator` that offers ``none`` and the code grant.

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        if not server.settings.client_id_metadata_documents:
            return
        validator = server.request_validator
        if not isinstance(validator, ClientIDMetadataMixin):
            log.error("client ID metadata documents need an OAuth2RequestValidator (or a subclass)")
            return
        if NONE not in server.client_auth_methods() or server.auth_grant is None:
            log.error("client ID metadata documents need the 'none' method and the code grant")
            return
        if not server.settings.client_id_metadata_scopes:
            log.warning(
                "clients identified by a metadata document may ask for no scope: set"
                " OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES"
            )
        _DOCUMENTS[server] = MetadataDocuments(server)
        server.auth_grant.custom_validators.post_auth.append(require_pkce)

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if server in _DOCUMENTS and "code" in server.response_types:
            return {"client_id_metadata_document_supported": True}
        return {}
