"""The two pytest plugins come from the distributions' ``pytest11`` entry points, load in
every pytest session of an environment that has them (this one included), and cost no
more than the distribution itself: nothing of their test helpers, JOSE or SQLAlchemy is
imported until a fixture is used."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

PLUGINS = {
    "flask_oauthlib_client": "flask_oauthlib_client.pytest_plugin",
    "flask_oauthlib_provider_oauth2": "flask_oauthlib_provider_oauth2.pytest_plugin",
}


def test_the_entry_points_name_the_plugins(pytestconfig: pytest.Config) -> None:
    found = {e.name: e.value for e in entry_points(group="pytest11") if e.name in PLUGINS}
    assert found == PLUGINS
    for name, module in PLUGINS.items():
        plugin = pytestconfig.pluginmanager.get_plugin(name)
        assert plugin is not None and plugin.__name__ == module


def test_loading_the_plugins_imports_no_test_helper() -> None:
    code = (
        "import sys\n"
        "import flask_oauthlib_client.pytest_plugin, flask_oauthlib_provider_oauth2.pytest_plugin\n"
        "heavy = {'jwt', 'cryptography', 'sqlalchemy', 'flask_sqlalchemy'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "             or m.startswith('flask_oauthlib_contrib') or m.endswith('.testing')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
