"""What a parsed WhoScored file becomes over the rows already stored (:func:`merge_with_existing`).

football-data.co.uk stays the reference: a match it already finished keeps its values, WhoScored only fills
what is missing (and disagreements are reported), and scraping a match never changes a football-data row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

import pandas as pd

from soccerpredict.data.columns import FINISHED, MATCH_COLUMNS, STAT_COLUMNS
from soccerpredict.data.parsed import ParsedFile

__all__ = ["merge_with_existing"]


def merge_with_existing(
    parsed: ParsedFile, existing: pd.DataFrame, existing_odds: pd.DataFrame
) -> tuple[ParsedFile, list[str]]:
    """The parsed file as it should be loaded over what the database already has, and every disagreement.

    A match the database has as finished keeps its values (football-data is the reference); WhoScored only
    fills its missing ones. A scheduled match takes WhoScored's values. The matches' stored odds are carried
    along, because loading a file replaces the odds of its matches.
    """
    known = existing.set_index("match_id") if len(existing) else None
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for row in _records(parsed.matches):
        old = _row(known, row["match_id"]) if known is not None and row["match_id"] in known.index else None
        if old is None:
            rows.append(row)
            continue
        first, second = (old, row) if old["status"] == FINISHED else (row, old)
        merged = {
            column: first.get(column) if pd.notna(first.get(column)) else second.get(column) for column in MATCH_COLUMNS
        }
        merged |= {"match_id": row["match_id"], "line": row["line"]}
        if old["status"] == FINISHED:
            notes += _disagreements(row, old)
        rows.append(merged)
    matches = pd.DataFrame.from_records(rows, columns=[*MATCH_COLUMNS, "line"]) if rows else parsed.matches
    for column in ("fthg", "ftag", "hthg", "htag", *STAT_COLUMNS):
        matches[column] = pd.array(pd.to_numeric(matches[column]).tolist(), dtype="Int64")
    odds = parsed.odds
    if len(existing_odds):
        odds = existing_odds.loc[existing_odds["match_id"].isin(set(matches["match_id"]))].reset_index(drop=True)
    return replace(parsed, matches=matches, odds=odds), notes


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in record.items()} for record in frame.to_dict("records")]


def _row(frame: pd.DataFrame, key: str) -> dict[str, Any]:
    return {str(column): value for column, value in frame.loc[key].items()}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if hasattr(value, "item") else value


#: Columns compared between WhoScored and the stored row (the identity is the match id itself).
_COMPARED: Final = ("kickoff_time", "fthg", "ftag", "hthg", "htag", "referee", *STAT_COLUMNS)


def _disagreements(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    notes = []
    for column in _COMPARED:
        a, b = _plain(new.get(column)), _plain(old.get(column))
        if pd.notna(a) and pd.notna(b) and a != b:
            notes.append(f"{new['match_id']} {column}: kept {b!r} from the database, WhoScored says {a!r}")
    return notes
