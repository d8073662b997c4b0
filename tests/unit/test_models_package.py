"""The models package: lazy exports that match __all__, and a metrics module that stays light to import."""

from __future__ import annotations

import subprocess
import sys

import soccerpredict.models as models


def test_every_exported_name_resolves() -> None:
    assert sorted(models.__all__) == sorted(models._MODULE_OF)
    for name in models.__all__:
        assert getattr(models, name) is not None


def test_importing_metrics_pulls_no_heavy_library() -> None:
    code = (
        "import sys, soccerpredict.models.metrics;"
        "print(sorted(m for m in ('xgboost', 'optuna', 'matplotlib', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
