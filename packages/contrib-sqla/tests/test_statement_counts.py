"""How many SQL statements each provider operation runs on ``bind_sqlalchemy`` with the
ready models, on SQLite and the real PostgreSQL.

Statements are counted with SQLAlchemy's engine events (``before_cursor_execute`` for
SELECT, INSERT, UPDATE and DELETE, ``commit`` for COMMIT), one request at a time through
the Flask test client, each in a fresh session: deterministic, not timed. The counts are
asserted exactly, so that a change adding a statement fails here (and one saving a
statement updates the numbers, and the README's table).
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask.testing import FlaskClient
from sqla_app import REDIRECT, Client, Grant, Token, create_app, database
from sqlalchemy import Engine, event, inspect, select

from flask_oauthlib_contrib_sqla import binding_for, claims, hash_secret, kept
from flask_oauthlib_core.testing import code_from

BASIC = "Basic " + base64.b64encode(b"confidential:s3cret").decode("ascii")
TOKEN_URL = "http://localhost/oauth/token"
RESOURCE = "http://localhost/api/me"
API = "https://api.example.com/v1"
KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


@contextmanager
def counting(engine: Engine) -> Iterator[Counter[str]]:
    """The statements ``engine`` runs in the block, by kind, and its commits."""
    seen: Counter[str] = Counter()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper()
        seen[kind if kind in KINDS else "OTHER"] += 1

    def on_commit(conn: Any) -> None:
        seen["COMMIT"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def counts(seen: Counter[str]) -> dict[str, int]:
    """The non-zero counts, in a stable order (for exact comparisons)."""
    order = (*KINDS, "COMMIT", "OTHER")
    return {kind: seen[kind] for kind in order if seen[kind]}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def dpop_proof(key: Any, method: str, url: str, access_token: str | None = None) -> str:
    """A DPoP proof (RFC 9449 4.2) signed with the EC P-256 ``key``."""
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }
    claims: dict[str, Any] = {
        "jti": uuid.uuid4().hex,
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
    }
    if access_token is not None:
        claims["ath"] = b64(hashlib.sha256(access_token.encode()).digest())
    headers = {"typ": "dpop+jwt", "jwk": jwk}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)


class Provider:
    """The sqla_app provider driven through Flask's test client, counting statements."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.app, oauth, self.session = create_app(engine)
        self.binding = binding_for(oauth)
        self.client: FlaskClient = self.app.test_client()
        self.session.remove()

    @contextmanager
    def count(self) -> Iterator[Counter[str]]:
        with counting(self.engine) as seen:
            yield seen
        self.session.remove()

    def authorize(self, *resources: str) -> Any:
        query = [
            ("response_type", "code"),
            ("client_id", "confidential"),
            ("redirect_uri", REDIRECT),
            ("scope", "email"),
            *(("resource", resource) for resource in resources),
        ]
        return self.client.post("/oauth/authorize?" + urlencode(query), data={"confirm": "yes"})

    def token(self, headers: dict[str, str] | None = None, **data: str) -> Any:
        answer = self.client.post(
            "/oauth/token", data=data, headers={"Authorization": BASIC, **(headers or {})}
        )
        return answer

    def redeem(self, code: str, **data: str) -> Any:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **data)

    def me(self, access_token: str, scheme: str = "Bearer", **headers: str) -> Any:
        headers["Authorization"] = f"{scheme} {access_token}"
        return self.client.get("/api/me", headers=headers)


@pytest.fixture(params=["sqlite", "postgresql"])
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    with database(request.param) as engine:
        provider = Provider(engine)
        try:
            yield provider
        finally:
            provider.session.remove()  # no transaction left open: the schema is dropped


def dpop_key() -> Any:
    return ec.generate_private_key(ec.SECP256R1())


# Every client lookup below is one SELECT of the client with its owner (``user``,
# joined); a token or code is read with its user joined in the same SELECT.


