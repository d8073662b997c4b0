"""Promotion: a deliberately weakened model never becomes champion; humans can force or reject a version.

The registry tests run twice (``registry_uri``): on an SQLite file, and on a real `mlflow server` with PostgreSQL and
S3 as production runs it (marked service; `make test-fast` leaves it out).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow_state import mlflow_state_restored
from report_doubles import report
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from soccerpredict.artifacts import ALIAS_CANDIDATE, ALIAS_CHAMPION
from soccerpredict.cli import app
from soccerpredict.errors import RegistryError
from soccerpredict.models.metrics import per_row_rps
from soccerpredict.params import EvaluateParams
from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
from soccerpredict.registry.promotion import (
    ChampionDecision,
    alias_version,
    decide_champion,
    list_versions,
    promoted_at_tag,
    reject_version,
    set_alias,
)
from soccerpredict.settings import Settings

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
    models, registry_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    strong, weak, x_test, y_test = models
    use_tracking(registry_uri)
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
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry_uri)
    runner = CliRunner()
    rejected = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--reject", "--reason", "weakened"])
    assert rejected.exit_code == 0, rejected.output
    refused = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--to", "champion"])
    assert refused.exit_code == 1 and "rejected" in refused.output
    assert alias_version(ALIAS_CHAMPION) == v_strong
    forced = runner.invoke(app, ["registry", "promote", "--version", v_weak, "--to", "champion", "--force"])
    assert forced.exit_code == 0 and f"was {v_strong}" in forced.output
    assert alias_version(ALIAS_CHAMPION) == v_weak
    listed = {row["version"]: row for row in list_versions(registry_uri)}
    assert listed[v_weak]["rejected"] == "weakened" and "champion" in listed[v_weak]["aliases"]
    assert "smoke" in listed[v_weak]["aliases"]  # @smoke follows the newest registered version
    shown = runner.invoke(app, ["registry", "list"])
    assert shown.exit_code == 0 and "weakened" in shown.output
    with pytest.raises(RegistryError, match="no version 99"):
        set_alias(ALIAS_CHAMPION, "99")


def test_rejecting_takes_the_candidate_alias_off_only_its_own_version(
    models, registry_uri: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    strong, weak, x_test, _ = models
    use_tracking(registry_uri)
    v1, v2, v3 = (_register(m, x_test, tmp_path, n) for m, n in ((strong, "one"), (weak, "two"), (weak, "three")))
    set_alias(ALIAS_CHAMPION, v1)
    set_alias(ALIAS_CANDIDATE, v2)
    reject_version(v3, "")  # not the candidate: the candidate alias stays where it is
    assert alias_version(ALIAS_CANDIDATE) == v2
    reject_version(v2, "drifted")
    assert alias_version(ALIAS_CANDIDATE) is None and alias_version(ALIAS_CHAMPION) == v1
    with pytest.raises(RegistryError, match=f"version {v1} is the champion: it is tagged rejected"):
        reject_version(v1, "bad data")
    assert alias_version(ALIAS_CHAMPION) == v1  # a rejected champion serves until another replaces it
    listed = {row["version"]: row["rejected"] for row in list_versions(registry_uri)}
    assert listed == {v1: "bad data", v2: "drifted", v3: "rejected by a human"}


def test_the_decision_says_why_and_keeps_its_evidence() -> None:
    from soccerpredict.models.backtest import paired_bootstrap_diff

    assert decide_champion([0.2, 0.3], None) == ChampionDecision(True, "no champion yet")
    assert decide_champion([0.2], None).to_dict() == {
        "promote": True, "reason": "no champion yet", "rps_diff": None, "lo": None, "hi": None, "n": 0,
    }  # fmt: skip
    for mean_diff, noise, verdict in ((-0.004, 0.01, "better than"), (0.001, 0.03, "not shown better than")):
        candidate, champion = _paired(mean_diff, noise)
        decision = decide_champion(candidate, champion, n_boot=500, seed=5)
        diff = paired_bootstrap_diff(candidate, champion, n_boot=500, seed=5)
        assert (decision.rps_diff, decision.lo, decision.hi, decision.n) == (diff.mean_diff, diff.lo, diff.hi, 400)
        assert decision.reason == (
            f"candidate {verdict} the champion on 400 held-out matches: RPS difference "
            f"{diff.mean_diff:+.5f} (95% CI {diff.lo:+.5f} to {diff.hi:+.5f})"
        )


def test_the_default_bootstrap_is_2000_resamples_with_seed_0_and_repeats_itself() -> None:
    candidate, champion = _paired(-0.001, 0.03)
    assert decide_champion(candidate, champion) == decide_champion(candidate, champion, n_boot=2000, seed=0)
    assert decide_champion(candidate, champion) != decide_champion(candidate, champion, n_boot=2001, seed=0)
    assert decide_champion(candidate, champion) != decide_champion(candidate, champion, n_boot=2000, seed=1)


def _bare_version(client: Any, name: str) -> str:
    """A registered version without a run or a model behind it: enough for aliases and tags."""
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # registered by an earlier call
        client.create_registered_model(name)
    return str(client.create_model_version(name, source="s3://nowhere/model", run_id=None).version)


def test_list_versions_lists_this_model_newest_first_with_utc_times(registry_uri: str) -> None:
    from datetime import UTC, datetime

    from mlflow.tracking import MlflowClient

    from soccerpredict.artifacts import MODEL_NAME

    use_tracking(registry_uri)
    client = MlflowClient()
    ours = [_bare_version(client, MODEL_NAME) for _ in range(3)]
    _bare_version(client, f"another-model-{uuid.uuid4().hex[:8]}")
    set_alias(ALIAS_CHAMPION, ours[0])

    rows = list_versions(registry_uri)

    assert [row["version"] for row in rows] == ours[::-1]
    assert rows[-1]["aliases"] == [ALIAS_CHAMPION] and rows[0]["aliases"] == []
    for row in rows:
        stamp = client.get_model_version(MODEL_NAME, row["version"]).creation_timestamp
        assert row["created"] == datetime.fromtimestamp(stamp / 1000, UTC).isoformat(timespec="seconds")
        assert row["created"].endswith("+00:00") and row["run_id"] == "" and row["rejected"] is None


def test_list_versions_of_an_unreachable_registry_is_a_registry_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from api_doubles import closed_port_url

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with mlflow_state_restored():
        uri = closed_port_url()
        with pytest.raises(RegistryError, match=f"cannot read the registry at {uri}: "):
            list_versions(uri)


def test_the_promoted_at_tag_moves_only_with_the_alias(registry_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow.tracking import MlflowClient

    from soccerpredict.artifacts import MODEL_NAME
    from soccerpredict.registry import promotion

    use_tracking(registry_uri)
    client = MlflowClient()
    v1, v2 = _bare_version(client, MODEL_NAME), _bare_version(client, MODEL_NAME)
    tag = promoted_at_tag(ALIAS_CHAMPION)
    assert tag == "champion_promoted_at"

    def tag_of(version: str) -> str | None:
        return client.get_model_version(MODEL_NAME, version).tags.get(tag)

    monkeypatch.setattr(promotion.time, "time", lambda: 1000.4)
    set_alias(ALIAS_CHAMPION, v1)
    assert tag_of(v1) == "1000"
    monkeypatch.setattr(promotion.time, "time", lambda: 2000.0)
    set_alias(ALIAS_CHAMPION, v1)  # already there: when it became champion stays
    assert tag_of(v1) == "1000"
    set_alias(ALIAS_CHAMPION, v2)
    assert (tag_of(v1), tag_of(v2)) == ("1000", "2000")


def test_aliases_and_rejection_act_on_the_named_model_only(registry_uri: str) -> None:
    from mlflow.tracking import MlflowClient

    from soccerpredict.artifacts import MODEL_NAME

    use_tracking(registry_uri)
    client = MlflowClient()
    _bare_version(client, MODEL_NAME)
    ours = _bare_version(client, MODEL_NAME)  # version 2: the two models' version numbers differ below
    other = f"another-model-{uuid.uuid4().hex[:8]}"  # new on a shared server too: its versions start at 1
    theirs, champion = _bare_version(client, other), _bare_version(client, other)
    assert (ours, theirs, champion) == ("2", "1", "2")
    set_alias(ALIAS_CANDIDATE, ours)
    set_alias(ALIAS_CANDIDATE, theirs, model_name=other)
    set_alias(ALIAS_CHAMPION, champion, model_name=other)
    assert (alias_version(ALIAS_CANDIDATE, other), alias_version(ALIAS_CHAMPION, other)) == (theirs, champion)

    reject_version(theirs, "stale", model_name=other)
    assert alias_version(ALIAS_CANDIDATE, other) is None
    assert alias_version(ALIAS_CANDIDATE) == ours  # the default model keeps its own candidate
    with pytest.raises(RegistryError, match=f"version {champion} is the champion"):
        reject_version(champion, "bad", model_name=other)
    assert client.get_model_version(other, champion).tags["rejected"] == "bad"


# --- promote_model, the pipeline's promotion stage, against each registry ---------------------------------------


@pytest.fixture
def local_mlflow(registry_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """promote_model's settings and MLflow on an empty registry (``registry_uri``: SQLite, then the real server)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry_uri)
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    use_tracking(registry_uri)
    yield registry_uri


