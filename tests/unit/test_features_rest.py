"""Rest days: days since the previous match, capped, first match, fixtures, difference."""

from __future__ import annotations

import pandas as pd

from soccerpredict.features.rest import REST_COLUMNS, RestDays

START = pd.Timestamp("2023-08-01")


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (day, home, away, played)."""
    frame = pd.DataFrame(
        [
            {
                "match_id": f"E0-{day}-{home}-{away}",
                "div": "E0",
                "season": "2324",
                "date": START + pd.Timedelta(days=day),
                "home_team": home,
                "away_team": away,
                "fthg": 1 if played else None,
                "ftag": 0 if played else None,
            }
            for day, home, away, played in rows
        ]
    )
    return frame.astype({"fthg": "Int64", "ftag": "Int64"})


def test_rest_days_by_hand() -> None:
    frame = _frame(
        [
            (0, "A", "B", True),
            (3, "C", "A", True),
            (7, "A", "C", True),  # A rested 4 days, C 4 days
            (60, "B", "A", False),  # B: 60 days -> capped; A: 53 -> capped
            (64, "A", "D", False),  # A: 4 days after a scheduled fixture; D: first match
        ]
    )
    out = RestDays(cap_days=28).fit(frame).transform(frame)
    assert list(out.columns) == list(REST_COLUMNS)
    assert out["rest_home_days"].tolist() == [28, 28, 4, 28, 4]
    assert out["rest_away_days"].tolist() == [28, 3, 4, 28, 28]
    assert out["rest_diff"].tolist() == [0, 25, 0, 0, -24]


def test_same_day_matches_do_not_count_as_rest() -> None:
    frame = _frame([(0, "A", "B", True), (2, "A", "C", True), (2, "D", "A", True)])
    out = RestDays().fit(frame).transform(frame)
    assert out.loc[1, "rest_home_days"] == 2
    assert out.loc[2, "rest_away_days"] == 2
