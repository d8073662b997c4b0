"""The drift history: appending and capping (a pure function), its publication, and the monitor_drift stage that
appends one entry per run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.drift import monitor_drift
from soccerpredict.artifacts import DRIFT_HISTORY_KEY, DRIFT_REPORT_KEY, DRIFT_SUMMARY_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.drift_history import (
    HISTORY_LIMIT,
    DriftHistory,
    DriftHistoryEntry,
    append_entry,
    corrupt_key,
    history_entry,
    publish_history,
)
from soccerpredict.params import DriftParams
from soccerpredict.settings import Settings

T0 = datetime(2024, 8, 16, 6, 0, tzinfo=UTC)


def entry(day: int, share: float = 0.25) -> DriftHistoryEntry:
    return DriftHistoryEntry(
        current_from="2024-06-17",
        current_to="2024-08-16",
        drifted_share=share,
        features_checked=4,
        features_drifted=round(share * 4),
        computed_at=T0 + timedelta(days=day),
    )


@given(st.lists(st.integers()), st.integers(), st.integers(min_value=1, max_value=20))
def test_append_never_exceeds_the_limit_ends_with_the_new_entry_and_keeps_order(
    entries: list[int], new: int, limit: int
) -> None:
    result = append_entry(entries, new, limit)
    assert len(result) == min(len(entries) + 1, limit)
    assert result[-1] == new
    assert result == [*entries, new][len(entries) + 1 - len(result) :]  # the newest, in their order


def test_append_drops_the_oldest_first() -> None:
    assert append_entry([1, 2, 3], 4, limit=3) == [2, 3, 4]
    assert append_entry([], 1) == [1]


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="at least one"):
        append_entry([1], 2, limit)


def test_an_entry_counts_the_features_of_the_summary() -> None:
    summary = {
        "drifted_share": 0.5,
        "drifted_features": ["elo_diff"],
        "features": [{"feature": "elo_diff"}, {"feature": "rest_days_diff"}],
        "current_from": "2024-06-17",
        "current_to": "2024-08-16",
    }
    got = history_entry(summary, T0)
    assert (got.drifted_share, got.features_checked, got.features_drifted) == (0.5, 2, 1)
    assert (got.current_from, got.current_to, got.computed_at) == ("2024-06-17", "2024-08-16", T0)


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore((tmp_path / "store").as_uri())


def test_a_missing_history_starts_a_new_one(store: ObjectStore) -> None:
    publish_history(store, entry(0))
    assert DriftHistory.model_validate_json(store.read_bytes(DRIFT_HISTORY_KEY)).entries == [entry(0)]


def test_publishing_appends_and_caps(store: ObjectStore) -> None:
    for day in range(5):
        publish_history(store, entry(day), limit=3)
    published = DriftHistory.model_validate_json(store.read_bytes(DRIFT_HISTORY_KEY))
    assert published.entries == [entry(2), entry(3), entry(4)]


@pytest.mark.parametrize("raw", [b"{not json", b'{"entries": [{"drifted_share": "high"}]}', b"[]"])
def test_a_corrupt_history_is_kept_aside_and_a_new_one_starts(
    store: ObjectStore, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    store.write_bytes(DRIFT_HISTORY_KEY, raw)
    history = publish_history(store, entry(1))
    assert history.entries == [entry(1)]
    assert store.read_bytes(corrupt_key(entry(1).computed_at)) == raw
    assert corrupt_key(entry(1).computed_at) == "monitoring/drift/history.json.corrupt-20240817T060000Z"
    assert "is not a drift history" in caplog.text


def test_the_default_limit_is_a_year_of_daily_runs() -> None:
    assert HISTORY_LIMIT == 365


def test_each_monitor_drift_run_appends_one_entry_after_the_summary(tmp_path: Path) -> None:
    """The real stage, twice, on small frames (Evidently included): the summary and report are published, and the
    history grows by one entry per run, naming the window and the counts of the summary."""
    rng = np.random.default_rng(5)
    columns = ["elo_diff", "rest_days_diff"]
    train = pd.DataFrame({c: rng.normal(0, 1, 300) for c in columns})
    dates = pd.date_range("2024-06-01", "2024-08-16", periods=120)
    table = pd.DataFrame({"date": dates, "elo_diff": rng.normal(2, 1, 120), "rest_days_diff": rng.normal(0, 1, 120)})
    train.to_parquet(tmp_path / "train.parquet")
    table.to_parquet(tmp_path / "features.parquet")
    (tmp_path / "features.json").write_text(json.dumps({"columns": columns}))
    settings = Settings(home=tmp_path / "home", store_uri=(tmp_path / "store").as_uri())
    paths = {
        "train": tmp_path / "train.parquet",
        "feature_table": tmp_path / "features.parquet",
        "feature_list": tmp_path / "features.json",
        "drift_summary": tmp_path / "drift.json",
        "drift_report": tmp_path / "drift.html",
    }
    first = monitor_drift(**paths, drift=DriftParams(current_days=30, reference_rows=300), settings=settings)
    second = monitor_drift(**paths, drift=DriftParams(current_days=30, reference_rows=300), settings=settings)
    assert (first["history_entries"], second["history_entries"]) == (1, 2)
    store = ObjectStore.from_settings(settings)
    assert store.exists(DRIFT_SUMMARY_KEY) and store.exists(DRIFT_REPORT_KEY)
    summary = store.read_json(DRIFT_SUMMARY_KEY)
    entries = DriftHistory.model_validate_json(store.read_bytes(DRIFT_HISTORY_KEY)).entries
    assert len(entries) == 2 and entries[0].computed_at <= entries[1].computed_at
    last = entries[-1]
    assert (
        (last.current_from, last.current_to)
        == (summary["current_from"], summary["current_to"])
        == (
            "2024-07-17",
            "2024-08-16",
        )
    )
    assert last.drifted_share == summary["drifted_share"] == 0.5
    assert (last.features_checked, last.features_drifted) == (2, 1)
