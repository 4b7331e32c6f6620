"""The docs match the code: config keys, the security matrix, dependency floors."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCES = sorted(ROOT.glob("packages/*/src/**/*.py")) + sorted((ROOT / "src").glob("**/*.py"))


def config_keys_in_code() -> set[str]:
    keys: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        keys.update(re.findall(r"[\"'](OAUTH[12]_PROVIDER_[A-Z_]+)[\"']", text))
    from flask_oauthlib_contrib_cache.cache import CONFIG_KEYS

    for key in CONFIG_KEYS:
        keys.update({f"OAUTH2_CACHE_{key}", f"OAUTH1_CACHE_{key}", f"CACHE_{key}"})
    return keys


def test_every_config_key_the_code_reads_is_documented() -> None:
    reference = (DOCS / "configuration.md").read_text()
    keys = config_keys_in_code()
    assert len(keys) > 30
    missing = sorted(key for key in keys if f"`{key}`" not in reference)
    assert not missing, f"add to docs/configuration.md: {missing}"


def test_security_matrix_is_complete_and_points_at_real_tests() -> None:
    page = (DOCS / "security.md").read_text()
    rows = re.findall(r"^\| (\d+) \|", page, flags=re.MULTILINE)
    assert [int(n) for n in rows] == list(range(1, 49))
    for line in page.splitlines():
        if line.startswith("| ") and line[2].isdigit():
            assert "::test_" in line, line
    for path, name in re.findall(r"`([\w/.-]+\.py)::(test_\w+)`", page):
        source = (ROOT / path).read_text()
        assert f"def {name}(" in source, f"{path}::{name} does not exist"


def test_dependency_floors() -> None:
    def requirements(project: Path) -> str:
        data = tomllib.loads((project / "pyproject.toml").read_text())
        return " ".join(data["project"]["dependencies"])

    assert "oauthlib>=3.2.2" in requirements(ROOT / "packages/client")
    assert "requests-oauthlib>=2.0" in requirements(ROOT / "packages/client")
    for provider in ("provider-oauth1", "provider-oauth2"):
        assert "oauthlib>=3.2.2" in requirements(ROOT / "packages" / provider)
    for signals in ("client", "provider-oauth2"):  # they import blinker (their signals)
        assert "blinker>=1.6.2" in requirements(ROOT / "packages" / signals)
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = " ".join(root["tool"]["hatch"]["envs"]["min"]["extra-dependencies"])
    assert "oauthlib==3.2.2" in pins and "requests-oauthlib==2.0.0" in pins
    assert "blinker==1.6.2" in pins


def test_docs_pages_exist() -> None:
    for page in ("index.md", "quickstart.md", "configuration.md", "migration.md", "security.md"):
        assert (DOCS / page).stat().st_size > 500, page