class Stage:
    """The files promote_model reads and writes: the held-out matches, and one registered model's run."""

    def __init__(self, tmp_path: Path, x_test: pd.DataFrame, y_test: np.ndarray) -> None:
        self.dir, self.x_test, self.y_test = tmp_path, x_test, y_test
        n = len(x_test)
        test = x_test.assign(
            match_id=[f"m{i:05d}" for i in range(n)], date=pd.date_range("2020-01-01", periods=n), y=y_test
        )
        self.test = tmp_path / "test.parquet"
        test.to_parquet(self.test, index=False)  # already in (date, match_id) order: rows align with x_test
        self.feature_list = tmp_path / "feature_list.json"
        self.feature_list.write_text(json.dumps({"columns": list(x_test.columns), "track": "test"}))

    def promote(self, model: LogisticRegression, version: str, *, gate_passed: bool = True) -> dict[str, Any]:
        """promote_model for ``version`` (``model``'s predictions on the held-out matches); its promotion.json."""
        from components.publish import promote_model

        (registration := self.dir / f"registration-{version}.json").write_text(json.dumps({"version": version}))
        gate = {"passed": gate_passed, "beats": {"climatology": gate_passed}}
        (evaluation := self.dir / f"evaluation-{version}.json").write_text(json.dumps(report(quality_gate=gate)))
        predictions = pd.DataFrame(model.predict_proba(self.x_test), columns=["p_home", "p_draw", "p_away"])
        predictions["y"] = self.y_test
        predictions.to_parquet(test_predictions := self.dir / f"predictions-{version}.parquet", index=False)
        promotion = self.dir / f"promotion-{version}.json"
        promote_model(
            registration=registration,
            evaluation=evaluation,
            test_predictions=test_predictions,
            test=self.test,
            feature_list=self.feature_list,
            promotion=promotion,
            evaluate=EvaluateParams(n_bootstrap=300, seed=0),
            settings=Settings(),
        )
        return json.loads(promotion.read_text())


