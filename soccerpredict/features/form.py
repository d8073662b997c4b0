"""Recent form: rolling and exponentially weighted means of each club's own match statistics.

For every club a *history* holds one row per played match (its own perspective), sorted by (club, date).
Rolling means over the last 5 and 10 matches (any venue; and home-only for the home side, away-only for
the away side) and an exponentially weighted mean are computed per club *including* each row; a match
then reads, for each club, the last history row of a strictly earlier date, so the match itself and
same-day matches are excluded.

Missing statistics (no shots before 2000/01, none in some divisions) stay NaN: a mean uses the recorded
values of the window and is NaN when none is recorded; ``form_<side>_stats_available`` gives the share of
the club's last 10 matches with shots recorded. Goals and points are always known.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from sklearn.utils._param_validation import Interval

from soccerpredict.features.base import (
    GroupHistory,
    MatchArrays,
    MatchFrameTransformer,
    gather,
    rolling_means,
)

__all__ = [
    "FORM_COLUMNS",
    "FORM_SPANS",
    "FORM_STATS",
    "FORM_WINDOWS",
    "FormFeatures",
    "form_features",
    "perspective_stats",
]

FORM_WINDOWS: tuple[int, ...] = (5, 10)
FORM_STATS: tuple[str, ...] = (
    "goals_for",
    "goals_against",
    "shots_for",
    "shots_against",
    "sot_for",
    "sot_against",
    "corners_for",
    "corners_against",
    "cards",
    "points",
)
#: last5/last10: any venue; venue_*: home matches for the home side, away matches for the away side.
FORM_SPANS: tuple[str, ...] = (
    *(f"last{w}" for w in FORM_WINDOWS),
    "ewm",
    *(f"venue_last{w}" for w in FORM_WINDOWS),
)
#: The window that bounds the EWM and the share of matches with statistics recorded.
_LONGEST = max(FORM_WINDOWS)
SIDES: tuple[str, ...] = ("home", "away")
#: Statistics recorded per side: (for, against) source columns from the home side's perspective.
_STAT_SOURCES: tuple[tuple[str, str], ...] = (
    ("home_shots", "away_shots"),
    ("home_shots_on_target", "away_shots_on_target"),
    ("home_corners", "away_corners"),
)


def _columns() -> tuple[str, ...]:
    names: list[str] = []
    for side in SIDES:
        names += [f"form_{side}_{stat}_{span}" for stat in FORM_STATS for span in FORM_SPANS]
        names.append(f"form_{side}_stats_available")
    return tuple(names)


FORM_COLUMNS: tuple[str, ...] = _columns()


class FormFeatures(MatchFrameTransformer):
    """Pre-match form of both clubs (:data:`FORM_COLUMNS`).

    Args:
        ewm_halflife: half-life, in matches, of the exponentially weighted means.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "ewm_halflife": [Interval(Real, 0, None, closed="neither")],
    }
    feature_names = FORM_COLUMNS

    def __init__(self, *, ewm_halflife: float = 5.0) -> None:
        self.ewm_halflife = ewm_halflife

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        values = form_features(frame, arrays, self.ewm_halflife)
        # Features are rows of `values` (one contiguous array each): the transpose is a column-major frame.
        return pd.DataFrame(values.T, index=frame.index, columns=list(FORM_COLUMNS), copy=False)


def _column(frame: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
    """Input rows ``rows`` of a statistic as floats; all NaN when the frame lacks the column."""
    if name not in frame.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rows]


def perspective_stats(frame: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(len(FORM_STATS), len(rows)) statistics of input rows ``rows`` from the home and the away club's side."""
    hg, ag = _column(frame, "fthg", rows), _column(frame, "ftag", rows)
    home_cols, away_cols = [hg, ag], [ag, hg]
    for home_name, away_name in _STAT_SOURCES:
        home_val, away_val = _column(frame, home_name, rows), _column(frame, away_name, rows)
        home_cols += [home_val, away_val]
        away_cols += [away_val, home_val]
    home_cols.append(_column(frame, "home_yellow", rows) + _column(frame, "home_red", rows))
    away_cols.append(_column(frame, "away_yellow", rows) + _column(frame, "away_red", rows))
    home_points = np.where(hg > ag, 3.0, np.where(hg == ag, 1.0, 0.0))
    home_cols.append(home_points)
    away_cols.append(np.where(hg == ag, 1.0, 3.0 - home_points))
    return np.vstack(home_cols), np.vstack(away_cols)


def _ewm_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, halflife: float) -> np.ndarray:
    """Exponentially weighted mean per group of rows (pandas ``ewm(adjust=True, ignore_na=False)`` semantics)."""
    decay = 0.5 ** (1.0 / halflife)
    recorded = ~np.isnan(values)
    filled = np.where(recorded, values, 0.0)
    out = np.empty_like(values)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        # One filter per club, so a club's means never touch another club's rows.
        num = lfilter([1.0], [1.0, -decay], filled[:, start:end], axis=1)
        den = lfilter([1.0], [1.0, -decay], recorded[:, start:end].astype(float), axis=1)
        out[:, start:end] = num / np.where(den > 0, den, np.nan)
    return out


def form_features(frame: pd.DataFrame, a: MatchArrays, halflife: float) -> np.ndarray:
    """(len(FORM_COLUMNS), rows) form features of every match, in input row order."""
    played = np.flatnonzero(a.played)
    home_stats, away_stats = perspective_stats(frame, a.order[played])
    # Interleave each match's home and away rows: the history stays in chronological order.
    team = np.column_stack([a.home[played], a.away[played]]).ravel()
    day = np.repeat(a.day[played], 2)
    stats = np.stack([home_stats, away_stats], axis=2).reshape(len(FORM_STATS), -1)
    is_home = np.tile([True, False], len(played))
    every = GroupHistory(team, day, stats)
    ewm = _ewm_means(every.values, every.starts, every.ends, halflife)
    recorded = (~np.isnan(every.values[[FORM_STATS.index("shots_for")]])).astype(float)
    recorded_share = rolling_means(recorded, every.group_start, _LONGEST)
    out = np.empty((len(FORM_COLUMNS), len(a.order)))
    row = 0
    day_in = a.to_input_order(a.day)
    for side, target in (("home", a.to_input_order(a.home)), ("away", a.to_input_order(a.away))):
        # The venue split: the home side's home matches, the away side's away matches.
        at_venue = is_home if side == "home" else ~is_home
        venue = GroupHistory(team[at_venue], day[at_venue], stats[:, at_venue])
        blocks = _side_blocks(every, venue, ewm, target, day_in)
        for j in range(len(FORM_STATS)):
            for span in FORM_SPANS:
                out[row] = blocks[span][j]
                row += 1
        out[row] = gather(recorded_share, every.previous(target, day_in))[0]
        row += 1
    return out


def _side_blocks(
    every: GroupHistory, venue: GroupHistory, ewm: np.ndarray, team: np.ndarray, day: np.ndarray
) -> dict[str, np.ndarray]:
    """(statistics, matches) means per span for clubs ``team`` playing on ``day``, from strictly earlier days."""
    pos, venue_pos = every.previous(team, day), venue.previous(team, day)
    blocks = {f"last{w}": every.window_means(pos, w) for w in FORM_WINDOWS}
    blocks |= {f"venue_last{w}": venue.window_means(venue_pos, w) for w in FORM_WINDOWS}
    # An EWM over old values only (stats no longer recorded) would outlive the longest window: cut it there.
    blocks["ewm"] = np.where(np.isnan(blocks[f"last{_LONGEST}"]), np.nan, gather(ewm, pos))
    return blocks
