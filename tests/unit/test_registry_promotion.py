"""Promotion: a deliberately weakened model never becomes champion; humans can force or reject a version."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from soccerpredict.artifacts import ALIAS_CHAMPION
from soccerpredict.cli import app
from soccerpredict.errors import RegistryError
from soccerpredict.models.metrics import per_row_rps
from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
from soccerpredict.registry.promotion import alias_version, decide_champion, list_versions, set_alias

N_TRAIN, N_TEST = 4000, 3000


def _matches(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Matches whose outcome follows a known rating difference: a home win gets likelier as it grows."""
    x = pd.DataFrame({"elo_diff": rng.normal(0, 1.5, n), "noise": rng.normal(size=n)})
    logits = np.column_stack([0.3 + x["elo_diff"], np.zeros(n), -0.3 - x["elo_diff"]])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return x, y


@pytest.fixture(scope="module")
def models() -> tuple[LogisticRegression, LogisticRegression, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(7)
    x, y = _matches(N_TRAIN, rng)
    strong = LogisticRegression(max_iter=500).fit(x, y)
    # Deliberately weakened: the same model fitted to shuffled outcomes (it learns only the base rates).
    weak = LogisticRegression(max_iter=500).fit(x, rng.permutation(y))
    x_test, y_test = _matches(N_TEST, rng)
    return strong, weak, x_test, y_test


def test_a_weakened_model_is_never_promoted_over_the_champion(models) -> None:  # type: ignore[no-untyped-def]
    strong, weak, x_test, y_test = models
    strong_rps = per_row_rps(strong.predict_proba(x_test), y_test)
    weak_rps = per_row_rps(weak.predict_proba(x_test), y_test)
    assert weak_rps.mean() > strong_rps.mean() + 0.02  # the weakening is real
    refused = decide_champion(weak_rps, strong_rps, n_boot=500)
    assert not refused.promote and refused.lo is not None and refused.lo > 0
    assert "not shown better than" in refused.reason
    assert decide_champion(strong_rps, weak_rps, n_boot=500).promote
    # Equal skill is not enough either: the interval must lie below zero.
    assert not decide_champion(strong_rps, strong_rps.copy(), n_boot=500).promote
    assert decide_champion(weak_rps, None).promote  # the very first model has no champion to beat


def _register(model: LogisticRegression, x: pd.DataFrame, tmp_path: Path, name: str) -> str:
    card = tmp_path / f"{name}.md"
    card.write_text(f"# {name}\n")
    registration = log_and_register(
        model,
        example=x.head(5),
        params={"name": name},
        metrics={"rps": 0.2},
        tags={"kind": name},
        artifacts={"card": card},
    )
    return registration.version


def _paired(mean_diff: float, noise: float, n: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Champion and candidate per-match RPS whose paired differences have this mean and spread."""
    rng = np.random.default_rng(seed)
    champion = rng.uniform(0.05, 0.4, n)
    steps = rng.normal(0.0, noise, n)
    return champion + steps - steps.mean() + mean_diff, champion


@pytest.mark.parametrize(
    ("mean_diff", "noise", "promoted", "where"),
    [
        (-0.004, 0.01, True, "wholly below zero"),
        (-0.001, 0.03, False, "mean below zero, interval across it"),
        (+0.001, 0.03, False, "lower bound below zero, mean above it"),
        (+0.004, 0.01, False, "wholly above zero"),
    ],
)
def test_only_an_interval_wholly_below_zero_promotes(
    mean_diff: float, noise: float, promoted: bool, where: str
) -> None:
    # The gate's boundary: neither "the mean difference is below zero" nor "the lower bound is below zero" is
    # enough; the case is checked to be the one it names, so the test cannot pass on the wrong data.
    candidate, champion = _paired(mean_diff, noise)
    decision = decide_champion(candidate, champion, n_boot=1000)
    assert decision.rps_diff == pytest.approx(mean_diff, abs=1e-12)
    assert decision.rps_diff is not None and decision.lo is not None and decision.hi is not None
    observed = {
        "wholly below zero": decision.hi < 0,
        "mean below zero, interval across it": decision.rps_diff < 0 < decision.hi,
        "lower bound below zero, mean above it": decision.lo < 0 < decision.rps_diff,
        "wholly above zero": decision.lo > 0,
    }
    assert observed[where], (where, decision)
    assert decision.promote is promoted, decision.reason


def test_registry_keeps_the_champion_and_humans_can_reject_or_force(
    models, mlflow_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    strong, weak, x_test, y_test = models
    use_tracking(mlflow_uri)
    v_strong = _register(strong, x_test, tmp_path, "strong")
    set_alias(ALIAS_CHAMPION, v_strong)
    v_weak = _register(weak, x_test, tmp_path, "weak")
    decision = decide_champion(
        per_row_rps(weak.predict_proba(x_test), y_test), per_row_rps(strong.predict_proba(x_test), y_test), n_boot=300
    )
    if decision.promote:  # what promote_model does; the decision must say no
        set_alias(ALIAS_CHAMPION, v_weak)
    assert alias_version(ALIAS_CHAMPION) == v_strong

    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    runner = CliRunner()
    rejected = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--reject", "--reason", "weakened"])
    assert rejected.exit_code == 0, rejected.output
    refused = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--to", "champion"])
    assert refused.exit_code == 1 and "rejected" in refused.output
    assert alias_version(ALIAS_CHAMPION) == v_strong
    forced = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--to", "champion", "--force"])
    assert forced.exit_code == 0 and f"was {v_strong}" in forced.output
    assert alias_version(ALIAS_CHAMPION) == v_weak
    listed = {row["version"]: row for row in list_versions(mlflow_uri)}
    assert listed[v_weak]["rejected"] == "weakened" and "champion" in listed[v_weak]["aliases"]
    assert "smoke" in listed[v_weak]["aliases"]  # @smoke follows the newest registered version
    shown = runner.invoke(app, ["registry", "list"])
    assert shown.exit_code == 0 and "weakened" in shown.output
    with pytest.raises(RegistryError, match="no version 99"):
        set_alias(ALIAS_CHAMPION, "99")
