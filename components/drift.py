"""Stage monitor_drift: the latest features against the training reference, with Evidently."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from soccerpredict.artifacts import DRIFT_REPORT_KEY, DRIFT_SUMMARY_KEY
from soccerpredict.params import DriftParams
from soccerpredict.settings import Settings

__all__ = ["monitor_drift"]


def monitor_drift(
    *,
    train: Path,
    feature_table: Path,
    feature_list: Path,
    drift_summary: Path,
    drift_report: Path,
    drift: DriftParams,
    settings: Settings,
) -> dict[str, Any]:
    """Compare the last ``current_days`` of matches (and fixtures) with a sample of the training rows.

    With ``drift.max_columns`` only that many feature columns, spread over the feature list, are checked; the
    summary says how many of how many. Publishes the summary and the report, then appends the run to the drift
    history (:mod:`soccerpredict.monitoring.drift_history`).
    """
    from soccerpredict.data.store import ObjectStore
    from soccerpredict.monitoring.drift import compute_drift, spread_columns
    from soccerpredict.monitoring.drift_history import history_entry, publish_history

    all_columns = json.loads(feature_list.read_text())["columns"]
    columns = spread_columns(all_columns, drift.max_columns)
    reference = pd.read_parquet(train)
    reference = reference.sample(min(len(reference), drift.reference_rows), random_state=drift.seed)
    table = pd.read_parquet(feature_table)
    latest = pd.Timestamp(table["date"].max())
    current = table[pd.to_datetime(table["date"]) >= latest - pd.Timedelta(days=drift.current_days)]
    result = compute_drift(reference, current, columns)
    summary = {
        **result.summary(),
        "current_from": str((latest - pd.Timedelta(days=drift.current_days)).date()),
        "current_to": str(latest.date()),
        "columns_checked": len(columns),
        "columns_total": len(all_columns),
    }
    drift_summary.write_text(json.dumps(summary, indent=2))
    drift_report.write_text(result.html)
    store = ObjectStore.from_settings(settings)
    store.write_bytes(DRIFT_SUMMARY_KEY, drift_summary.read_bytes())
    store.write_bytes(DRIFT_REPORT_KEY, drift_report.read_bytes())
    history = publish_history(store, history_entry(summary, datetime.now(UTC)))
    return {
        "drifted_share": round(result.drifted_share, 3),
        "current_rows": len(current),
        "history_entries": len(history.entries),
    }
