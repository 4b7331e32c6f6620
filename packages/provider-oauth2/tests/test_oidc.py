"""OpenID Connect on the provider, over real HTTP: Authlib's OAuth 2 client logs in, and
Authlib's own ID token rules (``CodeIDToken``) with joserfc's JWS check against our JWKS
validate every ID token."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from oidc_app import (
    REDIRECT,
    SECRET,
    Browser,
    exchange,
    login_flow,
    make_app,
    pem,
    rp,
    start,
)

from flask_oauthlib_core.testing import code_verifier, redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2RequestValidator
from flask_oauthlib_provider_oauth2.jwks import load_key


def validate(url: str, token: Any, nonce: str | None) -> Any:
    """The ID token's claims, checked by joserfc against the JWKS and by Authlib's
    ``CodeIDToken`` (iss, aud, exp, iat, nonce, at_hash)."""
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    keys = KeySet.import_key_set(requests.get(document["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys)
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [document["issuer"]]}},
        {"nonce": nonce, "client_id": "rp", "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)
    return claims


def test_the_code_flow_gives_an_id_token_authlib_accepts(serve: Any) -> None:
    app, oauth, store = make_app()
    url = serve(app)
    token, nonce, _ = login_flow(url)
    claims = validate(url, token, nonce)
    assert claims["iss"] == url and claims["aud"] == "rp" and claims["sub"] == "1"
    assert claims["nonce"] == nonce
    assert claims["at_hash"] and claims["exp"] - claims["iat"] == 3600
    assert abs(claims["auth_time"] - (time.time() - 5)) < 3
    assert "azp" not in claims and "email" not in claims  # scope claims: userinfo
    header = claims.header
    assert header["alg"] == "RS256" and header["kid"] == load_key(pem()).kid
    # the grant kept the nonce and the login time; the token the login time
    (grant,) = store.grants.values()
    assert grant.nonce == nonce and grant.auth_time == claims["auth_time"]
    assert store.tokens[0].auth_time == claims["auth_time"]


def test_a_forged_at_hash_or_nonce_is_caught_by_the_client(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    token, nonce, _ = login_flow(url)
    with pytest.raises(Exception, match="nonce"):
        validate(url, token, "another-nonce")
    with pytest.raises(Exception, match="at_hash"):
        validate(url, {**token, "access_token": "swapped"}, nonce)


def test_es256_on_request_and_as_the_default(serve: Any) -> None:
    app, _, store = make_app(OAUTH2_PROVIDER_OIDC_KEYS=[pem("RS256"), pem("ES256")])
    url = serve(app)
    store.clients["rp"].id_token_signed_response_alg = "ES256"
    token, nonce, _ = login_flow(url)
    assert validate(url, token, nonce).header["alg"] == "ES256"
    store.clients["rp"].id_token_signed_response_alg = None
    token, nonce, _ = login_flow(url)
    assert validate(url, token, nonce).header["alg"] == "RS256"
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]

    app, _, _ = make_app(
        OAUTH2_PROVIDER_OIDC_KEYS=[pem("ES256")], OAUTH2_PROVIDER_OIDC_ID_TOKEN_ALG="ES256"
    )
    url = serve(app)
    token, nonce, _ = login_flow(url)
    assert validate(url, token, nonce).header["alg"] == "ES256"


def test_rotation_signs_with_the_newest_key_and_publishes_both(serve: Any) -> None:
    old, new = pem("RS256", 1), pem("RS256", 2)
    before, _, _ = make_app(OAUTH2_PROVIDER_OIDC_KEYS=[old])
    before_url = serve(before)
    old_token, old_nonce, _ = login_flow(before_url)

    keys = [old]  # a callable: rotated without a restart
    app, _, _ = make_app(OAUTH2_PROVIDER_OIDC_KEYS=lambda: list(keys))
    url = serve(app)
    keys.insert(0, new)
    published = requests.get(url + "/oauth/jwks", timeout=10).json()["keys"]
    assert [k["kid"] for k in published] == [load_key(new).kid, load_key(old).kid]
    assert all("d" not in k and k["use"] == "sig" for k in published)
    token, nonce, _ = login_flow(url)
    assert validate(url, token, nonce).header["kid"] == load_key(new).kid
    # an ID token signed before the rotation still verifies against the new JWKS
    decoded = jwt.decode(old_token["id_token"], KeySet.import_key_set({"keys": published}))
    assert decoded.claims["nonce"] == old_nonce


def test_no_key_is_a_clear_error_never_an_unsigned_token(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, _, store = make_app(OAUTH2_PROVIDER_OIDC_KEYS=None)
    url = serve(app)
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url)
    with caplog.at_level(logging.ERROR):
        answer = redirect_params(browser.get(uri))
    assert answer["error"] == "server_error", answer
    assert answer["error_description"] == "The provider cannot sign ID tokens."
    assert "OAUTH2_PROVIDER_OIDC_KEYS" in caplog.text and not store.grants

    # keys gone between the code and its exchange: no token at all, a JSON error
    keys = [pem()]
    app, _, store = make_app(OAUTH2_PROVIDER_OIDC_KEYS=lambda: keys)
    url = serve(app)
    browser = Browser(url)
    browser.login()
    client, uri, _, verifier = start(url)
    location = browser.authorize(uri)
    keys.clear()
    answer = requests.post(
        url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": redirect_params(location)["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=("rp", SECRET),
        timeout=10,
    )
    assert answer.status_code == 500 and answer.json()["error"] == "server_error", answer.text
    assert "id_token" not in answer.text and store.saved == []


def test_nonce_is_required_unless_switched_off(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url, nonce=None)
    uri = uri.replace("nonce=", "x=")
    answer = redirect_params(browser.get(uri))
    assert answer["error"] == "invalid_request" and "nonce" in answer["error_description"]

    app, _, _ = make_app(OAUTH2_PROVIDER_OIDC_REQUIRE_NONCE=False)
    url = serve(app)
    browser = Browser(url)
    browser.login()
    client = rp()
    verifier = code_verifier()
    uri, _ = client.create_authorization_url(url + "/oauth/authorize", code_verifier=verifier)
    token = exchange(client, url, browser.authorize(uri), verifier)
    assert "nonce" not in validate(url, token, None)


def test_prompt_none(serve: Any) -> None:
    app, _, store = make_app()
    url = serve(app)
    browser = Browser(url)
    _, uri, _, _ = start(url, prompt="none")
    assert redirect_params(browser.get(uri))["error"] == "login_required"
    browser.login()
    # the view would show its consent page: no UI may be shown
    assert redirect_params(browser.get(uri))["error"] == "consent_required"
    app.config["AUTO_APPROVE"] = True  # consent given before: the view decides at once
    client, uri, nonce, verifier = start(url, prompt="none")
    token = exchange(client, url, redirect_location_of(browser.get(uri)), verifier)
    assert validate(url, token, nonce)["sub"] == "1"
    # too old a login for max_age, and none mixed with another value
    browser.login(ago=120)
    _, uri, _, _ = start(url, prompt="none", max_age="60")
    assert redirect_params(browser.get(uri))["error"] == "login_required"
    _, uri, _, _ = start(url, prompt="none login")
    assert redirect_params(browser.get(uri))["error"] == "invalid_request"
    assert len(store.grants) == 1


def redirect_location_of(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def test_max_age_sends_the_user_to_log_in_again(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    browser = Browser(url)
    browser.login(ago=600)
    client, uri, nonce, verifier = start(url, max_age="60")
    to_login = redirect_location_of(browser.get(uri))
    assert to_login.startswith("/login?next="), to_login
    browser.login()  # fresh
    token = exchange(client, url, browser.authorize(uri), verifier)
    assert time.time() - validate(url, token, nonce)["auth_time"] < 5


def test_a_code_is_never_issued_while_a_login_is_required(serve: Any) -> None:
    app, _, store = make_app(IGNORE_LOGIN_REQUIRED=True)
    url = serve(app)
    browser = Browser(url)
    browser.login(ago=600)
    _, uri, _, _ = start(url, max_age="60")
    answer = redirect_params(browser.consent(uri))
    assert answer["error"] == "login_required" and not store.grants
    _, uri, _, _ = start(url, prompt="login")
    assert redirect_params(browser.consent(uri))["error"] == "login_required"


def test_prompt_login_and_consent(serve: Any) -> None:
    app, _, _ = make_app(AUTO_APPROVE=True)
    url = serve(app)
    browser = Browser(url)
    browser.login(ago=30)
    client, uri, nonce, verifier = start(url, prompt="login")
    assert redirect_location_of(browser.get(uri)).startswith("/login?")
    browser.login()
    token = exchange(client, url, redirect_location_of(browser.get(uri)), verifier)
    assert time.time() - validate(url, token, nonce)["auth_time"] < 5
    # prompt=consent: deciding without asking is refused ...
    _, uri, _, _ = start(url, prompt="consent")
    assert redirect_params(browser.get(uri))["error"] == "consent_required"
    # ... asking is what it wants
    app.config["AUTO_APPROVE"] = False
    client, uri, nonce, verifier = start(url, prompt="consent", login_hint="alice")
    token = exchange(client, url, browser.authorize(uri), verifier)
    assert validate(url, token, nonce)["sub"] == "1"


def test_id_token_hint_must_name_the_logged_in_user(serve: Any) -> None:
    app, _, store = make_app()
    url = serve(app)
    token, _, _ = login_flow(url)
    app.config["AUTO_APPROVE"] = True
    browser = Browser(url)
    browser.login("bob")
    _, uri, _, _ = start(url, id_token_hint=token["id_token"])
    assert redirect_params(browser.get(uri))["error"] == "login_required"
    _, uri, _, _ = start(url, id_token_hint="not.a.token")
    assert redirect_params(browser.get(uri))["error"] == "invalid_request"
    browser.login("alice")
    _, uri, _, _ = start(url, id_token_hint=token["id_token"])
    assert "code" in redirect_params(browser.get(uri))


def test_userinfo_get_and_post(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    token, _, client = login_flow(url, "openid")
    for method in ("GET", "POST"):
        answer = client.request(method, url + "/oauth/userinfo")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"sub": "1"}
        assert answer.headers["Cache-Control"] == "no-store"
    token, _, client = login_flow(url, "openid profile email")
    assert client.get(url + "/oauth/userinfo").json() == {
        "sub": "1",
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "email_verified": True,
    }
    # the claims parameter cannot reach beyond the scopes the user consented to (the
    # reviewer's finding: it released email and phone behind a consent page for openid)
    claims = json.dumps({"userinfo": {"phone_number": None, "email": None}})
    token, _, client = login_flow(url, "openid", claims=claims)
    assert client.get(url + "/oauth/userinfo").json() == {"sub": "1"}


def test_userinfo_refuses_what_is_not_an_openid_token(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    missing = requests.get(url + "/oauth/userinfo", timeout=10)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    invalid = requests.get(
        url + "/oauth/userinfo", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert invalid.status_code == 401 and invalid.json()["error"] == "invalid_token"
    _, _, client = login_flow(url, "read")  # plain OAuth 2: no openid, no id_token
    assert "id_token" not in client.token
    refused = client.get(url + "/oauth/userinfo")
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    query = requests.get(
        url + "/oauth/userinfo", params={"access_token": client.token["access_token"]}, timeout=10
    )
    assert query.status_code == 401, query.text


def test_claims_parameter_for_the_id_token(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    claims = json.dumps({"id_token": {"email": {"essential": True}, "iss": None}})
    token, nonce, _ = login_flow(url, "openid email", claims=claims)
    found = validate(url, token, nonce)
    assert found["email"] == "alice@example.com" and found["iss"] == url
    # a claim outside the consented scopes is not put in the ID token
    token, nonce, _ = login_flow(url, "openid", claims=claims)
    assert "email" not in validate(url, token, nonce)
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url, claims="[1]")
    assert redirect_params(browser.get(uri))["error"] == "invalid_request"


def test_refresh_keeps_openid(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    token, nonce, client = login_flow(url)
    first = validate(url, token, nonce)
    time.sleep(1)
    refreshed = client.refresh_token(url + "/oauth/token")
    again = validate(url, refreshed, None)
    assert "nonce" not in again and again["at_hash"] != first["at_hash"]
    assert (again["sub"], again["auth_time"], again["aud"]) == (
        first["sub"],
        first["auth_time"],
        "rp",
    )
    assert again["iat"] > first["iat"]
    # a refresh that drops openid is plain OAuth 2
    narrowed = client.refresh_token(url + "/oauth/token", scope="email")
    assert "id_token" not in narrowed and narrowed["scope"] == "email"


def test_discovery_lists_what_is_enforced(serve: Any) -> None:
    app, _, _ = make_app(OAUTH2_PROVIDER_ALLOW_IMPLICIT=False, OAUTH2_PROVIDER_ISSUER=None)
    url = serve(app)
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert document["issuer"] == url
    assert document["authorization_endpoint"] == url + "/oauth/authorize"
    assert document["token_endpoint"] == url + "/oauth/token"
    assert document["userinfo_endpoint"] == url + "/oauth/userinfo"
    assert document["jwks_uri"] == url + "/oauth/jwks"
    assert document["response_types_supported"] == ["code"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["scopes_supported"] == ["openid", "profile", "email", "address", "phone"]
    assert {"sub", "iss", "aud", "nonce", "auth_time", "at_hash", "email"} <= set(
        document["claims_supported"]
    )
    assert document["claims_parameter_supported"] is True
    assert document["request_parameter_supported"] is True
    assert document["request_uri_parameter_supported"] is False
    assert document["prompt_values_supported"] == ["none", "login", "consent"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "refresh_token" in document["grant_types_supported"]

    off, _, _ = make_app(OAUTH2_PROVIDER_OIDC_ENABLED=False)
    off_url = serve(off)
    plain = requests.get(off_url + "/.well-known/openid-configuration", timeout=10).json()
    assert not {"userinfo_endpoint", "subject_types_supported"} & set(plain)
    # its keys stay published: a client may have JWT access tokens (RFC 9068)
    assert plain["jwks_uri"] == off_url + "/oauth/jwks"
    assert requests.get(off_url + "/oauth/jwks", timeout=10).json()["keys"]
    assert requests.get(off_url + "/oauth/userinfo", timeout=10).status_code == 404


def test_switched_off_openid_is_a_plain_scope(serve: Any) -> None:
    app, _, _ = make_app(OAUTH2_PROVIDER_OIDC_ENABLED=False)
    url = serve(app)
    token, _, _ = login_flow(url, "openid email")
    assert "id_token" not in token and token["scope"] == "openid email"


def test_pyjwt_is_not_imported_until_openid_is_used() -> None:
    code = (
        "import sys\n"
        "from oidc_app import make_app\n"
        "app, oauth, store = make_app(OAUTH2_PROVIDER_OIDC_KEYS=None)\n"
        "app.test_client().get('/.well-known/openid-configuration')\n"
        "assert 'jwt' not in sys.modules, 'imported'\n"
    )
    here = Path(__file__).parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_a_consent_form_that_does_not_repost_the_nonce(serve: Any) -> None:
    app, _, _ = make_app()
    url = serve(app)
    browser = Browser(url)
    browser.login()
    client, uri, nonce, verifier = start(url)
    assert browser.get(uri).status_code == 200
    params = redirect_params(uri)  # a 0.9.6 template posts these fields only
    form = {k: params[k] for k in ("client_id", "redirect_uri", "response_type", "scope", "state")}
    form["confirm"] = "yes"
    posted = browser.session.post(url + "/oauth/authorize", data=form, allow_redirects=False)
    token = exchange(client, url, redirect_location_of(posted), verifier)
    assert validate(url, token, nonce)["nonce"] == nonce


class SeveralAudiences(OAuth2RequestValidator):
    def id_token_claims(self, id_token: dict[str, Any], request: Any) -> dict[str, Any]:
        return super().id_token_claims({**id_token, "aud": ["rp", "api"]}, request)


def test_azp_names_the_client_when_there_are_several_audiences(serve: Any) -> None:
    app, oauth, _ = make_app()
    oauth._validator_class = SeveralAudiences
    url = serve(app)
    token, _, _ = login_flow(url)
    document = requests.get(url + "/oauth/jwks", timeout=10).json()
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(document)).claims
    assert claims["aud"] == ["rp", "api"] and claims["azp"] == "rp"


def test_generate_key_command(tmp_path: Path) -> None:
    app, _, _ = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["oidc", "generate-key"])
    assert result.exit_code == 0, result.output
    key = load_key(result.stdout)
    assert key.alg == "RS256" and key.can_sign and f"kid: {key.kid}" in result.stderr
    result = runner.invoke(args=["oidc", "generate-key", "--alg", "ES256", "--format", "jwk"])
    jwk = json.loads(result.stdout)
    assert jwk["kty"] == "EC" and "d" in jwk and load_key(jwk).kid == jwk["kid"]
    out = tmp_path / "key.pem"
    assert runner.invoke(args=["oidc", "generate-key", "--out", str(out)]).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and load_key(out.read_text()).can_sign
    again = runner.invoke(args=["oidc", "generate-key", "--out", str(out)])
    assert again.exit_code != 0 and "never overwritten" in again.output


def test_keys_load_from_pem_jwk_and_key_objects() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from flask_oauthlib_provider_oauth2.jwks import KeySet, generate_key, private_jwk

    for alg in ("RS256", "ES256"):
        obj = generate_key(alg)
        jwk = private_jwk(obj)
        by_pem, by_jwk, by_obj = load_key(private_pem_of(obj)), load_key(jwk), load_key(obj)
        assert by_pem.kid == by_jwk.kid == by_obj.kid == jwk["kid"]
        assert by_jwk.alg == alg and by_jwk.can_sign
        public = load_key(by_obj.jwk)  # a retired key: published, never signs
        assert not public.can_sign and public.kid == by_obj.kid
        keys = KeySet.load([jwk])
        assert keys.verify(keys.sign({"sub": "x"}, alg))["sub"] == "x"
    only_d = {
        k: v for k, v in private_jwk(generate_key()).items() if k not in "p q dp dq qi".split()
    }
    assert load_key(only_d).can_sign
    with pytest.raises(ValueError, match="2048"):
        load_key(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - refused
    with pytest.raises(ValueError, match="kid"):
        KeySet.load([pem(), pem()])
    with pytest.raises(ValueError, match="PEM"):
        load_key("not a key")


def private_pem_of(key: Any) -> str:
    from flask_oauthlib_provider_oauth2.jwks import private_pem

    return private_pem(key)
