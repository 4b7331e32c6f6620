"""Working outside a request, as 0.9.6's extensions allowed with the app they stored."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, has_app_context

__all__ = ["app_context_for"]


def app_context_for(app: Flask | None) -> contextlib.AbstractContextManager[Any]:
    """Nothing inside an app context; outside one, ``app``'s context (the app an
    extension was last initialised on), so ``oauth.server`` and ``oauth.error_uri``
    work in scripts and tests as in 0.9.6.

    .. versionadded:: 1.1
    """
    if has_app_context() or app is None:
        return contextlib.nullcontext()
    return app.app_context()
