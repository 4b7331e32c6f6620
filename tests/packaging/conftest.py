"""Every distribution built once for the packaging tests: ``wheelhouse`` holds the sdist of
each and the wheel built from that sdist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: the meta distribution and every one under packages/
DISTRIBUTIONS = [ROOT] + sorted(
    p for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists()
)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for project in DISTRIBUTIONS:
        subprocess.run(
            [sys.executable, "-m", "uv", "build", "--quiet", "--out-dir", str(out), str(project)],
            check=True,
        )
    names = sorted(p.name for p in out.iterdir())
    assert len([n for n in names if n.endswith(".whl")]) == len(DISTRIBUTIONS), names
    assert len([n for n in names if n.endswith(".tar.gz")]) == len(DISTRIBUTIONS), names
    return out
