"""Build every distribution, install wheels into fresh venvs with pip, and import.

This is what a user gets from ``pip install``: no editable installs, no source tree on
``sys.path``. The wheels are built from the sdists (``wheelhouse``, conftest.py), so a file
missing from an sdist fails here too.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


def install(tmp_path: Path, wheelhouse: Path, *requirements: str) -> Path:
    """A fresh venv with ``requirements`` installed by pip from the wheels (+ PyPI)."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--find-links",
            str(wheelhouse),
            *requirements,
        ],
        check=True,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    return python


def run(python: Path, code: str) -> dict[str, object]:
    """Run ``code`` (which sets ``result``) in the venv, away from the source tree."""
    script = "import json\nresult = {}\n" + textwrap.dedent(code) + "\nprint(json.dumps(result))"
    out = subprocess.run(
        [str(python), "-I", "-c", script], check=True, capture_output=True, text=True, cwd="/"
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


ABSENT = """
import importlib.util
for name in {names!r}:
    result[name] = importlib.util.find_spec(name) is not None
"""


def test_client_alone(tmp_path: Path, wheelhouse: Path) -> None:
    python = install(tmp_path, wheelhouse, "flask-oauthlib-client")
    result = run(
        python,
        "import flask_oauthlib_client\nresult['module'] = flask_oauthlib_client.OAuth.__module__\n"
        + ABSENT.format(
            names=[
                "sqlalchemy",
                "redis",
                "pymemcache",
                "cachelib",
                "flask_oauthlib_provider_oauth1",
                "flask_oauthlib_provider_oauth2",
            ]
        ),
    )
    assert result.pop("module") == "flask_oauthlib_client.registry"
    assert not any(result.values()), result


def test_oauth2_provider_alone(tmp_path: Path, wheelhouse: Path) -> None:
    python = install(tmp_path, wheelhouse, "flask-oauthlib-provider-oauth2")
    result = run(
        python,
        "from flask_oauthlib_provider_oauth2 import OAuth2Provider\n"
        + ABSENT.format(
            names=[
                "flask_oauthlib_client",
                "flask_oauthlib_provider_oauth1",
                "sqlalchemy",
                "redis",
                "cachelib",
            ]
        ),
    )
    assert not any(result.values()), result


def test_meta_with_oauth2_only(tmp_path: Path, wheelhouse: Path) -> None:
    python = install(tmp_path, wheelhouse, "flask-oauthlib[oauth2]")
    result = run(
        python,
        """
        from flask_oauthlib.provider import OAuth2Provider
        result["oauth2"] = OAuth2Provider.__module__
        try:
            from flask_oauthlib.provider import OAuth1Provider
        except ImportError as exc:
            result["oauth1_error"] = str(exc)
        """,
    )
    assert result["oauth2"].startswith("flask_oauthlib_provider_oauth2")
    assert 'pip install "flask-oauthlib[oauth1]"' in str(result["oauth1_error"])


def test_meta_all_serves_every_documented_import_path(tmp_path: Path, wheelhouse: Path) -> None:
    python = install(tmp_path, wheelhouse, "flask-oauthlib[all]")
    result = run(
        python,
        """
        from importlib.metadata import version
        from flask_oauthlib.client import OAuth, OAuthRemoteApp, OAuthResponse, OAuthException
        from flask_oauthlib.provider import (
            OAuth1Provider, OAuth1RequestValidator, OAuth2Provider, OAuth2RequestValidator,
        )
        from flask_oauthlib.provider.oauth1 import OAuth1Provider as P1
        from flask_oauthlib.provider.oauth2 import OAuth2Provider as P2
        from flask_oauthlib.utils import extract_params, create_response, to_bytes, decode_base64
        from flask_oauthlib.contrib.oauth2 import bind_sqlalchemy, bind_cache_grant
        from flask_oauthlib.contrib.cache import Cache
        from flask_oauthlib.contrib.apps import (
            douban, dropbox, facebook, github, google, linkedin, twitter, weibo,
        )
        result["version"] = version("flask-oauthlib")
        result["client_module"] = OAuth.__module__
        result["same"] = P1 is OAuth1Provider and P2 is OAuth2Provider
        """,
    )
    major = int(str(result["version"]).split(".")[0])
    assert major >= 1, "the registry's flask-oauthlib 0.9.6 was installed instead of ours"
    assert str(result["client_module"]).startswith("flask_oauthlib_client")
    assert result["same"] is True


def test_install_from_a_checkout_with_the_readme_command(tmp_path: Path) -> None:
    """The README's one command installs every local distribution at once (not
    editable) in a fresh clone of the repository (its committed state)."""
    readme = (ROOT / "README.md").read_text()
    command = next(
        line.strip() for line in readme.splitlines() if line.strip().startswith("pip install ./")
    )
    checkout = tmp_path / "checkout"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{ROOT}", str(checkout)], check=True
    )
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = f"{env_dir}/bin/python -m pip --disable-pip-version-check"
    subprocess.run(  # noqa: S602 - the README's command, through a shell as a user types it
        command.replace("pip install", f"{pip} install --quiet", 1),
        shell=True,
        check=True,
        cwd=checkout,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    result = run(
        env_dir / "bin" / "python",
        """
        from importlib.metadata import distribution
        import flask_oauthlib.client, flask_oauthlib.contrib.apps, flask_oauthlib.contrib.cache
        import flask_oauthlib.contrib.oauth2
        import flask_oauthlib.provider.oauth1, flask_oauthlib.provider.oauth2
        names = ["flask-oauthlib", "flask-oauthlib-core", "flask-oauthlib-client",
                 "flask-oauthlib-provider-oauth1", "flask-oauthlib-provider-oauth2",
                 "flask-oauthlib-contrib-sqla", "flask-oauthlib-contrib-cache",
                 "flask-oauthlib-contrib-apps"]
        def editable(name):
            return '"editable": true' in (distribution(name).read_text("direct_url.json") or "")
        result["editable"] = [n for n in names if editable(n)]
        result["versions"] = {n: distribution(n).version for n in names}
        """,
    )
    assert result["editable"] == []
    versions = result["versions"]
    assert isinstance(versions, dict) and all(int(v.split(".")[0]) >= 1 for v in versions.values())
