"""What every feature group shares: the sklearn-style base transformer and the chronological match arrays.

Leakage rule for every group: the feature of a match uses only matches whose *date* is strictly before
its own (same-day matches never see each other). The sequential passes enforce it by applying the
updates of a day only after every match of that day has read its pre-match state; the vectorised
groups by looking up each team's history with a strictly-earlier key (:func:`previous_positions`).

Chronological order is (date, home team, away team), so results never depend on the row order of the input.
A match counts as played when both full-time scores are known (``status`` is not read); unplayed
fixtures get features but change no state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from soccerpredict.errors import DataError

__all__ = [
    "DAY_SPAN",
    "SEQUENTIAL_COLUMNS",
    "GroupHistory",
    "MatchArrays",
    "MatchFrameTransformer",
    "WindowSums",
    "gather",
    "match_arrays",
    "match_days",
    "previous_positions",
    "require_columns",
    "rolling_means",
    "scatter",
]

#: Larger than any day number (year 2200), so ``group * DAY_SPAN + day`` sorts by group, then day.
DAY_SPAN = 100_000

#: Columns :func:`match_arrays` needs, hence every group but the market one.
SEQUENTIAL_COLUMNS: tuple[str, ...] = ("div", "season", "date", "home_team", "away_team", "fthg", "ftag")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise :class:`DataError` naming every column of ``columns`` that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} needs the match-frame column(s) {missing}; build the frame with the football-data parser"
        )


def match_days(frame: pd.DataFrame) -> np.ndarray:
    """Whole days since 1970-01-01 of the ``date`` column (int64); time of day is ignored."""
    dates = pd.to_datetime(frame["date"])
    if dates.isna().any():
        raise DataError(f"{int(dates.isna().sum())} match(es) have no date; drop or fix them before building features")
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True, slots=True)
class MatchArrays:
    """A match frame as chronological numpy arrays (index ``i`` = i-th match in chronological order)."""

    order: np.ndarray  #: chronological index -> row position in the input frame
    day: np.ndarray  #: int64 days since the epoch
    home: np.ndarray  #: int team codes (codes follow sorted team names)
    away: np.ndarray
    div: np.ndarray  #: int division codes (sorted division names)
    season: np.ndarray  #: int season codes
    home_goals: np.ndarray  #: float, NaN when the match is not played
    away_goals: np.ndarray
    played: np.ndarray  #: bool: both scores known
    teams: np.ndarray  #: team names, indexed by code
    divisions: np.ndarray  #: division names, indexed by code

    @property
    def n_teams(self) -> int:
        """Number of distinct teams."""
        return len(self.teams)

    def to_input_order(self, chronological: np.ndarray) -> np.ndarray:
        """Reorder a per-match array from chronological order back to the input row order."""
        out = np.empty_like(chronological)
        out[self.order] = chronological
        return out


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def match_arrays(frame: pd.DataFrame) -> MatchArrays:
    """Convert a match frame to :class:`MatchArrays` (needs :data:`SEQUENTIAL_COLUMNS`)."""
    require_columns(frame, SEQUENTIAL_COLUMNS, what="a rating pass")
    day = match_days(frame)
    n = len(frame)
    team_codes, teams = _codes(pd.concat([frame["home_team"], frame["away_team"]], ignore_index=True))
    # (day, home, away) identifies a match; sorting on codes of sorted names is input-order independent.
    order = np.lexsort((team_codes[n:], team_codes[:n], day))
    div_codes, divisions = _codes(frame["div"])
    season_codes, _ = _codes(frame["season"])
    home_goals = pd.to_numeric(frame["fthg"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    away_goals = pd.to_numeric(frame["ftag"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return MatchArrays(
        order=order,
        day=day[order],
        home=team_codes[:n][order],
        away=team_codes[n:][order],
        div=div_codes[order],
        season=season_codes[order],
        home_goals=home_goals[order],
        away_goals=away_goals[order],
        played=~(np.isnan(home_goals) | np.isnan(away_goals))[order],
        teams=teams,
        divisions=divisions,
    )


def scatter(arrays: MatchArrays, values: dict[str, np.ndarray], index: pd.Index) -> pd.DataFrame:
    """Put chronological result arrays back in input row order, as a float frame on ``index``."""
    stacked = np.column_stack([np.asarray(v, dtype=float) for v in values.values()])
    out = np.empty_like(stacked)
    out[arrays.order] = stacked
    return pd.DataFrame(out, index=index, columns=list(values))


def previous_positions(
    history_key: np.ndarray, history_group: np.ndarray, group: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Position of the last history row of the same group with an earlier day, or -1.

    ``history_key`` must be sorted and equal ``history_group * DAY_SPAN + history_day``; looking up the
    first row at (group, day) and stepping back one gives the latest row strictly before that day.
    """
    pos = np.searchsorted(history_key, group * DAY_SPAN + day, side="left") - 1
    valid = pos >= 0
    valid[valid] = history_group[pos[valid]] == group[valid]
    return np.where(valid, pos, -1)


def rolling_means(values: np.ndarray, group_start: np.ndarray, window: int) -> np.ndarray:
    """Mean of the recorded (non-NaN) values of each column and the ``window - 1`` columns before it in its group.

    ``values`` is (statistics, rows); ``group_start[i]`` is the first row of row i's group.
    """
    return WindowSums(values).means(np.arange(values.shape[1]), group_start, window)


