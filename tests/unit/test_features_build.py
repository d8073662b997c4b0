"""Feature registry and build_features: groups, tracks, column lists, alignment, parameters, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.data.columns import MATCH_ID, ODDS_CLOSE, ODDS_PRE_AVG, STAT_COLUMNS
from soccerpredict.errors import ConfigError, DataError
from soccerpredict.features import (
    FEATURE_GROUPS,
    MARKET_AWARE_GROUPS,
    STATS_ONLY_GROUPS,
    TRACKS,
    EloRatings,
    FeatureParams,
    build_features,
    feature_columns,
    make_transformer,
)

START = pd.Timestamp("2023-08-01")


def _frame(n_days: int = 30) -> pd.DataFrame:
    """Four clubs playing two matches every third day, with statistics and odds."""
    clubs = ["A", "B", "C", "D"]
    rng = np.random.default_rng(3)
    rows = []
    for day in range(0, n_days, 3):
        order = rng.permutation(clubs)
        for home, away in ((order[0], order[1]), (order[2], order[3])):
            rows.append({"match_id": f"E0-{day}-{home}-{away}", "day": day, "home_team": home, "away_team": away})
    frame = pd.DataFrame(rows)
    frame["date"] = START + pd.to_timedelta(frame.pop("day"), unit="D")
    frame["div"], frame["season"], frame["status"] = "E0", "2324", "finished"
    frame["fthg"] = pd.array(rng.integers(0, 4, len(frame)), dtype="Int64")
    frame["ftag"] = pd.array(rng.integers(0, 3, len(frame)), dtype="Int64")
    for column in STAT_COLUMNS:
        frame[column] = pd.array(rng.integers(0, 15, len(frame)), dtype="Int64")
    for column in ODDS_PRE_AVG + ODDS_CLOSE:
        frame[column] = rng.uniform(1.5, 5.0, len(frame))
    return frame


def test_registry_groups_and_tracks() -> None:
    assert list(FEATURE_GROUPS) == ["elo", "pi", "goals_model", "shots_model", "form", "h2h", "rest", "market"]
    assert STATS_ONLY_GROUPS == ("elo", "pi", "goals_model", "shots_model", "form", "h2h", "rest")
    assert (*STATS_ONLY_GROUPS, "market") == MARKET_AWARE_GROUPS
    assert TRACKS["stats_only"] == STATS_ONLY_GROUPS


def test_feature_columns_are_unique_and_never_closing_odds() -> None:
    columns = feature_columns(MARKET_AWARE_GROUPS)
    assert len(columns) == len(set(columns))
    assert not [c for c in columns if "close" in c]
    assert feature_columns(["rest", "elo"]) == [*FEATURE_GROUPS["rest"].columns, *FEATURE_GROUPS["elo"].columns]
    assert "market_p_home" not in feature_columns(STATS_ONLY_GROUPS)


def test_build_features_aligns_to_the_input_index() -> None:
    frame = _frame()
    shuffled = frame.sample(frac=1.0, random_state=1)
    shuffled.index = [f"row{i}" for i in range(len(shuffled))]
    out = build_features(shuffled, groups=MARKET_AWARE_GROUPS)
    assert list(out.columns) == [MATCH_ID, *feature_columns(MARKET_AWARE_GROUPS)]
    assert list(out.index) == list(shuffled.index)
    assert out[MATCH_ID].tolist() == shuffled[MATCH_ID].tolist()
    reference = build_features(frame).set_index(MATCH_ID)
    pd.testing.assert_frame_equal(out.set_index(MATCH_ID).loc[reference.index], reference)


def test_build_features_matches_each_transformer() -> None:
    frame = _frame()
    out = build_features(frame, groups=["elo"], params=FeatureParams(elo={"k": 32}))
    direct = EloRatings(k=32).fit(frame).transform(frame)
    pd.testing.assert_frame_equal(out.drop(columns=MATCH_ID), direct)


def test_stats_only_track_does_not_need_odds() -> None:
    frame = _frame().drop(columns=list(ODDS_PRE_AVG + ODDS_CLOSE))
    out = build_features(frame, groups=STATS_ONLY_GROUPS)
    assert out.shape == (len(frame), 1 + len(feature_columns(STATS_ONLY_GROUPS)))
    with pytest.raises(DataError, match="odds_pre_avg_home"):
        build_features(frame, groups=["market"])


def test_unknown_group_and_bad_parameters_raise_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown feature group"):
        feature_columns(["elo", "xg"])
    with pytest.raises(ConfigError, match="unknown feature group"):
        build_features(_frame(), groups=["weather"])
    with pytest.raises(ConfigError, match="EloRatings"):
        FeatureParams(elo={"k": -5})
    with pytest.raises(ConfigError, match="k_factor"):
        FeatureParams(elo={"k_factor": 5})


def test_params_flatten_for_run_logs() -> None:
    params = FeatureParams(rest={"cap_days": 14})
    flat = params.to_flat_dict()
    assert flat["rest.cap_days"] == 14
    assert flat["elo.k"] == EloRatings().k
    assert params.for_group("rest") == {"cap_days": 14}
    assert make_transformer("rest", params).get_params()["cap_days"] == 14


def test_missing_columns_and_dates_raise_data_errors() -> None:
    with pytest.raises(DataError, match="match_id"):
        build_features(_frame().drop(columns=MATCH_ID), groups=["rest"])
    with pytest.raises(DataError, match="season"):
        build_features(_frame().drop(columns="season"), groups=["elo"])
    broken = _frame()
    broken.loc[0, "date"] = pd.NaT
    with pytest.raises(DataError, match="no date"):
        build_features(broken, groups=["elo"])


def test_empty_frame() -> None:
    out = build_features(_frame().iloc[:0])
    assert out.empty
    assert list(out.columns) == [MATCH_ID, *feature_columns()]


def test_features_are_finite_or_nan_and_mostly_filled() -> None:
    out = build_features(_frame(90)).drop(columns=MATCH_ID)
    assert not np.isinf(out.to_numpy()).any()
    assert out.iloc[-4:].notna().all().all()
