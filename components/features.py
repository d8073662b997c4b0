"""Stages feature_engineering and split_data: leakage-safe features for every match, then a time-based split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from soccerpredict.data.columns import FINISHED, IDENTITY_COLUMNS, ODDS_WIDE_COLUMNS, OUTCOMES
from soccerpredict.params import FeaturesParams, SplitParams

__all__ = ["LABEL", "META_COLUMNS", "feature_engineering", "split_data"]

LABEL = "label"  # 0 home win, 1 draw, 2 away win (OUTCOMES order); missing for fixtures
#: Carried beside the features for evaluation and serving; never model inputs.
META_COLUMNS = (*IDENTITY_COLUMNS, "ftr", LABEL, *ODDS_WIDE_COLUMNS)


def feature_engineering(
    *, finished: Path, future: Path, feature_table: Path, feature_list: Path, features: FeaturesParams
) -> dict[str, Any]:
    """Build every feature group over finished matches and fixtures in one chronological pass."""
    from soccerpredict.features.build import TRACKS, FeatureParams, build_features, feature_columns

    frame = pd.concat([pd.read_parquet(finished), pd.read_parquet(future)], ignore_index=True)
    groups = TRACKS[features.track]
    params = FeatureParams(**features.model_dump(exclude={"track"}))
    built = build_features(frame, groups=groups, params=params)
    columns = feature_columns(groups)
    frame[LABEL] = frame["ftr"].map({o: i for i, o in enumerate(OUTCOMES)}).astype("Int64")
    out = pd.concat([frame[list(META_COLUMNS)], built[columns]], axis=1)
    out.to_parquet(feature_table, index=False)
    feature_list.write_text(
        json.dumps(
            {"track": features.track, "groups": list(groups), "columns": columns, "params": params.to_flat_dict()},
            indent=2,
            default=str,
        )
    )
    return {"rows": len(out), "features": len(columns), "track": features.track}


def split_data(
    *, feature_table: Path, train: Path, test: Path, split_summary: Path, split: SplitParams
) -> dict[str, Any]:
    """Train on finished matches of seasons before the test seasons (after the burn-in); test on the test seasons."""
    from soccerpredict.errors import PipelineError
    from soccerpredict.models.tuning import ordered_seasons, season_start_year

    frame = pd.read_parquet(feature_table)
    frame = frame[frame["status"] == FINISHED]
    seasons = ordered_seasons(frame["season"])
    first_test = min(season_start_year(s) for s in split.test_seasons)
    years = frame["season"].map(season_start_year)
    burn_in = {season_start_year(s) for s in seasons[: split.burn_in_seasons]}
    train_rows = frame[(years < first_test) & ~years.isin(burn_in)]
    test_rows = frame[frame["season"].isin(split.test_seasons)]
    if train_rows.empty or test_rows.empty:
        raise PipelineError(
            f"split: {len(train_rows)} training and {len(test_rows)} test matches from seasons {seasons} "
            f"with test_seasons={split.test_seasons}, burn_in_seasons={split.burn_in_seasons}"
        )
    if pd.Timestamp(train_rows["date"].max()) >= pd.Timestamp(test_rows["date"].min()):
        raise PipelineError("split: training matches overlap the test period; test seasons must be the latest")
    train_rows.to_parquet(train, index=False)
    test_rows.to_parquet(test, index=False)
    summary = {
        "train_seasons": ordered_seasons(train_rows["season"]),
        "test_seasons": ordered_seasons(test_rows["season"]),
        "train_matches": len(train_rows),
        "test_matches": len(test_rows),
        "train_until": str(pd.Timestamp(train_rows["date"].max()).date()),
        "test_from": str(pd.Timestamp(test_rows["date"].min()).date()),
        "test_outcome_rates": np.bincount(test_rows["label"].astype(int), minlength=3).tolist(),
    }
    split_summary.write_text(json.dumps(summary, indent=2))
    return summary
