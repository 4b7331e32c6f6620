"""Ready-made SQLAlchemy 2 mixins for the OAuth 2 provider's storage.

Subclass them with your declarative base; each needs a ``user`` relationship to your
user model, which the mixins declare from ``__user_model__`` (default ``"User"``) and
``__user_table__`` (default ``"user"``)::

    class Client(ClientMixin, Base):
        __tablename__ = "oauth2_client"

    class Grant(GrantMixin, Base):
        __tablename__ = "oauth2_grant"

    class Token(TokenMixin, Base):
        __tablename__ = "oauth2_token"

Credentials are stored hashed (SHA-256): ``Token.access_token_hash``,
``Token.refresh_token_hash``, ``Grant.code_hash``, ``Client.client_secret_hash``. Codes
are marked redeemed and tokens revoked instead of deleted, so a replayed code or a
reused refresh token is recognised and what it issued is revoked.

For OpenID Connect, grants keep the request's ``nonce``, ``auth_time`` (seconds since the
epoch) and ``claims`` (the ``claims`` parameter, stored as JSON text and exposed parsed),
tokens ``auth_time`` and ``claims``; all nullable (see the README to add them to existing
tables). With resource indicators (RFC 8707) grants and tokens keep ``resources``
(space-separated URIs, nullable, like the scopes).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, Text, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, object_session, relationship

from flask_oauthlib_core import StorageUnavailable

from .claims import claim
from .hashing import hash_secret, secret_matches
from .registered_clients import RegisteredClientMixin

__all__ = ["ClientMixin", "GrantMixin", "TokenMixin"]

log = logging.getLogger(__name__)


def _split(value: str | None) -> list[str]:
    return value.split() if value else []


def _load_json(text: str | None) -> Any:
    """The value of a JSON text column; ``None`` for no (or unreadable) text."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        log.warning("ignored a stored claims value that is not JSON")
        return None


def _dump_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)


class _OpenIDMixin:
    """``auth_time`` and ``claims`` of OpenID Connect (both nullable)."""

    #: when the end-user authenticated, in seconds since the epoch
    auth_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claims_text: Mapped[str | None] = mapped_column("claims", Text, nullable=True)

    @property
    def claims(self) -> Any:
        """The ``claims`` request parameter (a dict), or ``None``."""
        return _load_json(self.claims_text)

    @claims.setter
    def claims(self, value: Any) -> None:
        self.claims_text = _dump_json(value)


class _ResourcesMixin:
    """``resources`` of RFC 8707: the resources a code was granted for, the audience of
    a token (space-separated; ``NULL`` or empty: none)."""

    resources_text: Mapped[str | None] = mapped_column("resources", Text, nullable=True)

    @property
    def resources(self) -> list[str]:
        """The resource URIs (RFC 8707), in order."""
        return _split(self.resources_text)

    @resources.setter
    def resources(self, uris: list[str]) -> None:
        self.resources_text = " ".join(uris) or None


def _session_of(obj: Any) -> Any:
    session = object_session(obj)
    if session is None:
        raise RuntimeError(f"{obj!r} is not attached to a session")
    return session


def _update(obj: Any, statement: Any) -> int:
    """Run an UPDATE in ``obj``'s session and commit it; return the rows it changed."""
    session = _session_of(obj)
    try:
        result: Any = session.execute(statement)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageUnavailable("the OAuth storage database failed") from exc
    return int(result.rowcount)


def _revoke_live(obj: Any, token: Any, *criteria: Any) -> int:
    """Revoke the unrevoked tokens matching ``criteria`` in ``obj``'s session.

    Rows are locked in id order and rows another request holds are skipped (it is
    revoking or rotating them), so concurrent revocations cannot deadlock.
    """
    live = (
        select(token.id)
        .where(*criteria, token.revoked.is_(False))
        .order_by(token.id)
        .with_for_update(skip_locked=True)
    )
    return _update(
        obj, update(token).where(token.id.in_(live.scalar_subquery())).values(revoked=True)
    )


class _UserMixin:
    __user_model__: ClassVar[str] = "User"
    __user_table__: ClassVar[str] = "user"
    __user_key__: ClassVar[str] = "id"

    @declared_attr
    def user_id(cls) -> Mapped[Any]:
        return mapped_column(
            ForeignKey(f"{cls.__user_table__}.{cls.__user_key__}", ondelete="CASCADE"),
            nullable=True,
            index=True,
        )

    @declared_attr
    def user(cls) -> Mapped[Any]:
        return relationship(cls.__user_model__, lazy="joined")


