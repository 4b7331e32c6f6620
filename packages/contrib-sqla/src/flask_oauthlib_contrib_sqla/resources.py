"""Resource indicators (RFC 8707) in the SQLAlchemy binding: what a code or token keeps.

The provider puts the resources of a new code or token on the request
(``request.resources``); the binding stores them as space-separated text, in the
``resources`` column of the ready mixins or of a 0.9.6-style model that declares one.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

__all__ = ["resource_columns", "resources_of"]


def resources_of(request: Any, old: Any = None) -> list[str]:
    """The resources the provider put on ``request``; without any there, those of
    ``old``, the refresh token being rotated."""
    resources = getattr(request, "resources", None)
    if resources is None and old is not None:
        resources = getattr(old, "resources", None)
    if isinstance(resources, str):
        return resources.split()
    return [str(resource) for resource in resources or ()]


def resource_columns(model: Any, resources: list[str]) -> dict[str, Any]:
    """The constructor argument keeping ``resources``: ``resources_text`` of the ready
    mixins, or ``resources`` of a 0.9.6-style model with such a column; nothing for a
    model without (the provider then refuses to issue codes or tokens for resources)."""
    try:
        columns = inspect(model).column_attrs
    except NoInspectionAvailable:
        return {}
    for key in ("resources_text", "resources"):
        if key in columns:
            return {key: " ".join(resources) or None}
    return {}