def test_protected_request(provider: Provider) -> None:
    token = provider.token(grant_type="client_credentials").json
    with provider.count() as seen:
        assert provider.me(token["access_token"]).status_code == 200
    # SELECT the token by its hash, outer-joined with its client (and both users)
    assert counts(seen) == {"SELECT": 1}


def test_refused_protected_request(provider: Provider) -> None:
    with provider.count() as seen:
        assert provider.me("not-a-token").status_code == 401
    # SELECT the token: none
    assert counts(seen) == {"SELECT": 1}


def test_client_credentials(provider: Provider) -> None:
    with provider.count() as seen:
        token = provider.token(grant_type="client_credentials").json
    assert token["token_type"] == "Bearer"
    # SELECT the client (client authentication; its user is the token's);
    # INSERT the token; COMMIT
    assert counts(seen) == {"SELECT": 1, "INSERT": 1, "COMMIT": 1}


def test_authorization(provider: Provider) -> None:
    with provider.count() as seen:
        code_from(provider.authorize())
    # SELECT the client (the signed-in user, alice, is its owner: loaded with it);
    # INSERT the code; COMMIT
    assert counts(seen) == {"SELECT": 1, "INSERT": 1, "COMMIT": 1}


def test_code_exchange(provider: Provider) -> None:
    code = code_from(provider.authorize())
    with provider.count() as seen:
        token = provider.redeem(code).json
    assert "refresh_token" in token
    # SELECT the client; SELECT the code; UPDATE the code redeemed (only if it was not:
    # single use); INSERT the token; COMMIT the redemption and the token together
    assert counts(seen) == {"SELECT": 2, "INSERT": 1, "UPDATE": 1, "COMMIT": 1}
    with provider.count() as seen:
        assert provider.redeem(code).json["error"] == "invalid_grant"
    # the replay: SELECT the client; SELECT the code; UPDATE redeeming nothing;
    # UPDATE revoking the tokens the code issued; COMMIT
    assert counts(seen) == {"SELECT": 2, "UPDATE": 2, "COMMIT": 1}
    assert provider.me(token["access_token"]).status_code == 401


def test_refresh_with_rotation(provider: Provider) -> None:
    code = code_from(provider.authorize())
    first = provider.redeem(code).json
    with provider.count() as seen:
        second = provider.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.json["refresh_token"] != first["refresh_token"]
    # SELECT the client; SELECT the refresh token; UPDATE it revoked (only if it was
    # not: rotation); INSERT the new token; COMMIT the rotation and the token together
    assert counts(seen) == {"SELECT": 2, "INSERT": 1, "UPDATE": 1, "COMMIT": 1}
    with provider.count() as seen:
        reuse = provider.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.json["error"] == "invalid_grant"
    # the reuse: SELECT the client; SELECT the (revoked) refresh token; UPDATE revoking
    # its family; COMMIT
    assert counts(seen) == {"SELECT": 2, "UPDATE": 1, "COMMIT": 1}
    assert provider.me(second.json["access_token"]).status_code == 401


def test_revocation(provider: Provider) -> None:
    token = provider.token(grant_type="client_credentials").json
    with provider.count() as seen:
        answer = provider.client.post(
            "/oauth/revoke", data={"token": token["access_token"]}, headers={"Authorization": BASIC}
        )
    assert answer.status_code == 200
    # SELECT the client (client authentication); SELECT the token (its client joined);
    # UPDATE it revoked; COMMIT
    assert counts(seen) == {"SELECT": 2, "UPDATE": 1, "COMMIT": 1}
    assert provider.me(token["access_token"]).status_code == 401


