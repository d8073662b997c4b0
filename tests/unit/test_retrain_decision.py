"""The retrain rule and its readings: matches written since the champion, the published drift share."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from soccerpredict.artifacts import DRIFT_SUMMARY_KEY
from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data
from soccerpredict.data.store import ObjectStore
from soccerpredict.registry.retrain import RetrainDecision, decide_retrain, finished_since, published_drift_share

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data"


def decide(**kwargs: object) -> RetrainDecision:
    base: dict[str, object] = {
        "champion_version": "3",
        "new_matches": 0,
        "drifted_share": 0.0,
        "min_new_matches": 100,
        "max_drifted_share": 0.3,
    }
    return decide_retrain(**(base | kwargs))  # type: ignore[arg-type]


def test_nothing_new_keeps_the_champion() -> None:
    decision = decide(new_matches=99, drifted_share=0.3)
    assert not decision.retrain
    assert decision.reasons == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"champion_version": None}, "no champion in the registry"),
        ({"new_matches": 100}, "100 finished matches since the champion (threshold 100)"),
        ({"drifted_share": 0.31}, "drifted feature share 0.31 above 0.30"),
    ],
)
def test_each_trigger_retrains_and_says_why(kwargs: dict[str, object], reason: str) -> None:
    decision = decide(**kwargs)
    assert decision.retrain
    assert decision.reasons == [reason]


def test_decision_is_one_json_line() -> None:
    line = decide(new_matches=150).to_json()
    assert "\n" not in line
    assert json.loads(line)["retrain"] is True


def test_finished_since_counts_matches_written_after_the_champion(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = create_db_engine(sqlite_url)
    before = datetime.now(UTC) - timedelta(seconds=1)
    ingest_football_data(plan_football_data([str(SAMPLE / "E0" / "2324.csv")]), engine)
    after = datetime.now(UTC) + timedelta(seconds=1)

    assert finished_since(engine, None) == 380
    assert finished_since(engine, before) == 380
    assert finished_since(engine, after) == 0


def test_published_drift_share_reads_the_latest_summary(tmp_path: Path) -> None:
    store = ObjectStore(f"file://{tmp_path}")
    assert published_drift_share(store) is None
    store.write_bytes(DRIFT_SUMMARY_KEY, json.dumps({"drifted_share": 0.25, "features": []}).encode())
    assert published_drift_share(store) == 0.25
