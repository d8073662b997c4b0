"""The tables the repository writes and reads, their column groups, and how each one is upserted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from soccerpredict.data.columns import STAT_COLUMNS
from soccerpredict.data.schema import IngestionLog, Match, MatchStats, Odds, Team

MATCHES: Table = Match.__table__  # type: ignore[assignment]
STATS: Table = MatchStats.__table__  # type: ignore[assignment]
ODDS: Table = Odds.__table__  # type: ignore[assignment]
TEAMS: Table = Team.__table__  # type: ignore[assignment]
LOG: Table = IngestionLog.__table__  # type: ignore[assignment]

GOAL_COLUMNS = ("fthg", "ftag", "hthg", "htag")
INT_COLUMNS = GOAL_COLUMNS + STAT_COLUMNS
SIDES = ("home", "draw", "away")


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one table is upserted: its key, the columns whose change counts, and what else is written."""

    table: Table
    keys: tuple[str, ...]
    compared: tuple[str, ...]
    #: Written with a change but not compared: who changed the row and when.
    stamped: tuple[str, ...] = ()
    #: Delete rows of the file's matches that the file no longer has (odds, statistics).
    prune: bool = True
    #: Count the file's rows that already existed (matches: inserted vs updated).
    count: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.compared + self.stamped


MATCH_DB_COLUMNS = (
    "div",
    "season",
    "date",
    "kickoff_time",
    "home_team_id",
    "away_team_id",
    *GOAL_COLUMNS,
    "ftr",
    "htr",
    "referee",
    "status",
)
MATCH_SPEC = _Spec(MATCHES, ("match_id",), MATCH_DB_COLUMNS, ("source", "updated_at"), prune=False, count=True)
STATS_SPEC = _Spec(STATS, ("match_id",), STAT_COLUMNS)
ODDS_SPEC = _Spec(ODDS, ("match_id", "bookmaker", "kind"), ("home", "draw", "away"))
