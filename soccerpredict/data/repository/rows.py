"""The frames written to each table, built from a parsed file: one row per key, plain Python values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from soccerpredict.data.columns import MATCH_COLUMNS, ODDS_COLUMNS, STAT_COLUMNS
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository.tables import GOAL_COLUMNS, ODDS_SPEC


def _unique_matches(parsed: ParsedFile) -> tuple[pd.DataFrame, list[Rejection]]:
    """The file's matches with one row per match id; later duplicates become rejections.

    The parser already rejects duplicate (division, date, teams); this guards the upsert, which cannot
    touch one row twice in a statement.
    """
    matches = parsed.matches.reindex(columns=[*MATCH_COLUMNS, "line"])
    duplicated = matches["match_id"].duplicated()
    dropped = [
        Rejection(parsed.source, _line(line), f"duplicate match_id {match_id!r} (first row kept)")
        for match_id, line in zip(matches.loc[duplicated, "match_id"], matches.loc[duplicated, "line"], strict=True)
    ]
    return matches.loc[~duplicated].reset_index(drop=True), dropped


def _line(value: Any) -> int:
    return int(value) if pd.notna(value) else 0


def _match_rows(matches: pd.DataFrame, team_ids: Mapping[str, int], source: str, now: datetime) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "match_id": matches["match_id"],
            "div": matches["div"],
            "season": matches["season"],
            "date": pd.to_datetime(matches["date"]).to_numpy(dtype="datetime64[D]").astype(object),
            "kickoff_time": matches["kickoff_time"],
            "home_team_id": matches["home_team"].map(team_ids),
            "away_team_id": matches["away_team"].map(team_ids),
        }
    )
    for column in GOAL_COLUMNS:
        rows[column] = _as_int(matches[column])
    for column in ("ftr", "htr", "referee", "status"):
        rows[column] = matches[column]
    rows["source"] = source
    rows["updated_at"] = now
    return rows


def _stat_rows(matches: pd.DataFrame) -> pd.DataFrame:
    """One row per match with at least one statistic (a match without any has no row)."""
    stats = pd.DataFrame({column: _as_int(matches[column]) for column in STAT_COLUMNS})
    stats.insert(0, "match_id", matches["match_id"])
    return stats.loc[stats[list(STAT_COLUMNS)].notna().any(axis=1)].reset_index(drop=True)


def _odds_rows(odds: pd.DataFrame, match_ids: set[str]) -> pd.DataFrame:
    """The file's prices for its own matches, one row per (match, bookmaker, kind)."""
    rows = odds.reindex(columns=list(ODDS_COLUMNS))
    rows = rows.loc[rows["match_id"].isin(match_ids)]
    rows = rows.drop_duplicates(subset=list(ODDS_SPEC.keys), keep="first")
    for column in ("home", "draw", "away"):
        rows[column] = pd.to_numeric(rows[column]).astype(float)
    return rows.reset_index(drop=True)


def _as_int(values: pd.Series) -> pd.Series:
    """Nullable integers (a float column such as 2.0/NaN from the parser becomes 2/<NA>)."""
    return pd.to_numeric(values).astype("Int64")


def _records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as None (drivers reject numpy scalars)."""
    return list(zip(*(_plain(frame[c]) for c in frame.columns), strict=True))


def _plain(values: pd.Series) -> list[Any]:
    objects = values.to_numpy(dtype=object, copy=True)
    objects[values.isna().to_numpy()] = None
    return objects.tolist()
