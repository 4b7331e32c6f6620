"""DPoP (RFC 9449) from the client, over real HTTP, against the independent verifier of
``jose_peers``: login with a DPoP-bound token, API calls and refreshes with proofs,
``use_dpop_nonce`` retries, the Bearer fallback, no DPoP for plain clients, one key per
login, and the key sealed while the login is pending."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from flask import Flask
from jose_peers import WELL_KNOWN, jkt, jose_server
from login_app import login_app

from flask_oauthlib_client import OAuthRemoteApp
from flask_oauthlib_client.dpop import JWK_KEY, proof
from flask_oauthlib_client.keys import generate_key
from flask_oauthlib_core.testing import go_to_provider


def dpop_app(url: str, **settings: Any) -> tuple[Flask, OAuthRemoteApp]:
    return login_app(
        consumer_key="client-1",
        consumer_secret="secret-1",
        base_url=url + "/api/",
        server_metadata_url=url + WELL_KNOWN,
        **settings,
    )


def log_in(app: Flask) -> tuple[Any, dict[str, Any]]:
    tc = app.test_client()
    done = tc.get(go_to_provider(tc))
    assert done.status_code == 200, done.get_data(as_text=True)
    return tc, done.get_json()


def state_of(server: Flask) -> dict[str, Any]:
    return server.config["STATE"]  # type: ignore[no-any-return]


def seen(server: Flask, path: str) -> list[dict[str, Any]]:
    return [s for s in state_of(server)["seen"] if s["path"] == path]


def test_login_binds_the_token_and_api_calls_carry_proofs(serve: Any) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    tc, token = log_in(app)
    assert token["token_type"] == "DPoP"
    jwk = token[JWK_KEY]
    assert jwk["kty"] == "EC" and "d" in jwk  # the private key travels with the token
    public = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")}
    sent_jkt = seen(server, "/authorize")[-1]["args"]["dpop_jkt"][0]
    assert sent_jkt == jkt(public)
    token_proof = state_of(server)["proofs"][-1]
    assert "d" not in token_proof["header"]["jwk"] and "ath" not in token_proof["claims"]
    me = tc.get("/me")
    assert me.get_json() == {"user": "alice", "bound": True}
    api = seen(server, "/api/me")[-1]["headers"]
    assert api["Authorization"].startswith("DPoP ") and "Dpop" in api
    assert "ath" in state_of(server)["proofs"][-1]["claims"]


def test_refresh_carries_a_proof_of_the_same_key(serve: Any) -> None:
    server = jose_server(expires_in=5)  # within the refresh leeway: refreshed before use
    url = serve(server)
    app, remote = dpop_app(url, dpop="ES256")
    saved: list[dict[str, Any]] = []
    remote.tokensaver(saved.append)
    tc, token = log_in(app)
    assert tc.get("/me").get_json() == {"user": "alice", "bound": True}
    refreshes = [s for s in seen(server, "/token") if s["form"]["grant_type"] == ["refresh_token"]]
    assert len(refreshes) == 1 and "Dpop" in refreshes[0]["headers"]
    assert saved and saved[0][JWK_KEY] == token[JWK_KEY] and saved[0]["token_type"] == "DPoP"
    assert saved[0]["access_token"] != token["access_token"]


def test_use_dpop_nonce_is_retried_once_and_remembered(serve: Any) -> None:
    server = jose_server(nonce_at_token=True, nonce_at_api=True)
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    tc, token = log_in(app)
    assert token["token_type"] == "DPoP"
    assert len(seen(server, "/token")) == 2  # refused for the nonce, then granted
    # the API is another origin in real life; here one server: its nonce is known already
    state_of(server)["nonce"] = "n-rotated"
    assert tc.get("/me").get_json() == {"user": "alice", "bound": True}
    assert len(seen(server, "/api/me")) == 2
    assert state_of(server)["proofs"][-1]["claims"]["nonce"] == "n-rotated"
    assert tc.get("/me").get_json() == {"user": "alice", "bound": True}
    assert len(seen(server, "/api/me")) == 3  # the remembered nonce: no retry


def test_a_server_answering_bearer_gets_bearer(serve: Any) -> None:
    server = jose_server(bearer_only=True)
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    tc, token = log_in(app)
    assert token["token_type"] == "Bearer" and JWK_KEY not in token
    assert tc.get("/me").get_json() == {"user": "alice", "bound": False}
    api = seen(server, "/api/me")[-1]["headers"]
    assert api["Authorization"].startswith("Bearer ") and "Dpop" not in api


def test_plain_clients_send_no_dpop(serve: Any) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url)
    tc, token = log_in(app)
    assert token["token_type"] == "Bearer" and JWK_KEY not in token
    assert tc.get("/me").get_json() == {"user": "alice", "bound": False}
    assert "dpop_jkt" not in seen(server, "/authorize")[-1]["args"]
    assert all("Dpop" not in s["headers"] for s in state_of(server)["seen"])


def test_two_users_get_two_keys(serve: Any) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    _, first = log_in(app)
    _, second = log_in(app)
    assert first[JWK_KEY]["d"] != second[JWK_KEY]["d"]
    jkts = [s["args"]["dpop_jkt"][0] for s in seen(server, "/authorize")]
    assert len(set(jkts)) == 2


def test_the_pending_key_is_sealed_in_the_session(serve: Any) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    tc = app.test_client()
    tc.get("/login")
    with tc.session_transaction() as sess:
        pending = sess["dev_oauthpending"][-1]
        sealed = pending["dpop"]
        assert '"d"' not in json.dumps(dict(sess)) and "kty" not in sealed
        pending["dpop"] = sealed[:-6] + "AAAAAA"  # tampered: refused, not used
        sess["dev_oauthpending"] = [pending]
    location = seen(server, "/authorize")  # nothing yet: the browser did not go there
    assert location == []
    answer = tc.get(f"/authorized?code=x&state={pending['state']}")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_state"


def test_the_verifier_refuses_replays_and_wrong_methods(serve: Any) -> None:
    """The verifier these tests trust refuses what RFC 9449 says to refuse."""
    import requests

    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url, dpop=True)
    _, token = log_in(app)
    from flask_oauthlib_client.keys import load_key

    key = load_key(token[JWK_KEY])
    access = token["access_token"]
    good = proof(key, "GET", url + "/api/me", access_token=access)
    headers = {"Authorization": f"DPoP {access}", "DPoP": good}
    assert requests.get(url + "/api/me", headers=headers, timeout=5).status_code == 200
    assert requests.get(url + "/api/me", headers=headers, timeout=5).status_code == 401
    wrong = {**headers, "DPoP": proof(key, "POST", url + "/api/me", access_token=access)}
    assert requests.get(url + "/api/me", headers=wrong, timeout=5).status_code == 401
    other = {
        **headers,
        "DPoP": proof(generate_key("ES256"), "GET", url + "/api/me", access_token=access),
    }
    assert requests.get(url + "/api/me", headers=other, timeout=5).status_code == 401
    no_ath = {**headers, "DPoP": proof(key, "GET", url + "/api/me")}
    assert requests.get(url + "/api/me", headers=no_ath, timeout=5).status_code == 401
    claims = jwt.decode(good, options={"verify_signature": False})
    assert claims["htu"] == url + "/api/me" and abs(claims["iat"] - time.time()) < 60


@pytest.mark.parametrize("alg", ["RS256", "EdDSA", "PS256"])
def test_other_algorithms(serve: Any, alg: str) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = dpop_app(url, dpop=alg)
    tc, token = log_in(app)
    assert token["token_type"] == "DPoP" and token[JWK_KEY]["alg"] == alg
    assert tc.get("/me").get_json() == {"user": "alice", "bound": True}


def test_plain_oauth2_imports_no_jose() -> None:
    """A remote app using none of DPoP, PAR, JAR, private_key_jwt needs no PyJWT."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import sys
        from flask import Flask
        from flask_oauthlib_client import OAuth
        app = Flask("plain")
        app.secret_key = "s"
        remote = OAuth(app).remote_app(
            "r", consumer_key="c", authorize_url="https://a/authorize",
            access_token_url="https://a/token",
        )
        with app.test_request_context("/"):
            remote.authorize(callback="https://c/cb")
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("jwt", "cryptography")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