def test_dpop_bound_token(provider: Provider) -> None:
    key = dpop_key()
    proof = dpop_proof(key, "POST", TOKEN_URL)
    with provider.count() as seen:
        token = provider.token(headers={"DPoP": proof}, grant_type="client_credentials").json
    assert token["token_type"] == "DPoP"
    # as test_client_credentials: the provider's read-back of the token's dpop_jkt is
    # answered with the token the binding just committed
    assert counts(seen) == {"SELECT": 1, "INSERT": 1, "COMMIT": 1}
    assert provider.me(token["access_token"]).status_code == 401  # bound: not as Bearer
    proof = dpop_proof(key, "GET", RESOURCE, token["access_token"])
    with provider.count() as seen:
        assert provider.me(token["access_token"], "DPoP", DPoP=proof).status_code == 200
    # SELECT the token with its client
    assert counts(seen) == {"SELECT": 1}


def test_resources(provider: Provider) -> None:
    with provider.count() as seen:
        token = provider.token(grant_type="client_credentials", resource=API).json
    # as test_client_credentials: the read-back of the token's resources is free
    assert counts(seen) == {"SELECT": 1, "INSERT": 1, "COMMIT": 1}
    with provider.count() as seen:
        code = code_from(provider.authorize(API))
    # as test_authorization: the read-back of the code's resources is free
    assert counts(seen) == {"SELECT": 1, "INSERT": 1, "COMMIT": 1}
    with provider.count() as seen:
        token = provider.redeem(code).json
    assert counts(seen) == {"SELECT": 2, "INSERT": 1, "UPDATE": 1, "COMMIT": 1}
    with provider.count() as seen:
        provider.token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    assert counts(seen) == {"SELECT": 2, "INSERT": 1, "UPDATE": 1, "COMMIT": 1}
    stored = provider.session.execute(select(Token.resources_text)).scalars().all()
    provider.session.remove()
    assert stored == [API, API, API]


def test_a_commit_keeps_only_the_objects_named(provider: Provider) -> None:
    """What a setter's commit keeps loaded is what the request read or wrote; a code it
    redeemed (a conditional UPDATE the object did not see) expires and reads redeemed."""
    code = code_from(provider.authorize())
    session = provider.session
    client = session.get(Client, "confidential")
    grant = session.execute(select(Grant)).scalars().one()
    assert grant.redeem() and grant.redeemed is False  # the UPDATE left the object as is
    token = Token(client_id="confidential", access_token_hash="x" * 64, family="f")
    session.add(token)
    with counting(provider.engine) as seen:
        claims.commit(session, token, client)
    assert counts(seen) == {"INSERT": 1, "COMMIT": 1}
    assert not inspect(client).expired and not inspect(token).expired
    assert inspect(grant).expired
    with counting(provider.engine) as seen:
        assert (client.client_id, token.id, token.revoked) == ("confidential", token.id, False)
    assert counts(seen) == {}
    with counting(provider.engine) as seen:
        assert grant.redeemed is True
    assert counts(seen) == {"SELECT": 1}
    assert code


def test_a_saved_row_is_recalled_only_while_loaded(provider: Provider) -> None:
    """The row a setter saved answers the getter in the same app context while it is
    loaded in the session; expired or gone from the session, the database answers."""
    binding, session = provider.binding, provider.session
    with provider.app.app_context():
        token = provider.token(grant_type="client_credentials").json["access_token"]
        digest = hash_secret(token)
        assert kept.recall(binding, ("token", digest), session) is None  # another context
        saved = Token(client_id="confidential", access_token_hash="y" * 64, family="f")
        session.add(saved)
        claims.commit(session, saved)
        kept.remember(binding, ("token", "y" * 64), saved)
        with counting(provider.engine) as seen:
            assert binding.get_token(access_token="unused") is None
            assert kept.recall(binding, ("token", "y" * 64), session) is saved
        assert counts(seen) == {"SELECT": 1}  # the other token's lookup only
        session.expire(saved)
        assert kept.recall(binding, ("token", "y" * 64), session) is None
        session.refresh(saved)
        session.remove()
        assert kept.recall(binding, ("token", "y" * 64), session) is None
    assert kept.recall(binding, ("token", "y" * 64), session) is None  # no app context
