"""Lazy package exports: a package names what its submodules define and imports each only on first use.

Keeps ``import soccerpredict.features.devig`` (numpy only) from importing scikit-learn through the
package's ``__init__``: a pipeline stage runs in a process of its own, so every eager import is paid per stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``package.<submodule>`` for the names it exports."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def module_getattr(name: str) -> Any:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module_of[name]}"), name)

    return module_getattr
