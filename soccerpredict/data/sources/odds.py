"""Pre-match odds sources for upcoming fixtures; pluggable by name.

A source turns what it fetched into one :class:`ParsedFile` per division, so odds and fixtures load
through the same idempotent repository path as results. The one real source shipped is
football-data.co.uk's ``fixtures.csv``: every division's upcoming matches with the bookmakers'
pre-match prices, in one file (a ``Div`` column tells the divisions apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from soccerpredict.data.parsed import ParsedFile
from soccerpredict.data.sources.football_data import (
    SourceRef,
    discover,
    divisions_in,
    parse_football_data,
    read_source,
)
from soccerpredict.data.teams import TeamNames
from soccerpredict.errors import SourceError

__all__ = [
    "FOOTBALL_DATA_FIXTURES_URL",
    "ODDS_SOURCES",
    "FootballDataFixtures",
    "OddsSource",
    "odds_source",
    "split_by_division",
]

FOOTBALL_DATA_FIXTURES_URL: Final = "https://www.football-data.co.uk/fixtures.csv"
#: The rule the football-data parser applies to rows of another division; here those rows are the other parts.
_OTHER_DIVISION: Final = "Div differs from the file's"


class OddsSource(Protocol):
    """Something that fetches upcoming fixtures with pre-match odds, one parsed file per division."""

    @property
    def name(self) -> str:
        """The source's name in :data:`ODDS_SOURCES`."""
        ...

    def fetch(self, *, timeout: float) -> list[ParsedFile]:
        """Download and parse; raises :class:`SourceError` when the source cannot be read."""
        ...


def split_by_division(content: bytes, *, source: str, teams: TeamNames | None = None) -> list[ParsedFile]:
    """One parsed file per division of a multi-division football-data file (pure).

    Each part keeps the original file's line numbers; a row is rejected by the part of its own
    division only (a short or truncated row, which every part rejects, by the first), so every rejection
    is reported exactly once.
    """
    divisions = divisions_in(content, source=source)
    if len(divisions) <= 1:
        return [parse_football_data(content, source=source, teams=teams)]
    parts = []
    reported: set[tuple[int, str]] = set()
    for div in divisions:
        part = parse_football_data(content, source=f"{source}#{div}", div=div, teams=teams)
        # A row too short or cut to be told apart by its Div is rejected by every part: the first one reports it.
        part.rejections = [
            r
            for r in part.rejections
            if not r.reason.startswith(_OTHER_DIVISION) and (r.scope != "row" or (r.line, r.reason) not in reported)
        ]
        reported.update((r.line, r.reason) for r in part.rejections if r.scope == "row")
        parts.append(part)
    return parts


@dataclass(frozen=True, slots=True)
class FootballDataFixtures:
    """football-data.co.uk's ``fixtures.csv`` (or a copy of it: a path or any URL)."""

    location: str = FOOTBALL_DATA_FIXTURES_URL
    name: str = "football-data-fixtures"

    def fetch(self, *, timeout: float) -> list[ParsedFile]:
        """Every division's fixtures and pre-match odds in the file."""
        refs = discover(self.location)
        if len(refs) != 1:
            raise SourceError(f"{self.location}: an odds source is one file, found {len(refs)}")
        content = read_source(SourceRef(refs[0].location), timeout=timeout)
        return split_by_division(content, source=refs[0].location)


#: Odds sources by name: ``soccerpredict ingest odds --source NAME``.
ODDS_SOURCES: Final = {"football-data-fixtures": FootballDataFixtures}


def odds_source(name: str, location: str | None = None) -> OddsSource:
    """The odds source called ``name``, reading ``location`` when given; a clear error for an unknown name."""
    try:
        factory = ODDS_SOURCES[name]
    except KeyError:
        known = ", ".join(sorted(ODDS_SOURCES))
        raise SourceError(f"unknown odds source {name!r}; known sources: {known}") from None
    return factory(location) if location else factory()
