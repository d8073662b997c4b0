"""`soccerpredict backtest` on the shipped real sample: walk forward, compare with the market, write the report."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from soccerpredict.cli import app
from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data
from soccerpredict.data.repository import load_match_frame
from soccerpredict.errors import ModelError
from soccerpredict.models.study import StudyConfig, StudyProgress, run_study
from soccerpredict.models.study_report import render_study_markdown


@pytest.fixture(scope="module")
def sample_frame(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    url = f"sqlite:///{tmp_path_factory.mktemp('backtest') / 'db.sqlite'}"
    migrate(url)
    engine = create_db_engine(url)
    ingest_football_data(plan_football_data([str(sample_dir / "E0")]), engine)
    frame = load_match_frame(engine)
    engine.dispose()
    return frame


def test_study_predicts_every_test_match_with_models_trained_on_earlier_seasons(sample_frame: pd.DataFrame) -> None:
    config = StudyConfig(seasons=("2324",), model="logreg", n_boot=50)
    result = run_study(sample_frame, config)
    n_test = int(((sample_frame["season"] == "2324") & (sample_frame["status"] == "finished")).sum())
    assert set(result.predictions) == {
        "model:stats_only",
        "model:market_aware",
        "climatology",
        "elo_logit",
        "goals_model",
        "prematch_market",
    }
    for preds in result.predictions.values():
        assert len(preds) == n_test
        assert set(preds["season"]) == {"2324"}
        np.testing.assert_allclose(preds[["p_home", "p_draw", "p_away"]].sum(axis=1), 1.0, atol=1e-6)
    # The Premier League has closing odds for every match of 2023/24: the market is scored on all of them.
    assert result.market.shape == (n_test, 3) and np.isfinite(result.market).all()
    assert {g["track"] for g in result.goals} == {"stats_only", "market_aware"}
    market_rps = result.overall.loc[result.overall["forecaster"] == "climatology", "bench_rps"].iloc[0]
    assert 0.15 < market_rps < 0.25  # the closing market on a real Premier League season
    # Climatology knows nothing about the teams: the market beats it, and the interval says so.
    clim = result.overall[(result.overall["forecaster"] == "climatology") & (result.overall["scope"] == "all")]
    assert clim["rps_diff_lo"].iloc[0] > 0
    # The pre-match average odds are the same market days earlier: close to the closing line, not equal to it.
    prematch = result.overall[(result.overall["forecaster"] == "prematch_market") & (result.overall["scope"] == "all")]
    assert 0 < prematch["rps_diff"].iloc[0] < clim["rps_diff"].iloc[0]


def test_report_names_goals_baselines_and_every_division_season(sample_frame: pd.DataFrame) -> None:
    result = run_study(sample_frame, StudyConfig(seasons=("2324",), tracks=("stats_only",), model="logreg", n_boot=50))
    text = render_study_markdown(result, command="soccerpredict backtest --seasons 2324")
    assert "RPS within 0.003 of the closing market on the big five" in text
    assert "| model:stats_only | E0 | 2324 | 380 |" in text
    assert "elo_logit" in text and "goals_model" in text
    assert "Command: `soccerpredict backtest --seasons 2324`" in text


def test_progress_counts_each_forecasters_test_seasons(sample_frame: pd.DataFrame) -> None:
    steps: list[StudyProgress] = []
    config = StudyConfig(seasons=("2324", "2223"), tracks=("stats_only",), model="logreg", n_boot=20, tune_trials=1)
    result = run_study(sample_frame, config, progress=steps.append)

    walked = [s for s in steps if s.step == "walk_forward"]
    assert [s.forecaster for s in walked if s.done == 0] == list(result.predictions)  # each starts once, in order
    for name in result.predictions:
        mine = [(s.season, s.done, s.total) for s in walked if s.forecaster == name]
        assert mine == [(None, 0, 2), ("2223", 1, 2), ("2324", 2, 2)], name  # oldest test season first
    tunes = [(s.forecaster, s.season, s.done, s.total) for s in steps if s.step == "tune"]
    assert tunes == [("model:stats_only", "2223", 0, 2), ("model:stats_only", "2324", 1, 2)]
    order = [s.step for s in steps]
    assert order[0] == "features" and order[-1] == "compare"
    assert [s.forecaster for s in steps if s.step == "importance"] == ["model:stats_only"]


def test_season_weights_change_only_the_model(sample_frame: pd.DataFrame) -> None:
    base = StudyConfig(seasons=("2324",), tracks=("stats_only",), model="logreg", n_boot=50)
    plain = run_study(sample_frame, base)
    weighted = run_study(sample_frame, dataclasses.replace(base, half_life_seasons=1.0))
    probs = ["p_home", "p_draw", "p_away"]
    model = "model:stats_only"
    assert not np.allclose(weighted.predictions[model][probs], plain.predictions[model][probs])
    for baseline in ("climatology", "elo_logit", "goals_model"):
        pd.testing.assert_frame_equal(weighted.predictions[baseline], plain.predictions[baseline])


def test_a_season_without_data_or_an_unknown_track_is_a_clear_error(sample_frame: pd.DataFrame) -> None:
    with pytest.raises(ModelError, match=r"test season\(s\) \['9900'\] have no finished matches"):
        run_study(sample_frame, StudyConfig(seasons=("9900",)))
    with pytest.raises(ModelError, match="unknown track"):
        run_study(sample_frame, StudyConfig(seasons=("2324",), tracks=("odds_only",)))


def test_cli_writes_the_report(sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOCCER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    runner = CliRunner()
    loaded = runner.invoke(app, ["ingest", "football-data", str(sample_dir / "SP1")])
    assert loaded.exit_code == 0, loaded.output
    out = tmp_path / "report"
    args = ["backtest", "--seasons", "2324", "--model", "logreg", "--n-boot", "50", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    # --json: goals.json and the report's path on stdout; the progress for people on stderr.
    printed = json.loads(result.stdout)
    assert printed == {**json.loads((out / "goals.json").read_text()), "report": str(out / "backtest.md")}
    assert [goal["track"] for goal in printed["goals"]] == ["stats_only", "market_aware"]
    assert "matches from the database" in result.stderr
    # One bar per forecaster over the test seasons, on stderr: the last state shows each one done.
    for forecaster in ("model:stats_only", "model:market_aware", "climatology", "elo_logit"):
        assert re.search(rf"{re.escape(forecaster)} 2324 .* 1/1", result.stderr), forecaster
    plots = {
        "rps_diff_by_season.png",
        "rps_diff_by_season.csv",
        "rps_diff_by_division.png",
        "rps_diff_by_division.csv",
        "reliability_stats_only.png",
        "reliability_market_aware.png",
        "reliability.csv",
        "importance_stats_only.png",
        "importance_stats_only.csv",
        "importance_market_aware.png",
        "importance_market_aware.csv",
    }
    tables = {"backtest.md", "by_group.csv", "predictions.parquet", "goals.json"}
    assert {p.name for p in out.iterdir()} == tables | plots
    # Every image the report embeds is a PNG beside it, and every PNG written is embedded.
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", (out / "backtest.md").read_text())
    assert sorted(links) == sorted(name for name in plots if name.endswith(".png"))
    for link in links:
        assert (out / link).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    by_season = pd.read_csv(out / "rps_diff_by_season.csv", dtype={"season": str})
    assert set(by_season["track"]) == {"stats_only", "market_aware"} and set(by_season["season"]) == {"2324"}
    assert (by_season["rps_diff_lo"] <= by_season["rps_diff"]).all()
    assert (by_season["rps_diff"] <= by_season["rps_diff_hi"]).all()
    # The final stats-only model reads no odds; the market-aware one does, and ranks its features by importance.
    stats_only = pd.read_csv(out / "importance_stats_only.csv")
    assert len(stats_only) > 0 and not stats_only["feature"].str.contains("odds|market", case=False).any()
    assert pd.read_csv(out / "importance_market_aware.csv")["importance"].is_monotonic_decreasing
    goals = json.loads((out / "goals.json").read_text())["goals"]
    assert {g["track"] for g in goals} == {"stats_only", "market_aware"}
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert set(predictions["div"]) == {"SP1"} and set(predictions["season"]) == {"2324"}


def test_cli_on_an_empty_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOCCER_DB_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = CliRunner().invoke(app, ["backtest", "--seasons", "2324"])
    assert result.exit_code == 1
    assert "soccerpredict ingest football-data" in result.output


def test_dropped_feature_groups_leave_the_models_but_not_the_baselines(sample_frame: pd.DataFrame) -> None:
    config = StudyConfig(
        seasons=("2324",), tracks=("stats_only",), model="logreg", drop_groups=("elo", "h2h"), n_boot=20
    )
    result = run_study(sample_frame, config)
    assert {"model:stats_only", "elo_logit"} <= set(result.predictions)
    assert "feature groups left out: elo, h2h" in render_study_markdown(result)
    with pytest.raises(ModelError, match="unknown feature group"):
        run_study(sample_frame, StudyConfig(seasons=("2324",), drop_groups=("weather",)))


def test_tuning_validates_on_the_season_before_each_test_season(sample_frame: pd.DataFrame) -> None:
    base = StudyConfig(seasons=("2324",), tracks=("stats_only",), model="logreg", n_boot=50)
    plain = run_study(sample_frame, base)
    tuned = run_study(sample_frame, dataclasses.replace(base, tune_trials=3))
    assert list(tuned.tuned) == ["model:stats_only 2324"]
    record = tuned.tuned["model:stats_only 2324"]
    assert record["valid_season"] == "2223"  # the last training season, never the test season
    assert set(record["params"]) == {"C"} and np.isfinite(record["valid_log_loss"])
    assert plain.tuned == {}
    for baseline in ("climatology", "elo_logit", "goals_model"):
        pd.testing.assert_frame_equal(tuned.predictions[baseline], plain.predictions[baseline])
    text = render_study_markdown(tuned)
    assert "## Tuned parameters" in text and "| model:stats_only 2324 | 2223 |" in text
