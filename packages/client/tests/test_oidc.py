"""OpenID Connect logins: the client verifies the ID token before it returns the token.

Over real HTTP: the client logs in to Authlib's OpenID Provider (code + PKCE + nonce) and
gets the verified claims; then a provider these tests control issues ID tokens that are
wrong in one way each, and each is refused with its own ``OAuthException.type``. The
provider's key set is fetched once per app, and again once for a key it lacks.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask, request, url_for
from flask.testing import FlaskClient
from oidc_peers import (
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    SUB,
    Live,
    SigningKey,
    authlib_op,
    forging_op,
    hmac_signed,
    new_key,
    oidc_client,
    unsigned,
)
from werkzeug.test import TestResponse

from flask_oauthlib_client import OAuth, OAuthException
from flask_oauthlib_client.jwks import JwksCache
from flask_oauthlib_client.oidc import LEEWAY, REFUSALS, at_hash, verify_id_token
from flask_oauthlib_core.testing import go_to_provider, visit_provider

Serve = Callable[[Flask], str]


def log_in(app: Flask, browser: FlaskClient | None = None) -> tuple[FlaskClient, TestResponse]:
    """Log in through the client app's ``/login``; the callback's answer."""
    browser = browser or app.test_client()
    return browser, browser.get(go_to_provider(browser))


def refused(answer: TestResponse) -> str:
    """The ``OAuthException.type`` the callback answered (asserting it refused)."""
    assert answer.status_code == 400, answer.get_json()
    return str(answer.get_json()["error"])


@pytest.fixture
def signer() -> SigningKey:
    return new_key("k1")


@pytest.fixture
def op(serve: Serve, signer: SigningKey) -> Live:
    """The provider these tests control, signing with ``signer``."""
    live = forging_op(signer)
    live.url = serve(live.app)
    return live


# -- against Authlib's OpenID Provider -----------------------------------------------------


def test_logs_in_to_authlib_and_verifies_its_id_token(serve: Serve, signer: SigningKey) -> None:
    op = authlib_op(signer)
    op.url = serve(op.app)
    app, _ = oidc_client(op.url)
    browser = app.test_client()
    login = browser.get("/login")
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    nonce = query["nonce"][0]
    assert len(nonce) >= 32 and query["code_challenge_method"] == ["S256"]
    assert query["scope"] == ["openid profile email"]

    done = browser.get(visit_provider(login))
    assert done.status_code == 200, done.get_json()
    token = done.get_json()
    claims = token["id_token_claims"]
    assert claims["sub"] == SUB and claims["iss"] == op.url and claims["aud"] == [CLIENT_ID]
    assert claims["nonce"] == nonce and op.state["nonces"] == [nonce]
    assert claims["at_hash"] == at_hash(token["access_token"], "RS256")
    assert claims["email"] == "alice@example.com"
    assert op.state["jwks"] == 1

    info = browser.get("/userinfo").get_json()
    assert info == {"sub": SUB, "name": "Alice Liddell", "email": "alice@example.com"}

    _, again = log_in(app)  # another user's browser, same app: the keys are cached
    assert again.status_code == 200 and op.state["jwks"] == 1
    assert op.state["nonces"][1] != nonce


def test_a_tampered_authlib_id_token_is_refused(serve: Serve, signer: SigningKey) -> None:
    """The same provider, but its token answer altered on the way: the payload of its ID
    token says another user, with the provider's signature kept."""
    op = authlib_op(signer)
    op.url = serve(op.app)

    @op.app.after_request
    def tamper(response: Any) -> Any:
        if response.is_json and "id_token" in (response.get_json() or {}):
            data = response.get_json()
            head, body, signature = data["id_token"].split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=="))
            claims["sub"] = "mallory"
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            data["id_token"] = f"{head}.{body}.{signature}"
            response.set_data(json.dumps(data))
        return response

    app, _ = oidc_client(op.url)
    assert refused(log_in(app)[1]) == "invalid_signature"


