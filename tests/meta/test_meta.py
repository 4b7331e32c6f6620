"""The meta distribution's re-export layer in whatever environment runs it.

The same test runs in the full environment and in the environments that install the
meta distribution with only one provider extra: each provider is either importable or
raises the install hint, never anything else.
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

PROVIDERS = {
    "OAuth1Provider": ("flask_oauthlib_provider_oauth1", "oauth1"),
    "OAuth1RequestValidator": ("flask_oauthlib_provider_oauth1", "oauth1"),
    "OAuth2Provider": ("flask_oauthlib_provider_oauth2", "oauth2"),
    "OAuth2RequestValidator": ("flask_oauthlib_provider_oauth2", "oauth2"),
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_provider_names_are_lazy_with_an_install_hint(name: str) -> None:
    import flask_oauthlib.provider as provider

    module, extra = PROVIDERS[name]
    if importlib.util.find_spec(module) is not None:
        assert getattr(provider, name) is getattr(importlib.import_module(module), name)
    else:
        with pytest.raises(ImportError, match=rf'pip install "flask-oauthlib\[{extra}\]"'):
            getattr(provider, name)


@pytest.mark.parametrize("submodule", ["oauth1", "oauth2"])
def test_provider_submodules(submodule: str) -> None:
    module = f"flask_oauthlib_provider_{submodule}"
    if importlib.util.find_spec(module) is not None:
        imported = importlib.import_module(f"flask_oauthlib.provider.{submodule}")
        assert imported.__all__
    else:
        with pytest.raises(ImportError, match=submodule):
            importlib.import_module(f"flask_oauthlib.provider.{submodule}")


def test_unknown_name_is_an_attribute_error() -> None:
    import flask_oauthlib.provider as provider

    with pytest.raises(AttributeError):
        provider.NoSuchProvider  # noqa: B018
    assert "OAuth2Provider" in dir(provider)


def test_client_and_utils_are_always_there() -> None:
    from flask_oauthlib.client import OAuth
    from flask_oauthlib.utils import decode_base64, to_bytes

    assert OAuth.__module__.startswith("flask_oauthlib_client")
    assert to_bytes("x") == b"x" and decode_base64("eA==") == "x"


def test_contrib_client_is_always_there() -> None:
    from flask_oauthlib.contrib.client import OAuth, cached_clients, get_cached_clients
    from flask_oauthlib.contrib.client.application import OAuth2Application
    from flask_oauthlib.contrib.client.signals import request_token_fetched

    assert OAuth.__module__ == "flask_oauthlib_client.contrib"
    assert OAuth2Application.__module__ == "flask_oauthlib_client.contrib.application"
    assert callable(get_cached_clients) and cached_clients is not None
    assert request_token_fetched.name == "request-token-fetched"


def test_installed_meta_is_ours_not_the_registrys_0_9_6() -> None:
    from importlib.metadata import version

    import flask_oauthlib

    assert int(version("flask-oauthlib").split(".")[0]) >= 1
    assert flask_oauthlib.__version__ == version("flask-oauthlib")


def test_other_import_errors_propagate(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_oauthlib._install import import_distribution

    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'a_dependency'", name="a_dependency")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError) as info:
        import_distribution("flask_oauthlib_client", "flask-oauthlib-client", "x")
    assert info.value.name == "a_dependency"


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [
        ("bind_sqlalchemy", "flask_oauthlib_contrib_sqla", "sqla"),
        ("bind_cache_grant", "flask_oauthlib_contrib_cache", "cache"),
    ],
)
def test_contrib_bindings_are_lazy_with_an_install_hint(name: str, module: str, extra: str) -> None:
    import flask_oauthlib.contrib.oauth2 as contrib

    if importlib.util.find_spec(module) is not None:
        assert getattr(contrib, name) is getattr(importlib.import_module(module), name)
    else:
        with pytest.raises(ImportError, match=rf'pip install "flask-oauthlib\[{extra}\]"'):
            getattr(contrib, name)
