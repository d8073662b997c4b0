"""Lazy package exports match __all__, and the light modules stay light to import.

Each pipeline stage runs in a process of its own under DVC and KFP, so a module that pulls in scikit-learn,
xgboost or MLflow without needing them costs every stage that imports it one to two seconds.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest

import soccerpredict.features as features
import soccerpredict.models as models

HEAVY = ("xgboost", "optuna", "matplotlib", "sklearn", "mlflow", "great_expectations", "evidently")


@pytest.mark.parametrize("package", [models, features], ids=lambda p: p.__name__)
def test_every_exported_name_resolves(package: ModuleType) -> None:
    exports = package._EXPORTS  # type: ignore[attr-defined]
    assert sorted(package.__all__) == sorted(name for names in exports.values() for name in names)
    for name in package.__all__:
        assert getattr(package, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        package.nope  # noqa: B018


def _heavy_after_import(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return eval(out)


@pytest.mark.parametrize(
    "statement",
    [
        "import soccerpredict.models.metrics",
        "import soccerpredict.models.select",
        "import soccerpredict.models.tuning",
        "import soccerpredict.features.devig",
        "import components.stages",
    ],
)
def test_light_modules_pull_no_heavy_library(statement: str) -> None:
    assert _heavy_after_import(statement) == []
