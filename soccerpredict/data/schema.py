"""The database schema: SQLAlchemy 2 models of divisions, seasons, teams, matches, statistics, odds and the log.

The Alembic migrations in ``soccerpredict/data/migrations`` create exactly this schema (a test compares them).
Constraint names follow one naming convention so migrations can refer to them on every dialect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from soccerpredict.data.columns import season_start_year

__all__ = [
    "DIVISIONS",
    "INGESTION_OUTCOMES",
    "Base",
    "Division",
    "IngestionLog",
    "Match",
    "MatchStats",
    "Odds",
    "Season",
    "Team",
    "TeamAlias",
    "season_start_year",
]

#: football-data.co.uk division code -> (name, country): the 22 divisions the site publishes.
DIVISIONS: Final[dict[str, tuple[str, str]]] = {
    "E0": ("Premier League", "England"),
    "E1": ("Championship", "England"),
    "E2": ("League One", "England"),
    "E3": ("League Two", "England"),
    "EC": ("National League", "England"),
    "SP1": ("La Liga", "Spain"),
    "SP2": ("Segunda División", "Spain"),
    "D1": ("Bundesliga", "Germany"),
    "D2": ("2. Bundesliga", "Germany"),
    "I1": ("Serie A", "Italy"),
    "I2": ("Serie B", "Italy"),
    "F1": ("Ligue 1", "France"),
    "F2": ("Ligue 2", "France"),
    "N1": ("Eredivisie", "Netherlands"),
    "B1": ("Jupiler League", "Belgium"),
    "P1": ("Primeira Liga", "Portugal"),
    "T1": ("Süper Lig", "Turkey"),
    "G1": ("Super League", "Greece"),
    "SC0": ("Scottish Premiership", "Scotland"),
    "SC1": ("Scottish Championship", "Scotland"),
    "SC2": ("Scottish League One", "Scotland"),
    "SC3": ("Scottish League Two", "Scotland"),
}

#: How one attempt to load one source ended, as the ingestion log records it (status is "ok" for the first two).
INGESTION_OUTCOMES: Final = (
    "loaded",
    "loaded with rejected rows",
    "failed to read",
    "failed to parse",
    "failed to load",
)

NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Division(Base):
    """A league division by its football-data code."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(32))


class Season(Base):
    """A season by its football-data code ("2324")."""

    __tablename__ = "seasons"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    start_year: Mapped[int] = mapped_column(Integer)


class Team(Base):
    """A club under its canonical name."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class TeamAlias(Base):
    """Another spelling of a club's name, and the source that uses it."""

    __tablename__ = "team_aliases"

    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    source: Mapped[str | None] = mapped_column(String(200))


class Match(Base):
    """One match: identity, kick-off, result and where the values came from."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("status IN ('finished', 'scheduled')", name="status"),
        CheckConstraint("ftr IS NULL OR ftr IN ('H', 'D', 'A')", name="ftr"),
        CheckConstraint("htr IS NULL OR htr IN ('H', 'D', 'A')", name="htr"),
        CheckConstraint("home_team_id <> away_team_id", name="distinct_teams"),
        # Team form and head-to-head features read a team's matches in date order.
        Index(None, "home_team_id", "date"),
        Index(None, "away_team_id", "date"),
        Index(None, "div", "season"),
    )

    match_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    div: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    season: Mapped[str] = mapped_column(ForeignKey("seasons.code"))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kickoff_time: Mapped[str | None] = mapped_column(String(5))
    home_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    away_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    fthg: Mapped[int | None] = mapped_column(Integer)
    ftag: Mapped[int | None] = mapped_column(Integer)
    hthg: Mapped[int | None] = mapped_column(Integer)
    htag: Mapped[int | None] = mapped_column(Integer)
    ftr: Mapped[str | None] = mapped_column(String(1))
    htr: Mapped[str | None] = mapped_column(String(1))
    referee: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    #: The source file or URL that last changed this row.
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MatchStats(Base):
    """Per-match statistics (shots, fouls, corners, cards); absent when the source has none."""

    __tablename__ = "match_stats"

    match_id: Mapped[str] = mapped_column(ForeignKey("matches.match_id", ondelete="CASCADE"), primary_key=True)
    home_shots: Mapped[int | None] = mapped_column(Integer)
    away_shots: Mapped[int | None] = mapped_column(Integer)
    home_shots_on_target: Mapped[int | None] = mapped_column(Integer)
    away_shots_on_target: Mapped[int | None] = mapped_column(Integer)
    home_fouls: Mapped[int | None] = mapped_column(Integer)
    away_fouls: Mapped[int | None] = mapped_column(Integer)
    home_corners: Mapped[int | None] = mapped_column(Integer)
    away_corners: Mapped[int | None] = mapped_column(Integer)
    home_yellow: Mapped[int | None] = mapped_column(Integer)
    away_yellow: Mapped[int | None] = mapped_column(Integer)
    home_red: Mapped[int | None] = mapped_column(Integer)
    away_red: Mapped[int | None] = mapped_column(Integer)


class Odds(Base):
    """One bookmaker's 1X2 prices for a match, before it ("pre") or at kick-off ("close")."""

    __tablename__ = "odds"
    __table_args__ = (CheckConstraint("kind IN ('pre', 'close')", name="kind"),)

    match_id: Mapped[str] = mapped_column(ForeignKey("matches.match_id", ondelete="CASCADE"), primary_key=True)
    bookmaker: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    home: Mapped[float] = mapped_column(Float)
    draw: Mapped[float] = mapped_column(Float)
    away: Mapped[float] = mapped_column(Float)


class IngestionLog(Base):
    """One attempt to load one source file: counts, every rejection, and how it ended.

    Every source an ingestion tried is here, also one that could not be read or parsed (nothing of it loaded).
    """

    __tablename__ = "ingestion_log"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'failed')", name="status"),
        CheckConstraint("outcome IN (" + ", ".join(f"'{o}'" for o in INGESTION_OUTCOMES) + ")", name="outcome"),
        # The checksum skip looks up the latest successful load of a source.
        Index(None, "source", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the bytes; None when the source could not be read.
    checksum: Mapped[str | None] = mapped_column(String(128))
    div: Mapped[str | None] = mapped_column(String(8))
    season: Mapped[str | None] = mapped_column(String(4))
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    odds_rejected: Mapped[int] = mapped_column(Integer)
    blank_rows: Mapped[int] = mapped_column(Integer)
    #: Every rejection as {"line": int, "reason": str, "scope": "row" | "odds"}.
    rejections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    #: One of INGESTION_OUTCOMES.
    outcome: Mapped[str] = mapped_column(String(32))
    #: Why the attempt failed (the reader's, parser's or database's message); None when it loaded.
    error: Mapped[str | None] = mapped_column(Text)