# -- bad ID tokens from a provider the tests control ----------------------------------------


def now() -> int:
    return int(time.time())


def changed(**claims: Any) -> Callable[..., str]:
    """Sign the right claims updated with ``claims`` (``None`` removes one; a callable
    is called when the token is made, for times)."""

    def forge(right: dict[str, Any], header: dict[str, Any], key: SigningKey) -> str:
        merged = {**right, **{k: v() if callable(v) else v for k, v in claims.items()}}
        return key.sign({k: v for k, v in merged.items() if v is not None})

    return forge


def tampered_signature(right: dict[str, Any], header: dict[str, Any], key: SigningKey) -> str:
    head, body, signature = key.sign(right).split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{body}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def public_key_as_hmac_secret(
    right: dict[str, Any], header: dict[str, Any], key: SigningKey
) -> str:
    pem = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hmac_signed(right, header, pem)


def other_key_same_kid(right: dict[str, Any], header: dict[str, Any], key: SigningKey) -> str:
    return new_key(key.kid).sign(right)


def rsa_signature_on_an_ec_kid(
    right: dict[str, Any], header: dict[str, Any], key: SigningKey
) -> str:
    return new_key("ec-1").sign(right)  # RS256, kid of the provider's EC key


BAD_ID_TOKENS: dict[str, tuple[Callable[..., str | None], str]] = {
    "tampered signature": (tampered_signature, "invalid_signature"),
    "signed by another key with the same kid": (other_key_same_kid, "invalid_signature"),
    "expired": (
        changed(exp=lambda: now() - LEEWAY - 60, iat=lambda: now() - 3600),
        "id_token_expired",
    ),
    "issued in the future": (changed(iat=lambda: now() + LEEWAY + 600), "invalid_id_token"),
    "not valid yet": (changed(nbf=lambda: now() + LEEWAY + 600), "invalid_id_token"),
    "for another audience": (changed(aud="someone-else"), "invalid_audience"),
    "several audiences, no azp": (changed(aud=[CLIENT_ID, "other"]), "invalid_audience"),
    "authorized party is another": (changed(aud=[CLIENT_ID, "x"], azp="x"), "invalid_audience"),
    "wrong nonce": (changed(nonce="not-the-nonce-of-this-login"), "invalid_nonce"),
    "no nonce": (changed(nonce=None), "invalid_nonce"),
    "wrong issuer": (changed(iss="https://evil.example"), "invalid_issuer"),
    "no subject": (changed(sub=None), "invalid_id_token"),
    "no expiry": (changed(exp=None), "invalid_id_token"),
    "an expiry that is NaN": (changed(exp=float("nan")), "invalid_id_token"),
    "an expiry of hundreds of digits": (changed(exp=10**400), "invalid_id_token"),
    "alg none": (lambda right, header, key: unsigned(right, header), "invalid_algorithm"),
    "HS256 keyed with the public key": (public_key_as_hmac_secret, "invalid_algorithm"),
    "bad at_hash": (changed(at_hash="AAAAAAAAAAAAAAAAAAAAAA"), "invalid_at_hash"),
    "no id_token at all": (lambda right, header, key: None, "invalid_id_token"),
    "not a JWT": (lambda right, header, key: "not-a-jwt", "invalid_id_token"),
    "an encrypted JWT (JWE)": (lambda right, header, key: "a.b.c.d.e", "invalid_id_token"),
    "a header that is no JSON": (lambda right, header, key: "bm90.e30.c2ln", "invalid_id_token"),
    "an alg that is a list": (
        lambda right, header, key: raw_jws({"alg": ["RS256"], "kid": key.kid}, right),
        "invalid_algorithm",
    ),
    "a kid that is a number": (
        lambda right, header, key: raw_jws({"alg": "RS256", "kid": 1}, right),
        "invalid_id_token",
    ),
}


