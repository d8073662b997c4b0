"""Head-to-head: earlier meetings by hand, from today's home side, at either venue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.features.h2h import H2H_COLUMNS, HeadToHead

START = pd.Timestamp("2023-08-01")


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (day, home, away, home goals or None, away goals or None)."""
    frame = pd.DataFrame(
        [
            {
                "match_id": f"E0-{day}-{home}-{away}",
                "div": "E0",
                "season": "2324",
                "date": START + pd.Timedelta(days=day),
                "home_team": home,
                "away_team": away,
                "fthg": hg,
                "ftag": ag,
            }
            for day, home, away, hg, ag in rows
        ]
    )
    return frame.astype({"fthg": "Int64", "ftag": "Int64"})


MEETINGS = [(0, "A", "B", 2, 0), (10, "B", "A", 1, 1), (20, "B", "A", 3, 1), (25, "A", "C", 0, 0)]


@pytest.mark.parametrize(("home", "away", "sign"), [("A", "B", 1), ("B", "A", -1)])
def test_all_meetings_from_todays_home_side(home: str, away: str, sign: int) -> None:
    # For A: a 2-0 win, a 1-1 draw, a 1-3 defeat; the meeting with C does not count.
    frame = _frame([*MEETINGS, (30, home, away, None, None)])
    out = HeadToHead(last_n=6).fit(frame).transform(frame).iloc[-1]
    assert out["h2h_meetings"] == 3
    assert out["h2h_home_win_share"] == pytest.approx(1 / 3)
    assert out["h2h_draw_share"] == pytest.approx(1 / 3)
    assert out["h2h_away_win_share"] == pytest.approx(1 / 3)
    assert out["h2h_goal_diff"] == pytest.approx(sign * 0.0)


def test_last_n_keeps_the_most_recent_meetings_but_counts_all() -> None:
    frame = _frame([*MEETINGS, (30, "A", "B", None, None)])
    out = HeadToHead(last_n=2).fit(frame).transform(frame).iloc[-1]
    assert out["h2h_meetings"] == 3
    assert out[["h2h_home_win_share", "h2h_draw_share", "h2h_away_win_share"]].tolist() == [0.0, 0.5, 0.5]
    assert out["h2h_goal_diff"] == pytest.approx(-1.0)  # (1-1) and (1-3) for A


def test_no_meeting_yet() -> None:
    frame = _frame([*MEETINGS, (30, "B", "C", None, None)])
    out = HeadToHead().fit(frame).transform(frame)
    assert out.iloc[0]["h2h_meetings"] == 0
    assert out.iloc[-1]["h2h_meetings"] == 0
    assert np.isnan(out.iloc[-1]["h2h_goal_diff"])
    assert list(out.columns) == list(H2H_COLUMNS)


def test_same_day_meeting_and_unplayed_meetings_are_not_seen() -> None:
    frame = _frame([(0, "A", "B", None, None), (5, "A", "B", 4, 0), (5, "B", "A", 0, 4)])
    out = HeadToHead().fit(frame).transform(frame)
    assert out["h2h_meetings"].tolist() == [0, 0, 0]
