"""FastAPI facade: auth, routers (predict, monitoring, health), services, schemas, metrics.

Build an app with :func:`serving.api.app.create_app`; run one with ``python -m serving.api``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so workers importing serving.api.services.* do not build the web app's modules.
    if name == "create_app":
        from serving.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