def raw_jws(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS with this header, these claims, and a signature of nobody."""
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), b"not a signature")
    return ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts)


@pytest.mark.parametrize("case", BAD_ID_TOKENS)
def test_a_bad_id_token_is_refused(op: Live, case: str) -> None:
    forge, kind = BAD_ID_TOKENS[case]
    op.state["forge"] = forge
    app, _ = oidc_client(op.url)
    browser, answer = log_in(app)
    assert refused(answer) == kind
    assert kind in REFUSALS
    assert browser.get("/token").get_json() is None  # nothing was kept


def test_an_rs256_signature_on_an_ec_key_is_refused(op: Live) -> None:
    ec_key = new_key("ec-1", "ES256")
    op.state["published"] = {"keys": [ec_key.public_jwk]}
    op.state["forge"] = rsa_signature_on_an_ec_kid
    assert refused(log_in(oidc_client(op.url)[0])[1]) == "invalid_algorithm"


def test_the_right_id_token_passes_and_expiry_has_a_small_leeway(op: Live) -> None:
    op.state["claims"] = {"exp": now() - LEEWAY // 2}
    app, _ = oidc_client(op.url)
    _, answer = log_in(app)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["id_token_claims"]["sub"] == SUB


def test_a_nonce_is_good_for_one_login_only(op: Live) -> None:
    app, _ = oidc_client(op.url)
    browser, first = log_in(app)
    assert first.status_code == 200
    used = first.get_json()["id_token_claims"]["nonce"]
    op.state["forge"] = changed(nonce=used)  # the provider (or a thief) replays it
    _, second = log_in(app, browser)
    assert refused(second) == "invalid_nonce"
    assert op.state["nonces"][1] != used


def test_a_replayed_callback_is_refused(op: Live) -> None:
    app, _ = oidc_client(op.url)
    browser = app.test_client()
    callback = go_to_provider(browser)
    assert browser.get(callback).status_code == 200
    assert refused(browser.get(callback)) == "invalid_state"


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_asymmetric_algorithms_are_accepted(serve: Serve, alg: str) -> None:
    op = forging_op(new_key(f"{alg}-key", alg))
    op.url = serve(op.app)
    _, answer = log_in(oidc_client(op.url)[0])
    assert answer.status_code == 200, answer.get_json()
    claims = answer.get_json()["id_token_claims"]
    assert claims["at_hash"] == at_hash(answer.get_json()["access_token"], alg)


# -- max_age: how long ago the user logged in (auth_time) ------------------------------------


def max_age_client(op: Live, **settings: Any) -> Flask:
    """The client app, with ``/login/<max_age>`` passing ``max_age`` to ``authorize()``."""
    app, remote = oidc_client(op.url, **settings)

    @app.route("/login/<int:max_age>")
    def login_with_max_age(max_age: int) -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True), max_age=max_age)

    return app


def log_in_with_max_age(app: Flask, max_age: int | None) -> TestResponse:
    """Log in asking for ``max_age`` (``None``: the plain ``/login``); the callback's
    answer, after checking the provider was sent ``max_age``."""
    browser = app.test_client()
    login = browser.get("/login" if max_age is None else f"/login/{max_age}")
    sent = parse_qs(urlsplit(login.headers["Location"]).query).get("max_age")
    assert sent == (None if max_age is None else [str(max_age)])
    return browser.get(visit_provider(login))


def test_max_age_is_sent_and_auth_time_is_checked_against_authlib(
    serve: Serve, signer: SigningKey
) -> None:
    op = authlib_op(signer)
    op.url = serve(op.app)
    answer = log_in_with_max_age(max_age_client(op), 600)
    assert answer.status_code == 200, answer.get_json()
    auth_time = answer.get_json()["id_token_claims"]["auth_time"]
    assert abs(auth_time - now()) < 30


def test_max_age_without_auth_time_is_refused(op: Live) -> None:
    op.state["forge"] = changed(auth_time=None)
    answer = log_in_with_max_age(max_age_client(op), 600)
    assert refused(answer) == "missing_auth_time"
    assert "auth_time" in answer.get_json()["message"]


def test_a_login_older_than_max_age_is_refused(op: Live) -> None:
    op.state["claims"] = {"auth_time": now() - 600 - LEEWAY - 60}
    answer = log_in_with_max_age(max_age_client(op), 600)
    assert refused(answer) == "login_too_old"
    assert "max_age" in answer.get_json()["message"]


@pytest.mark.parametrize("ago", [0, 100, 600 + LEEWAY // 2])
def test_a_login_within_max_age_is_accepted(op: Live, ago: int) -> None:
    auth_time = now() - ago
    op.state["claims"] = {"auth_time": auth_time}
    answer = log_in_with_max_age(max_age_client(op), 600)
    assert answer.status_code == 200, answer.get_json()
    claims = answer.get_json()["id_token_claims"]
    assert claims["auth_time"] == auth_time and claims["sub"] == SUB


@pytest.mark.parametrize("auth_time", [None, 0, 10**9])
def test_without_max_age_auth_time_is_not_required(op: Live, auth_time: int | None) -> None:
    op.state["forge"] = changed(auth_time=auth_time)  # missing, or logged in long ago
    answer = log_in_with_max_age(max_age_client(op), None)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["id_token_claims"].get("auth_time") == auth_time


@pytest.mark.parametrize(
    ("ago", "kind"), [(0, None), (LEEWAY // 2, None), (LEEWAY + 30, "login_too_old")]
)
def test_max_age_zero_needs_a_login_within_the_leeway_of_now(
    op: Live, ago: int, kind: str | None
) -> None:
    """``max_age=0`` asks the provider to authenticate the user again (OpenID Connect
    Core 3.1.2.1): it is sent (not dropped as falsy), and ``auth_time`` must be now."""
    op.state["claims"] = {"auth_time": now() - ago}
    answer = log_in_with_max_age(max_age_client(op), 0)
    if kind is None:
        assert answer.status_code == 200, answer.get_json()
    else:
        assert refused(answer) == kind


@pytest.mark.parametrize("max_age", [None, 600])
@pytest.mark.parametrize(
    "auth_time",
    ["1700000000", True, [1700000000], {"t": 1}, float("nan"), float("inf"), 10**400],
    ids=["string", "boolean", "list", "object", "NaN", "Infinity", "huge"],
)
def test_an_auth_time_that_is_not_a_number_is_refused(
    op: Live, max_age: int | None, auth_time: Any
) -> None:
    op.state["claims"] = {"auth_time": auth_time}
    answer = log_in_with_max_age(max_age_client(op), max_age)
    assert refused(answer) == "invalid_id_token"
    assert "auth_time" in answer.get_json()["message"]


def test_max_age_in_request_token_params_is_checked(op: Live) -> None:
    app = max_age_client(op, request_token_params={"scope": "openid", "max_age": 300})
    login = app.test_client().get("/login")
    assert parse_qs(urlsplit(login.headers["Location"]).query)["max_age"] == ["300"]
    op.state["claims"] = {"auth_time": now() - 300 - LEEWAY - 60}
    assert refused(log_in(app)[1]) == "login_too_old"
    op.state["claims"] = {"auth_time": now() - 200}
    assert log_in(app)[1].status_code == 200
    op.state["forge"] = changed(auth_time=None)
    assert refused(log_in(app)[1]) == "missing_auth_time"


def test_max_age_is_kept_per_login(op: Live) -> None:
    """Two logins pending in one browser: the one that asked for ``max_age`` needs
    ``auth_time``, the other does not; each is used once."""
    app = max_age_client(op)
    browser = app.test_client()
    with_max_age = browser.get("/login/0")
    plain = browser.get("/login")
    op.state["forge"] = changed(auth_time=None)
    first = browser.get(visit_provider(plain))
    assert first.status_code == 200, first.get_json()
    callback = visit_provider(with_max_age)
    assert refused(browser.get(callback)) == "missing_auth_time"
    assert refused(browser.get(callback)) == "invalid_state"  # that login is over


@pytest.mark.parametrize("max_age", [-1, "soon", "1e3", 1.5, True])
def test_a_malformed_max_age_is_a_configuration_error(op: Live, max_age: Any) -> None:
    app, remote = oidc_client(op.url)
    with app.test_request_context() as ctx, pytest.raises(OAuthException) as info:
        remote.authorize(callback=CALLBACK, max_age=max_age)
    assert info.value.type == "invalid_configuration" and "max_age" in str(info.value)
    assert "idp_oauthpending" not in ctx.session  # the user was not sent away


def test_verify_id_token_checks_max_age(signer: SigningKey) -> None:
    moment = 1_800_000_000
    claims = {"iss": "https://id.example", "sub": "u1", "aud": "c1", "iat": moment}
    claims["exp"] = moment + 300

    def verify(max_age: int | None, **changes: Any) -> dict[str, Any]:
        token = signer.sign({**claims, **changes})
        return verify_id_token(
            token,
            client_id="c1",
            issuer="https://id.example",
            keys=lambda refetch: {"keys": [signer.public_jwk]},
            nonce=None,
            max_age=max_age,
            now=moment,
        )

    assert verify(0, auth_time=moment - LEEWAY)["auth_time"] == moment - LEEWAY
    assert verify(60, auth_time=moment - 60 - LEEWAY)["sub"] == "u1"
    assert "auth_time" not in verify(None)
    for max_age, changes, kind in [
        (0, {"auth_time": moment - LEEWAY - 1}, "login_too_old"),
        (60, {"auth_time": moment - 60 - LEEWAY - 1}, "login_too_old"),
        (60, {}, "missing_auth_time"),
        (None, {"auth_time": "now"}, "invalid_id_token"),
    ]:
        with pytest.raises(OAuthException) as info:
            verify(max_age, **changes)
        assert info.value.type == kind and kind in REFUSALS


# -- the key set: cached per app, fetched again once for an unknown key -----------------------


def test_the_key_set_is_fetched_once_per_app(op: Live) -> None:
    one, _ = oidc_client(op.url)
    two, _ = oidc_client(op.url)
    for app in (one, one, two, two, one):
        assert log_in(app)[1].status_code == 200
    assert op.state["jwks"] == 2
    assert len(one.extensions["oauthlib.client.jwks"]) == 1


def test_an_unknown_key_fetches_the_key_set_again_once_then_is_refused(op: Live) -> None:
    app, _ = oidc_client(op.url)
    assert log_in(app)[1].status_code == 200
    assert op.state["jwks"] == 1
    stranger = new_key("k-unknown")
    op.state["forge"] = lambda right, header, key: stranger.sign(right)
    assert refused(log_in(app)[1]) == "unknown_key"
    assert op.state["jwks"] == 2
    assert refused(log_in(app)[1]) == "unknown_key"  # no refetch storm: at most one
    assert op.state["jwks"] == 2  # every REFETCH_INTERVAL seconds


def test_a_rotated_key_is_found_by_fetching_the_key_set_again(op: Live) -> None:
    app, _ = oidc_client(op.url)
    assert log_in(app)[1].status_code == 200
    op.state["keys"] = [new_key("k2"), *op.state["keys"]]  # k2 signs from now on
    _, answer = log_in(app)
    assert answer.status_code == 200, answer.get_json()
    assert op.state["jwks"] == 2
    assert log_in(app)[1].status_code == 200 and op.state["jwks"] == 2


def test_a_malformed_key_in_the_set_is_skipped(op: Live, signer: SigningKey) -> None:
    broken = {"kty": "RSA", "kid": signer.kid, "n": 5, "e": ["AQAB"]}
    op.state["published"] = {"keys": [broken, "junk", signer.public_jwk]}
    _, answer = log_in(oidc_client(op.url)[0])
    assert answer.status_code == 200, answer.get_json()


def test_a_broken_key_set_is_refused(op: Live) -> None:
    op.state["published"] = {"keys": "none"}
    assert refused(log_in(oidc_client(op.url)[0])[1]) == "invalid_jwks"


# -- issuer ---------------------------------------------------------------------------------


def test_a_multi_tenant_issuer_takes_the_tenant_of_the_token(op: Live) -> None:
    op.state["issuer"] = op.url + "/{tenantid}/v2.0"
    op.state["claims"] = {"iss": op.url + "/tenant-1/v2.0", "tid": "tenant-1"}
    assert log_in(oidc_client(op.url)[0])[1].status_code == 200
    op.state["claims"] = {"iss": op.url + "/tenant-1/v2.0", "tid": "tenant-2"}
    assert refused(log_in(oidc_client(op.url)[0])[1]) == "invalid_issuer"
    op.state["claims"] = {"iss": op.url + "/{tenantid}/v2.0"}
    assert refused(log_in(oidc_client(op.url)[0])[1]) == "invalid_issuer"


def test_a_configured_issuer_wins_over_the_metadata(op: Live) -> None:
    app, _ = oidc_client(op.url, issuer="https://id.example")
    assert refused(log_in(app)[1]) == "invalid_issuer"


# -- userinfo -------------------------------------------------------------------------------


def test_userinfo_answers_the_endpoint_claims(op: Live) -> None:
    op.state["userinfo"] = {"sub": SUB, "name": "Alice", "locale": "en"}
    app, remote = oidc_client(op.url)
    browser, answer = log_in(app)
    assert browser.get("/userinfo").get_json() == op.state["userinfo"]
    token = answer.get_json()
    with app.test_request_context():
        assert remote.userinfo(token)["locale"] == "en"
        bare = {"access_token": token["access_token"]}  # no claims: any sub is taken
        op.state["userinfo"] = {"sub": "someone"}
        assert remote.userinfo(bare) == {"sub": "someone"}


def test_userinfo_about_another_user_is_refused(op: Live) -> None:
    app, _ = oidc_client(op.url)
    browser, _ = log_in(app)
    op.state["userinfo"] = {"sub": "someone-else", "name": "Mallory"}
    assert refused(browser.get("/userinfo")) == "invalid_userinfo"
    op.state["userinfo"] = {"name": "no sub"}
    assert refused(browser.get("/userinfo")) == "invalid_userinfo"


def test_userinfo_needs_the_endpoint_in_the_metadata(serve: Serve) -> None:
    idp = Flask("no_userinfo")

    @idp.route("/.well-known/openid-configuration")
    def discovery() -> Any:
        return {"issuer": request.host_url.rstrip("/"), "jwks_uri": "https://id.example/jwks"}

    url = serve(idp)
    app, remote = oidc_client(url)
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.userinfo({"access_token": "t"})
    assert info.value.type == "invalid_configuration" and "userinfo_endpoint" in str(info.value)


# -- logout ---------------------------------------------------------------------------------


def test_end_session_url_names_the_endpoint_and_the_client(serve: Serve) -> None:
    idp = Flask("with_logout")
    document = {"jwks_uri": "https://id.example/jwks"}

    @idp.route("/.well-known/openid-configuration")
    def discovery() -> Any:
        return {"issuer": request.host_url.rstrip("/"), **document}

    url = serve(idp)
    app, remote = oidc_client(url)
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.end_session_url("an.id.token")
    assert info.value.type == "invalid_configuration" and "end_session_endpoint" in str(info.value)

    document["end_session_endpoint"] = "https://id.example/logout?ui_locales=en"
    app, remote = oidc_client(url)  # a new app: the metadata is cached per app
    with app.test_request_context():
        logout = urlsplit(remote.end_session_url("an.id.token", "https://rp.example/bye", "s"))
        assert logout[:3] == ("https", "id.example", "/logout")
        assert parse_qs(logout.query) == {
            "ui_locales": ["en"],
            "id_token_hint": ["an.id.token"],
            "client_id": [remote.consumer_key],
            "post_logout_redirect_uri": ["https://rp.example/bye"],
            "state": ["s"],
        }
        assert parse_qs(urlsplit(remote.end_session_url()).query) == {
            "ui_locales": ["en"],
            "client_id": [remote.consumer_key],
        }


# -- refresh --------------------------------------------------------------------------------


def test_a_refreshed_token_keeps_its_claims_or_verifies_its_new_id_token(op: Live) -> None:
    app, _ = oidc_client(op.url)
    browser, answer = log_in(app)
    first = answer.get_json()
    browser.get("/expire")
    assert browser.get("/userinfo").status_code == 200  # refreshed first
    refreshed = browser.get("/token").get_json()
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["id_token_claims"] == first["id_token_claims"]

    op.state["refresh_id_token"] = {"iat": now() + 1, "name": "Alice again"}
    browser.get("/expire")
    assert browser.get("/userinfo").status_code == 200
    assert browser.get("/token").get_json()["id_token_claims"]["name"] == "Alice again"

    op.state["refresh_id_token"] = {"sub": "mallory"}
    browser.get("/expire")
    assert refused(browser.get("/userinfo")) == "refresh_failed"
    op.state["refresh_id_token"] = {"aud": "someone-else"}
    assert refused(browser.get("/userinfo")) == "refresh_failed"


# -- when openid is not asked for, or cannot be verified ------------------------------------


def test_without_openid_nothing_is_verified(op: Live) -> None:
    op.state["forge"] = lambda right, header, key: "not.a.jwt"
    app, _ = oidc_client(op.url, request_token_params={"scope": "profile"})
    browser = app.test_client()
    login = browser.get("/login")
    assert "nonce" not in parse_qs(urlsplit(login.headers["Location"]).query)
    answer = browser.get(visit_provider(login))
    assert answer.status_code == 200
    assert "id_token_claims" not in answer.get_json()


def test_a_nonce_given_to_authorize_is_sent_and_checked(op: Live) -> None:
    app, remote = oidc_client(op.url)

    @app.route("/login-with-nonce")
    def login_with_nonce() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True), nonce="n-42")

    browser = app.test_client()
    login = browser.get("/login-with-nonce")
    assert parse_qs(urlsplit(login.headers["Location"]).query)["nonce"] == ["n-42"]
    answer = browser.get(visit_provider(login))
    assert answer.status_code == 200 and answer.get_json()["id_token_claims"]["nonce"] == "n-42"


def test_a_configured_nonce_is_not_reused_for_every_login(op: Live) -> None:
    params = {"scope": "openid", "nonce": "the-same-every-time"}
    app, _ = oidc_client(op.url, request_token_params=params)
    login = app.test_client().get("/login")
    sent = parse_qs(urlsplit(login.headers["Location"]).query)["nonce"]
    assert sent != ["the-same-every-time"] and len(sent[0]) >= 32


def test_without_state_a_callback_with_no_pending_login_is_refused(op: Live) -> None:
    """With ``enforce_state=False`` a callback may find no pending login (another
    browser, a lost session): there is no nonce to check the ID token against."""
    app, _ = oidc_client(op.url, enforce_state=False, pkce=False)
    callback = go_to_provider(app.test_client())
    assert refused(app.test_client().get(callback)) == "invalid_nonce"


def test_openid_without_metadata_is_a_configuration_error() -> None:
    app = Flask("no_metadata")
    app.secret_key = "k"
    remote = OAuth(app).remote_app(
        "idp",
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        authorize_url="https://id.example/authorize",
        access_token_url="https://id.example/token",
        request_token_params={"scope": ["openid", "email"]},
    )
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.authorize(callback=CALLBACK)
    assert info.value.type == "invalid_configuration"
    assert "server_metadata_url" in str(info.value)


def test_without_pyjwt_openid_names_the_extra(op: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # as if PyJWT were not installed
    app, remote = oidc_client(op.url)
    with app.test_request_context() as ctx:
        with pytest.raises(ImportError, match=r'pip install "flask-oauthlib-client\[oidc\]"'):
            remote.authorize(callback=CALLBACK)
        assert "idp_oauthpending" not in ctx.session  # the user was not sent away
        remote.request_token_params["scope"] = "profile"
        assert remote.authorize(callback=CALLBACK).status_code == 302  # plain OAuth 2 works


# -- verify_id_token on its own ------------------------------------------------------------


def test_verify_id_token_as_a_function(signer: SigningKey) -> None:
    claims = {"iss": "https://id.example", "sub": "u1", "aud": "c1", "exp": now() + 60}
    claims["iat"] = now()
    token = signer.sign({**claims, "nonce": "n1"})
    fetched: list[bool] = []

    def keys(refetch: bool) -> dict[str, Any]:
        fetched.append(refetch)
        return {"keys": [{"kty": "oct", "k": "c2VjcmV0"}, signer.public_jwk]}

    verified = verify_id_token(
        token, client_id="c1", issuer="https://id.example", keys=keys, nonce="n1"
    )
    assert verified["sub"] == "u1" and fetched == [False]
    with pytest.raises(OAuthException) as info:
        verify_id_token(token, client_id="c1", issuer="https://id.example", keys=keys, nonce="n2")
    assert info.value.type == "invalid_nonce"
    late = now() + 3600
    with pytest.raises(OAuthException) as info:
        verify_id_token(
            token, client_id="c1", issuer="https://id.example", keys=keys, nonce=None, now=late
        )
    assert info.value.type == "id_token_expired"


def test_the_jwks_cache_refetches_at_most_every_interval() -> None:
    cache = JwksCache()
    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return {"keys": [len(calls)]}

    assert cache.get("u", fetch) == {"keys": [1]}
    assert cache.get("u", fetch) == {"keys": [1]}
    assert cache.get("u", fetch, refetch=True) == {"keys": [2]}
    assert cache.get("u", fetch, refetch=True) == {"keys": [2]}
    assert calls == ["u", "u"]
    cache.clear()
    assert cache.get("u", fetch) == {"keys": [3]} and len(cache) == 1


def test_a_cached_key_set_is_fetched_again_when_old() -> None:
    """A key the provider withdrew stops verifying once the cached set is MAX_AGE old
    (the reviewer's case: a removed key stayed trusted for as long as the app ran)."""
    cache = JwksCache(max_age=0.2)
    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return {"keys": [len(calls)]}

    assert cache.get("u", fetch) == {"keys": [1]}
    assert cache.get("u", fetch) == {"keys": [1]}
    time.sleep(0.25)
    assert cache.get("u", fetch) == {"keys": [2]} and calls == ["u", "u"]
    assert JwksCache().max_age == 3600


def test_a_document_claiming_another_servers_issuer_is_refused(serve: Serve) -> None:
    """Mix-up (RFC 8414 3.3): a server the client is configured with cannot claim an
    honest server's issuer, whose ``iss`` its callbacks and ID tokens would then carry."""
    evil = Flask("evil")

    @evil.route("/.well-known/openid-configuration")
    def discovery() -> Any:
        return {"issuer": "https://honest-idp.example.com", "jwks_uri": "https://x/jwks"}

    app, remote = oidc_client(serve(evil))
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.issuer  # noqa: B018
    assert info.value.type == "invalid_metadata" and "another origin" in str(info.value)
