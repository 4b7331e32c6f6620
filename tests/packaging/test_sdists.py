"""Each distribution's own tests pass from its sdist, away from the repository.

The sdist (``wheelhouse``, conftest.py) is unpacked in a temporary folder; a fresh venv gets
the distribution built from it, the other distributions its tests need as wheels, pytest and
the packages its tests import: the members, features and dependencies of the hatch
environment that tests the distribution alone (``hatch run oauth2:all`` ...), read from the
root pyproject.toml. Then pytest runs in the unpacked ``tests`` folder, where neither the
repository's conftest.py nor its pyproject.toml (its ``pythonpath``, its plain-HTTP switch)
can be found: the sdist's own ``tests/conftest.py`` must set up what its tests need.

Tests that need PostgreSQL, Redis or memcached find them as everywhere (``TEST_*``); without
them they skip, and with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
ENVS: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["envs"]
#: test apps a distribution's tests take from other distributions' tests (their sdists')
BORROWED = {"contrib-cache": ["provider-oauth1", "provider-oauth2"]}
#: what the tests must not inherit from the process running this test
NOT_INHERITED = {
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "PYTEST_ADDOPTS",
    "OAUTHLIB_INSECURE_TRANSPORT",
    "AUTHLIB_INSECURE_TRANSPORT",
}

pytestmark = pytest.mark.packaging


def hatch_env(folder: str) -> dict[str, Any]:
    """The hatch environment that runs the tests of ``packages/<folder>`` alone."""
    for env in ENVS.values():
        command = env.get("scripts", {}).get("all", "")
        if env.get("template") == "alone" and f"packages/{folder} " in command:
            return dict(env)
    raise LookupError(f"no hatch environment runs packages/{folder} alone")


def distribution(folder: str) -> tuple[str, str]:
    """The name and version of the distribution in ``packages/<folder>``."""
    project = tomllib.loads((ROOT / "packages" / folder / "pyproject.toml").read_text())
    return project["project"]["name"], project["project"]["version"]


def built(wheelhouse: Path, folder: str, suffix: str) -> Path:
    """The sdist (``.tar.gz``) or wheel (``-py3-none-any.whl``) of ``packages/<folder>``."""
    name, version = distribution(folder)
    path = wheelhouse / f"{name.replace('-', '_')}-{version}{suffix}"
    assert path.exists(), sorted(p.name for p in wheelhouse.iterdir())
    return path


@pytest.fixture(scope="module")
def unpacked(wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every distribution's sdist unpacked, by folder."""
    folders = {}
    for folder in FOLDERS:
        target = tmp_path_factory.mktemp(f"sdist-{folder}")
        with tarfile.open(built(wheelhouse, folder, ".tar.gz")) as archive:
            archive.extractall(target, filter="data")
        (folders[folder],) = target.iterdir()
    return folders


def requirements(folder: str, wheelhouse: Path) -> list[str]:
    """The distribution from its sdist, the other members of its hatch environment as
    wheels (each with the features the environment gives it), and the test tools."""
    env = hatch_env(folder)
    found = []
    for member in env["workspace"]["members"]:
        if isinstance(member, str):
            member = {"path": member}
        other, features = Path(member["path"]).name, member.get("features", [])
        source = built(wheelhouse, other, ".tar.gz" if other == folder else "-py3-none-any.whl")
        extras = f"[{','.join(features)}]" if features else ""
        found.append(f"{distribution(other)[0]}{extras} @ {source.as_uri()}")
    assert any(source.endswith(".tar.gz") for source in found), (folder, found)
    return found + ENVS["alone"]["dependencies"] + env.get("extra-dependencies", [])


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_sdists_tests_pass_on_their_own(
    folder: str, wheelhouse: Path, unpacked: dict[str, Path], tmp_path: Path
) -> None:
    uv = [sys.executable, "-m", "uv"]
    venv = tmp_path / "venv"
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            *requirements(folder, wheelhouse),
        ],
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    borrowed = [str(unpacked[other] / "tests") for other in BORROWED.get(folder, [])]
    if borrowed:
        env["PYTHONPATH"] = os.pathsep.join(borrowed)
    tests = unpacked[folder] / "tests"
    assert (tests / "conftest.py").exists()
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert " passed" in result.stdout.splitlines()[-1], report
