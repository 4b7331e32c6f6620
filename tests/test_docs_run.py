"""Docs are programs: every Python block of README.md, docs/*.md and each package README
runs, a page's blocks in order as one program.

A page may hold hidden blocks, HTML comments that readers do not see::

    <!-- docs-test
    app.secret_key = "test"
    -->

They run in their place between the visible blocks and supply only what a page leaves
out on purpose (a secret, a server started in the background). Some pages also get a
driver from :data:`DRIVERS`, run after the page, that uses what the page built the way a
reader would (a login, a token request).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```$|^<!-- docs-test\n(.*?)^-->$", re.M | re.S)
ALL_PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "packages").glob("*/README.md")]
)
#: the pages with Python on them
PAGES = [page for page in ALL_PAGES if BLOCK.search(page.read_text())]

#: code run after a page's own blocks, by page (relative to the repository root)
DRIVERS: dict[str, str] = {
    "docs/quickstart.md": r"""
        # the login page's next= stays on the site, whatever a link carries
        for attack in ("//evil.com", "/\\evil.com", "/\t/evil.com", "/\r/evil.com",
                       "https://evil.com", " /evil", "/x\n"):
            assert local_path(attack) == "/", attack
        ours = "/oauth/authorize?client_id=a&x=%2F"
        assert local_path(ours) == ours
        # the reader's client_credentials token worked (the page printed /api/me) ...
        assert me == {"client_id": "my-client", "username": "alice"}, me
        # ... and a browser login through the quickstart's client app works too
        import requests
        from urllib.parse import urljoin

        browser = requests.Session()
        page = browser.get(CLIENT + "/login")  # client -> provider login -> consent
        assert page.url.startswith(PROVIDER + "/login"), page.url
        page = browser.post(page.url, data={"username": "alice", "password": "wonderland"})
        assert "wants to" in page.text, page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = browser.post(page.url, data={"confirm": "yes", "csrf_token": csrf})
        assert done.json() == {"client_id": "my-client", "username": "alice"}, done.text
        # routine failures are a sentence, not a 500: a reload of the callback (its state
        # is used up), a forged state, and OAUTHLIB_INSECURE_TRANSPORT unset
        again = browser.get(done.url)
        assert again.status_code == 400 and "did not work" in again.text, again.text
        forged = requests.get(CLIENT + "/authorized?code=x&state=forged")
        assert forged.status_code == 400 and "did not work" in forged.text, forged.text
        del os.environ["OAUTHLIB_INSECURE_TRANSPORT"]
        insecure = client_app.test_client().get("/login")
        assert insecure.status_code == 500 and "not possible" in insecure.text, insecure.text
    """,
    "README.md": """
        # the client quickstart answers a forged or stale state with a sentence, not a 500
        answer = app.test_client().get("/login/authorized?code=x&state=forged")
        assert answer.status_code == 400 and "did not work" in answer.text, answer.text
    """,
    "docs/flask-login.md": """
        assert signed_in == {"username": "alice"}, signed_in
        assert anonymous_location.startswith("/login?next="), anonymous_location
        # the redirect works in a browser: /login has a form for GET, not a 405
        with app.test_client() as browser:
            form = browser.get(anonymous_location)
            assert form.status_code == 200 and "<form" in form.text, form.text
            signed = browser.post(anonymous_location, data={"username": "alice"})
            assert signed.status_code == 302, signed.text
            assert signed.headers["Location"].startswith("/oauth/authorize?"), signed.headers
    """,
    "docs/oauth1.md": """
        # the nonce store holds the page's traffic: OAUTH1_CACHE_THRESHOLD is not the 500
        # default that answers 503 after ~500 signed requests in 11 minutes
        assert app.config["OAUTH1_CACHE_THRESHOLD"] >= 100_000
        # a request token is redeemed once, under a lock, however many exchanges race
        from concurrent.futures import ThreadPoolExecutor

        used = RequestToken(token="t")
        with ThreadPoolExecutor(8) as pool:
            wins = list(pool.map(lambda _: used.redeem(), range(64)))
        assert wins.count(True) == 1, wins
        # and the provider calls it: an exchanged request token cannot be exchanged again
        assert all(t.redeemed for t in request_tokens.values()), request_tokens
    """,
}


def program(page: Path) -> str:
    """The page's visible and hidden blocks, in order, and its driver."""
    blocks = [visible or hidden for visible, hidden in BLOCK.findall(page.read_text())]
    driver = DRIVERS.get(page.relative_to(ROOT).as_posix(), "")
    return "\n\n".join([*blocks, "import re\n" + textwrap.dedent(driver)])


def test_every_page_with_python_is_checked() -> None:
    assert len(PAGES) >= 8, PAGES
    for page in ALL_PAGES:  # a block this test cannot see would go unchecked
        assert page in PAGES or "```py" not in page.read_text(), page
    for name in DRIVERS:
        assert ROOT / name in PAGES, name


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_page_runs(page: Path, tmp_path: Path) -> None:
    code = program(page)
    script = tmp_path / "page.py"
    script.write_text(code)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    env.pop("OAUTHLIB_INSECURE_TRANSPORT", None)  # pages say when they need it
    # run as a module, not as __main__: "if __name__ == '__main__': app.run()" stays off
    runner = f"import runpy; runpy.run_path({str(script)!r}, run_name='docs_page')"
    result = subprocess.run(
        [sys.executable, "-c", runner],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{page.name} failed:\n{result.stdout}\n{result.stderr}"