class ClientMixin(RegisteredClientMixin, _UserMixin):
    """A registered client. ``user`` is its owner, used by the client credentials grant.
    A client registered dynamically (RFC 7591) also keeps its
    ``token_endpoint_auth_method``, ``client_id_issued_at``, ``client_secret_expires_at``,
    ``registration_access_token_hash`` and ``client_metadata`` (all nullable)."""

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    is_confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    redirect_uris_text: Mapped[str] = mapped_column("redirect_uris", Text, default="")
    default_scopes_text: Mapped[str] = mapped_column("default_scopes", Text, default="")
    allowed_grant_types_text: Mapped[str | None] = mapped_column(
        "allowed_grant_types", Text, nullable=True
    )
    allowed_response_types_text: Mapped[str | None] = mapped_column(
        "allowed_response_types", Text, nullable=True
    )
    post_logout_redirect_uris_text: Mapped[str | None] = mapped_column(
        "post_logout_redirect_uris", Text, nullable=True
    )

    @property
    def redirect_uris(self) -> list[str]:
        """Registered redirect URIs, matched exactly."""
        return _split(self.redirect_uris_text)

    @redirect_uris.setter
    def redirect_uris(self, uris: list[str]) -> None:
        self.redirect_uris_text = " ".join(uris)

    @property
    def default_redirect_uri(self) -> str | None:
        """The first registered redirect URI."""
        uris = self.redirect_uris
        return uris[0] if uris else None

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        """Where RP-initiated logout may send the user back (OpenID Connect), matched
        exactly."""
        return _split(self.post_logout_redirect_uris_text or "")

    @post_logout_redirect_uris.setter
    def post_logout_redirect_uris(self, uris: list[str]) -> None:
        self.post_logout_redirect_uris_text = " ".join(uris) or None

    @property
    def default_scopes(self) -> list[str]:
        """The scopes the client may ask for (and gets when it asks for none)."""
        return _split(self.default_scopes_text)

    @default_scopes.setter
    def default_scopes(self, scopes: list[str]) -> None:
        self.default_scopes_text = " ".join(scopes)

    @property
    def allowed_grant_types(self) -> list[str] | None:
        """Grant types the client may use; ``None`` allows the provider's defaults."""
        text = self.allowed_grant_types_text
        return None if text is None else _split(text)

    @allowed_grant_types.setter
    def allowed_grant_types(self, types: list[str] | None) -> None:
        self.allowed_grant_types_text = None if types is None else " ".join(types)

    @property
    def allowed_response_types(self) -> list[str] | None:
        """Response types the client may use; ``None`` allows ``code`` and ``token``."""
        text = self.allowed_response_types_text
        return None if text is None else _split(text)

    @allowed_response_types.setter
    def allowed_response_types(self, types: list[str] | None) -> None:
        self.allowed_response_types_text = None if types is None else " ".join(types)

    def set_client_secret(self, secret: str | None) -> None:
        """Store the hash of ``secret`` (``None`` for a public client)."""
        self.client_secret_hash = hash_secret(secret) if secret else None

    def check_client_secret(self, secret: str) -> bool:
        """Whether ``secret`` is this client's secret (constant time)."""
        return secret_matches(secret, self.client_secret_hash)


class GrantMixin(_OpenIDMixin, _ResourcesMixin, _UserMixin):
    """An authorization code, stored hashed, with its PKCE challenge, its ``resources``
    (RFC 8707) and, for OpenID Connect, its ``nonce``, ``auth_time`` and ``claims``."""

    #: the token model, to revoke what a replayed code issued. ``bind_sqlalchemy`` gives
    #: it to each grant it loads (on the object: the class stays ``None``); set it on
    #: your class for grants loaded otherwise (``GrantBinding``, your own queries)
    __token_model__: ClassVar[Any] = None

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    redeemed: Mapped[bool] = mapped_column(Boolean, default=False)
    nonce: Mapped[str | None] = mapped_column(String(512), nullable=True)
    #: the thumbprint of the DPoP key the code is bound to (RFC 9449 10), or ``None``
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)

    @property
    def scopes(self) -> list[str]:
        return _split(self.scope)

    def redeem(self) -> bool:
        """Mark the code used, atomically: ``False`` if it already was (a replay).

        The mark is committed with the token it pays for (see :mod:`.claims`).
        """
        cls = type(self)
        statement = update(cls).where(cls.id == self.id, cls.redeemed.is_(False))
        return claim(_session_of(self), statement.values(redeemed=True)) == 1

    def revoke_issued_tokens(self) -> None:
        """Revoke every token that descends from this code (after a replay): the ones
        issued for it and all their refreshed successors (RFC 9700 4.12)."""
        token = self.__token_model__
        if token is None:
            log.warning(
                "a replayed code's tokens cannot be revoked: %s has no __token_model__"
                " (load it through bind_sqlalchemy, or set %s.__token_model__ = Token)",
                type(self).__name__,
                type(self).__name__,
            )
            return
        families = select(token.family).where(token.grant_id == self.id)
        _revoke_live(self, token, token.family.in_(families.scalar_subquery()))

    def delete(self) -> None:
        """Codes are kept, marked redeemed, so a replay is recognised."""
        cls = type(self)
        _update(self, update(cls).where(cls.id == self.id).values(redeemed=True))


class TokenMixin(_OpenIDMixin, _ResourcesMixin, _UserMixin):
    """A bearer token pair, stored hashed, in a rotation family, with its audience
    (``resources``, RFC 8707); for OpenID Connect with the ``auth_time`` and ``claims``
    of the code it descends from."""

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    token_type: Mapped[str] = mapped_column(String(40), default="Bearer")
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, index=True, nullable=True
    )
    scope: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    family: Mapped[str] = mapped_column(String(64), index=True, default="")
    grant_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    #: the thumbprint of the DPoP key the token is bound to (RFC 9449), or ``None``
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)

    @property
    def scopes(self) -> list[str]:
        return _split(self.scope)

    def _mark_revoked(self, *criteria: Any) -> int:
        return _update(self, update(type(self)).where(*criteria).values(revoked=True))

    def revoke(self) -> None:
        """Revoke this token (kept, marked, so a later use is recognised)."""
        self._mark_revoked(type(self).id == self.id)

    delete = revoke

    def rotate(self) -> bool:
        """Revoke this refresh token as it is exchanged, atomically: ``False`` if it was
        revoked already (a reuse). Committed with the new token (see :mod:`.claims`)."""
        cls = type(self)
        statement = update(cls).where(cls.id == self.id, cls.revoked.is_(False))
        return claim(_session_of(self), statement.values(revoked=True)) == 1

    def revoke_family(self) -> None:
        """Revoke every token descended from the same authorization.

        Rows are locked in id order and rows another request holds are skipped (it is
        revoking or rotating them), so concurrent reuses cannot deadlock.
        """
        cls = type(self)
        _revoke_live(self, cls, cls.family == self.family)