class WindowSums:
    """Cumulative sums of values and of recorded counts along the rows, for O(1) window means at any row.

    The statistics are integers, so the sums are exact and a window mean never depends on rows outside it.
    """

    def __init__(self, values: np.ndarray) -> None:
        recorded = ~np.isnan(values)
        zero = np.zeros((values.shape[0], 1))
        self.sums = np.hstack([zero, np.cumsum(np.where(recorded, values, 0.0), axis=1)])
        self.counts = np.hstack([zero.astype(np.int32), np.cumsum(recorded, axis=1, dtype=np.int32)])

    def means(self, rows: np.ndarray, group_start: np.ndarray, window: int) -> np.ndarray:
        """Window means ending at each of ``rows`` (NaN where the window has no recorded value)."""
        lo = np.maximum(rows - window + 1, group_start)
        total, n = self.sums[:, rows + 1] - self.sums[:, lo], self.counts[:, rows + 1] - self.counts[:, lo]
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


class GroupHistory:
    """Rows of per-group values (a club's matches, a pair's meetings) sorted by (group, date) for lookups.

    Rows must arrive in chronological order; a stable sort by group then keeps (group, date, match) order.
    ``values`` is (statistics, rows).
    """

    def __init__(self, group: np.ndarray, day: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(group, kind="stable")
        self.group, self.day, self.values = group[order], day[order], values[:, order]
        self.key = self.group * DAY_SPAN + self.day
        is_start = np.r_[True, self.group[1:] != self.group[:-1]] if len(order) else np.zeros(0, dtype=bool)
        self.starts = np.flatnonzero(is_start)
        self.ends = np.r_[self.starts[1:], len(order)][: len(self.starts)].astype(np.int64)
        self.group_start = np.maximum.accumulate(np.where(is_start, np.arange(len(order)), 0))
        self.window_sums = WindowSums(self.values)

    def previous(self, group: np.ndarray, day: np.ndarray) -> np.ndarray:
        """For each (group, day): position of the group's last row before that day, or -1."""
        return previous_positions(self.key, self.group, group, day)

    def rows_so_far(self, pos: np.ndarray) -> np.ndarray:
        """Number of the group's rows up to and including each position (0 where the position is -1)."""
        if not len(self.group):
            return np.zeros(len(pos), dtype=np.int64)
        return np.where(pos >= 0, pos - self.group_start[np.maximum(pos, 0)] + 1, 0)

    def window_means(self, pos: np.ndarray, window: int) -> np.ndarray:
        """(statistics, len(pos)) means over the ``window`` rows ending at each position; NaN where it is -1."""
        if not len(self.group):
            return np.full((self.values.shape[0], len(pos)), np.nan)
        safe = np.maximum(pos, 0)
        out = self.window_sums.means(safe, self.group_start[safe], window)
        out[:, pos < 0] = np.nan
        return out


def gather(features: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Columns ``pos`` of (statistics, rows) ``features``, NaN where ``pos`` is -1."""
    if not features.shape[1]:
        return np.full((features.shape[0], len(pos)), np.nan)
    out = features[:, np.maximum(pos, 0)]
    out[:, pos < 0] = np.nan
    return out


class MatchFrameTransformer(TransformerMixin, BaseEstimator):
    """Base of the feature transformers: ``transform(frame)`` returns pre-match features aligned to the input.

    ``fit`` only validates the parameters: a feature pass learns nothing that could carry future data
    into ``transform``; each ``transform`` replays the history contained in the frame it is given.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    #: Output columns, in order; fixed, so the feature registry can list them without data.
    feature_names: ClassVar[tuple[str, ...]] = ()
    required_columns: ClassVar[tuple[str, ...]] = SEQUENTIAL_COLUMNS
    #: Whether ``_transform`` reads :class:`MatchArrays` (the market group does not).
    needs_arrays: ClassVar[bool] = True

    def fit(self, frame: pd.DataFrame, y: object = None) -> MatchFrameTransformer:
        """Validate the parameters and the frame's columns; learn nothing."""
        self._validate_params()
        require_columns(frame, self.required_columns, what=type(self).__name__)
        self.feature_names_out_ = np.asarray(self.feature_names, dtype=object)
        return self

    def transform(self, frame: pd.DataFrame, *, arrays: MatchArrays | None = None) -> pd.DataFrame:
        """Pre-match features of every row of ``frame``, on the same index.

        Args:
            arrays: ``match_arrays(frame)`` when the caller already has it (shared between groups).
        """
        check_is_fitted(self)
        require_columns(frame, self.required_columns, what=type(self).__name__)
        if frame.empty:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in self.feature_names}, index=frame.index)
        if arrays is None and self.needs_arrays:
            arrays = match_arrays(frame)
        return self._transform(frame, arrays)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The output column names (sklearn API)."""
        return np.asarray(self.feature_names, dtype=object)

    def _transform(self, frame: pd.DataFrame, arrays: Any) -> pd.DataFrame:
        """The features of ``frame`` as a frame with columns :attr:`feature_names` on ``frame.index``."""
        raise NotImplementedError
