"""Division climate: result shares and goals of the division's earlier matches, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.features.league import LEAGUE_COLUMNS, DivisionClimate

START = pd.Timestamp("2023-08-01")


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (division, day, home, away, home goals or None, away goals or None)."""
    frame = pd.DataFrame(
        [
            {
                "match_id": f"{div}-{day}-{home}-{away}",
                "div": div,
                "season": "2324",
                "date": START + pd.Timedelta(days=day),
                "home_team": home,
                "away_team": away,
                "fthg": hg,
                "ftag": ag,
            }
            for div, day, home, away, hg, ag in rows
        ]
    )
    return frame.astype({"fthg": "Int64", "ftag": "Int64"})


ROWS = [
    ("E0", 0, "A", "B", 2, 0),  # home win, 2 goals
    ("E0", 0, "C", "D", 1, 1),  # draw, 2 goals (same day as the first: neither sees the other)
    ("E1", 3, "X", "Y", 0, 5),  # another division: never counted for E0
    ("E0", 7, "B", "C", 0, 3),  # away win, 3 goals
    ("E0", 14, "A", "D", None, None),  # a fixture: reads the three E0 matches
]


def _climate(rows: list[tuple], window: int = 380) -> pd.DataFrame:
    frame = _frame(rows)
    return DivisionClimate(window=window).fit(frame).transform(frame)


def test_fixture_reads_the_divisions_earlier_matches_only() -> None:
    out = _climate(ROWS).iloc[-1]
    assert out[list(LEAGUE_COLUMNS)].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 7 / 3])


def test_same_day_matches_do_not_see_each_other() -> None:
    out = _climate(ROWS)
    assert out.iloc[:3].isna().all(axis=None)  # each division's first day has no history
    assert out.iloc[3].tolist() == pytest.approx([0.5, 0.5, 0.0, 2.0])  # day 7: the two day-0 matches


def test_window_keeps_the_most_recent_matches() -> None:
    out = _climate(ROWS, window=1).iloc[-1]
    assert out.tolist() == pytest.approx([0.0, 0.0, 1.0, 3.0])


def test_row_order_does_not_matter() -> None:
    frame = _frame(ROWS)
    shuffled = frame.sample(frac=1.0, random_state=3)
    expected = DivisionClimate().fit(frame).transform(frame)
    got = DivisionClimate().fit(shuffled).transform(shuffled).loc[expected.index]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
