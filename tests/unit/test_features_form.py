"""Form: window means by hand, venue splits, EWM, missing statistics, unplayed and same-day matches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.data.columns import STAT_COLUMNS
from soccerpredict.features.form import FORM_COLUMNS, FORM_SPANS, FORM_STATS, FormFeatures

START = pd.Timestamp("2023-08-01")


def _frame(rows: list[dict]) -> pd.DataFrame:
    """rows: dicts with day, home, away, hg, ag and optional statistics."""
    records = []
    for row in rows:
        record = {
            "match_id": f"E0-{row['day']}-{row['home']}-{row['away']}",
            "div": "E0",
            "season": "2324",
            "date": START + pd.Timedelta(days=row["day"]),
            "home_team": row["home"],
            "away_team": row["away"],
            "fthg": row.get("hg"),
            "ftag": row.get("ag"),
        }
        record |= {c: row.get(c) for c in STAT_COLUMNS}
        records.append(record)
    return pd.DataFrame(records).astype({c: "Int64" for c in ("fthg", "ftag", *STAT_COLUMNS)})


GOALS_FOR = [3, 0, 1, 2, 0, 4, 1, 1, 2, 0, 3, 1]
GOALS_AGAINST = [0, 2, 1, 1, 3, 0, 0, 2, 2, 1, 1, 1]


def _club_a_season() -> tuple[pd.DataFrame, list[dict]]:
    """Club A plays 12 matches (home on even days, away on odd), shots recorded from day 6; then a fixture."""
    rows = []
    for day, (gf, ga) in enumerate(zip(GOALS_FOR, GOALS_AGAINST, strict=True)):
        shots = {"home_shots": 10 + day, "away_shots": 5} if day >= 6 else {}
        if day % 2 == 0:
            rows.append({"day": day, "home": "A", "away": f"O{day}", "hg": gf, "ag": ga} | shots)
        else:
            swapped = {"home_shots": shots["away_shots"], "away_shots": shots["home_shots"]} if shots else {}
            rows.append({"day": day, "home": f"O{day}", "away": "A", "hg": ga, "ag": gf} | swapped)
    rows.append({"day": 12, "home": "A", "away": "Z"})
    return _frame(rows), rows


def _points(gf: int, ga: int) -> int:
    return 3 if gf > ga else 1 if gf == ga else 0


def test_window_means_by_hand() -> None:
    frame, _ = _club_a_season()
    out = FormFeatures().fit(frame).transform(frame).iloc[-1]
    assert out["form_home_goals_for_last5"] == pytest.approx(np.mean(GOALS_FOR[7:12]))
    assert out["form_home_goals_for_last10"] == pytest.approx(np.mean(GOALS_FOR[2:12]))
    assert out["form_home_goals_against_last5"] == pytest.approx(np.mean(GOALS_AGAINST[7:12]))
    points = [_points(f, a) for f, a in zip(GOALS_FOR, GOALS_AGAINST, strict=True)]
    assert out["form_home_points_last10"] == pytest.approx(np.mean(points[2:12]))
    # Home-only split: A's home matches are the even days 0..10; the last five are days 2..10.
    assert out["form_home_goals_for_venue_last5"] == pytest.approx(np.mean(GOALS_FOR[2:12:2]))
    assert out["form_home_goals_for_venue_last10"] == pytest.approx(np.mean(GOALS_FOR[0:12:2]))
    ewm = pd.Series(GOALS_FOR, dtype=float).ewm(halflife=5).mean().iloc[-1]
    assert out["form_home_goals_for_ewm"] == pytest.approx(ewm)


def test_missing_statistics_stay_missing_and_are_flagged() -> None:
    frame, _ = _club_a_season()
    out = FormFeatures().fit(frame).transform(frame)
    last = out.iloc[-1]
    # Shots recorded on days 6..11 only: the mean uses those six, and 6 of the last 10 had shots.
    assert last["form_home_shots_for_last10"] == pytest.approx(np.mean([10 + d for d in range(6, 12)]))
    assert last["form_home_shots_against_last5"] == pytest.approx(5.0)
    assert last["form_home_stats_available"] == pytest.approx(0.6)
    assert np.isnan(last["form_home_corners_for_last10"])  # never recorded
    assert np.isnan(last["form_home_corners_for_ewm"])
    before_shots = out.iloc[5]  # day 5: no earlier match of A had shots
    assert np.isnan(before_shots["form_away_shots_for_last10"])
    assert before_shots["form_away_stats_available"] == 0.0
    assert before_shots["form_away_goals_for_last5"] == pytest.approx(np.mean(GOALS_FOR[0:5]))


def test_first_match_has_no_form() -> None:
    frame, _ = _club_a_season()
    first = FormFeatures().fit(frame).transform(frame).iloc[0]
    assert first.isna().all()


def test_away_side_perspective_cards_and_corners() -> None:
    frame = _frame(
        [
            {"day": 0, "home": "A", "away": "B", "hg": 0, "ag": 2, "home_corners": 7, "away_corners": 3}
            | {"home_yellow": 1, "home_red": 1, "away_yellow": 2, "away_red": 1},
            {"day": 3, "home": "C", "away": "B"},
            {"day": 3, "home": "D", "away": "A"},
        ]
    )
    home_side = FormFeatures().fit(frame).transform(frame).iloc[2]
    assert home_side["form_away_cards_last5"] == 2.0  # A, the home side of day 0: a yellow and a red
    out = FormFeatures().fit(frame).transform(frame).iloc[1]
    assert out["form_away_goals_for_last5"] == 2.0
    assert out["form_away_points_last5"] == 3.0
    assert out["form_away_corners_for_last5"] == 3.0
    assert out["form_away_corners_against_last5"] == 7.0
    assert out["form_away_cards_last5"] == 3.0
    assert out["form_away_goals_for_venue_last5"] == 2.0  # B's earlier match was away too
    assert np.isnan(out["form_home_goals_for_last5"])  # C has no history


def test_unplayed_matches_do_not_count() -> None:
    frame = _frame(
        [
            {"day": 0, "home": "A", "away": "B", "hg": 2, "ag": 0},
            {"day": 1, "home": "A", "away": "C"},  # postponed / not yet played
            {"day": 2, "home": "A", "away": "D"},
        ]
    )
    out = FormFeatures().fit(frame).transform(frame).iloc[2]
    assert out["form_home_goals_for_last5"] == 2.0
    assert out["form_home_points_last10"] == 3.0


def test_a_club_never_sees_its_own_same_day_matches() -> None:
    frame = _frame(
        [
            {"day": 0, "home": "A", "away": "B", "hg": 1, "ag": 0},
            {"day": 5, "home": "A", "away": "C", "hg": 5, "ag": 0},
            {"day": 5, "home": "D", "away": "A", "hg": 0, "ag": 7},
        ]
    )
    out = FormFeatures().fit(frame).transform(frame)
    assert out.loc[1, "form_home_goals_for_last5"] == 1.0
    assert out.loc[2, "form_away_goals_for_last5"] == 1.0


def test_columns_follow_the_declared_layout() -> None:
    assert len(FORM_COLUMNS) == 2 * (len(FORM_STATS) * len(FORM_SPANS) + 1)
    assert len(set(FORM_COLUMNS)) == len(FORM_COLUMNS)
    frame, _ = _club_a_season()
    assert list(FormFeatures().fit(frame).transform(frame).columns) == list(FORM_COLUMNS)


@pytest.mark.parametrize("halflife", [1.0, 2.5, 20.0])
def test_ewm_matches_pandas(halflife: float) -> None:
    frame, _ = _club_a_season()
    out = FormFeatures(ewm_halflife=halflife).fit(frame).transform(frame).iloc[-1]
    against = pd.Series(GOALS_AGAINST, dtype=float).ewm(halflife=halflife).mean().iloc[-1]
    assert out["form_home_goals_against_ewm"] == pytest.approx(against)
    # Shots recorded from day 6 only: the missing matches keep their place in time but carry no weight,
    # as pandas' ewm does with NaN (ignore_na=False).
    shots = pd.Series([np.nan] * 6 + [10.0 + d for d in range(6, 12)])
    assert out["form_home_shots_for_ewm"] == pytest.approx(shots.ewm(halflife=halflife).mean().iloc[-1])


def test_the_first_recorded_statistic_is_its_own_ewm() -> None:
    frame, _ = _club_a_season()
    out = FormFeatures().fit(frame).transform(frame)
    # Day 7: A plays away; its only earlier match with shots is day 6 (16 shots at home).
    assert out.iloc[7]["form_away_shots_for_ewm"] == pytest.approx(16.0)
    assert out.iloc[7]["form_away_shots_for_last5"] == pytest.approx(16.0)


def test_a_statistic_the_frame_lacks_or_cannot_read_is_missing_not_an_error() -> None:
    frame, _ = _club_a_season()
    expected = FormFeatures().fit(frame).transform(frame)

    without_corners = frame.drop(columns=["home_corners", "away_corners"])
    out = FormFeatures().fit(without_corners).transform(without_corners)
    pd.testing.assert_frame_equal(out, expected)  # corners were never recorded: NaN either way

    unreadable = frame.astype({"home_shots": object})
    unreadable.loc[6, "home_shots"] = "n/a"  # day 6: A's 16 shots at home, unreadable
    recorded = frame.astype({"home_shots": "Float64"})
    recorded.loc[6, "home_shots"] = np.nan
    pd.testing.assert_frame_equal(
        FormFeatures().fit(unreadable).transform(unreadable), FormFeatures().fit(recorded).transform(recorded)
    )
    assert np.isnan(FormFeatures().fit(unreadable).transform(unreadable).iloc[7]["form_away_shots_for_ewm"])


def test_the_output_keeps_the_input_index() -> None:
    frame, _ = _club_a_season()
    frame.index = frame.index + 100
    out = FormFeatures().fit(frame).transform(frame)
    assert out.index.tolist() == frame.index.tolist()
