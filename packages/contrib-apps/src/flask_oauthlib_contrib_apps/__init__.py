"""Ready-made remote apps for well-known providers, for the flask-oauthlib client::

    from flask_oauthlib.contrib.apps import github

    github.register_to(oauth, scope=["user:email"])

Credentials come from ``app.config["<NAME>_CONSUMER_KEY"]`` and
``["<NAME>_CONSUMER_SECRET"]``, read when the app is used. Every factory is one entry
of ``providers.json`` (:data:`~.providers.PROVIDERS`); :func:`oidc` builds one for any
OpenID Connect provider from its discovery document. The OpenID Connect ones (``google``,
``microsoft``, ``apple``, ``okta``, ``auth0``, ``gitlab``, ``slack``, ``oidc(...)``) ask
for ``openid`` and verify each login's ID token: install the client's ``oidc`` extra.
The 0.9.6 helpers are here too: ``RemoteAppFactory(name, kwargs, docstring)``,
:func:`make_scope_processor`, :func:`change_weibo_header` and
:func:`change_linkedin_query`.
"""

from __future__ import annotations

from .factory import KwargsProcessor, Provider, RemoteAppFactory, make_scope_processor
from .hooks import change_linkedin_query, change_weibo_header
from .providers import PROVIDERS

__all__ = [
    "KwargsProcessor",
    "PROVIDERS",
    "Provider",
    "RemoteAppFactory",
    "apple",
    "auth0",
    "bitbucket",
    "change_linkedin_query",
    "change_weibo_header",
    "discord",
    "douban",
    "dropbox",
    "facebook",
    "github",
    "gitlab",
    "google",
    "linkedin",
    "make_scope_processor",
    "microsoft",
    "oidc",
    "okta",
    "reddit",
    "slack",
    "spotify",
    "strava",
    "twitch",
    "twitter",
    "weibo",
]

_FACTORIES = {provider.name: RemoteAppFactory(provider) for provider in PROVIDERS}

apple = _FACTORIES["apple"]
auth0 = _FACTORIES["auth0"]
bitbucket = _FACTORIES["bitbucket"]
discord = _FACTORIES["discord"]
douban = _FACTORIES["douban"]
dropbox = _FACTORIES["dropbox"]
facebook = _FACTORIES["facebook"]
github = _FACTORIES["github"]
gitlab = _FACTORIES["gitlab"]
google = _FACTORIES["google"]
linkedin = _FACTORIES["linkedin"]
microsoft = _FACTORIES["microsoft"]
okta = _FACTORIES["okta"]
reddit = _FACTORIES["reddit"]
slack = _FACTORIES["slack"]
spotify = _FACTORIES["spotify"]
strava = _FACTORIES["strava"]
twitch = _FACTORIES["twitch"]
twitter = _FACTORIES["twitter"]
weibo = _FACTORIES["weibo"]


def oidc(
    name: str,
    server_metadata_url: str,
    scope: tuple[str, ...] = ("openid", "email", "profile"),
) -> RemoteAppFactory:
    """A factory for any OpenID Connect provider, configured from its discovery document
    (``.../.well-known/openid-configuration``) on first use: endpoints and issuer (the
    callback's ``iss`` is then checked), signing keys and userinfo endpoint. With
    ``openid`` in the scope (the default), each login verifies its ID token, whose
    claims are the token's ``id_token_claims``; ``userinfo()`` asks for the rest. This
    needs the client's ``oidc`` extra (``pip install "flask-oauthlib-client[oidc]"``)::

        corp = oidc("corp", "https://id.corp.example/.well-known/openid-configuration")
        corp.register_to(oauth)  # credentials from CORP_CONSUMER_KEY / _SECRET

    .. versionadded:: 1.0

    .. versionchanged:: 1.1
        The ID token is verified; ``userinfo()``.
    """
    provider = Provider(
        name,
        authorize_url="",
        access_token_url="",
        default_scope=tuple(scope),
        docs=f"an OpenID Connect provider ({server_metadata_url})",
        server_metadata_url=server_metadata_url,
    )
    factory = RemoteAppFactory(provider)
    factory.kwargs.update(authorize_url=None, access_token_url=None)
    return factory