def aliases() -> dict[str, str | None]:
    return {alias: alias_version(alias) for alias in (ALIAS_CANDIDATE, ALIAS_CHAMPION)}


def test_a_better_model_takes_both_aliases_from_the_champion(models, local_mlflow: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    strong, weak, x_test, y_test = models
    stage = Stage(tmp_path, x_test, y_test)
    v_weak = _register(weak, x_test, tmp_path, "weak")
    first = stage.promote(weak, v_weak)
    assert (first["candidate"], first["champion"], first["previous_champion"]) == (True, True, None)
    assert aliases() == {ALIAS_CANDIDATE: v_weak, ALIAS_CHAMPION: v_weak}  # the first model has no one to beat

    v_strong = _register(strong, x_test, tmp_path, "strong")
    second = stage.promote(strong, v_strong)

    assert (second["candidate"], second["champion"], second["previous_champion"]) == (True, True, v_weak)
    assert second["decision"]["promote"] is True and second["decision"]["hi"] < 0
    assert aliases() == {ALIAS_CANDIDATE: v_strong, ALIAS_CHAMPION: v_strong}


def test_a_model_that_is_not_better_stays_candidate_and_the_champion_keeps_its_alias(  # type: ignore[no-untyped-def]
    models, local_mlflow: str, tmp_path: Path
) -> None:
    strong, weak, x_test, y_test = models
    stage = Stage(tmp_path, x_test, y_test)
    v_strong = _register(strong, x_test, tmp_path, "strong")
    stage.promote(strong, v_strong)
    v_weak = _register(weak, x_test, tmp_path, "weak")

    outcome = stage.promote(weak, v_weak)

    assert (outcome["candidate"], outcome["champion"], outcome["previous_champion"]) == (True, False, v_strong)
    assert outcome["decision"]["promote"] is False and outcome["decision"]["lo"] > 0
    assert aliases() == {ALIAS_CANDIDATE: v_weak, ALIAS_CHAMPION: v_strong}


def test_a_model_that_fails_the_quality_gate_moves_no_alias(models, local_mlflow: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    strong, _, x_test, y_test = models
    stage = Stage(tmp_path, x_test, y_test)
    v_first = _register(strong, x_test, tmp_path, "first")
    stage.promote(strong, v_first)
    v_failed = _register(strong, x_test, tmp_path, "failed")

    outcome = stage.promote(strong, v_failed, gate_passed=False)

    assert (outcome["candidate"], outcome["champion"]) == (False, False)
    assert outcome["decision"]["reason"].startswith("quality gate failed")
    assert aliases() == {ALIAS_CANDIDATE: v_first, ALIAS_CHAMPION: v_first}
