"""WhoScored ingestion service: scrape (or read saved) pages, parse them, load them with the repository.

The WhoScored counterpart of :mod:`soccerpredict.data.ingest` (football-data.co.uk and odds): I/O lives here,
in the browser (:mod:`soccerpredict.data.sources.browser`) and in the repository; parsing and the merge
over stored rows are pure (:mod:`soccerpredict.data.sources.whoscored`). A target that fails is reported and
the others still load.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from soccerpredict.data.columns import ODDS_COLUMNS
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository import (
    LoadResult,
    load_match_frame,
    load_odds,
    load_parsed_file,
    unchanged_since_last_load,
)
from soccerpredict.data.schema import Team
from soccerpredict.data.sources.browser import PageFetcher
from soccerpredict.data.sources.whoscored import (
    READY_MARKERS,
    PageKind,
    merge_with_existing,
    parse_page,
    whoscored_team_names,
)
from soccerpredict.data.teams import TeamNames
from soccerpredict.errors import ConfigError, SoccerPredictError, SourceError

__all__ = ["ScrapeOutcome", "ingest_whoscored", "read_saved_page"]


@dataclass(slots=True)
class ScrapeOutcome:
    """What happened to one URL or saved page."""

    target: str
    kind: PageKind | None = None
    results: list[LoadResult] = field(default_factory=list)
    #: One line per match loaded: "E0 2021 2021-01-12 Burnley 0-1 Man United (finished)".
    matches: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    #: Disagreements with the stored rows, team names new to the database.
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the page was read and loaded (or was already loaded)."""
        return self.error is None


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def read_saved_page(path: str) -> str:
    """The text of a saved page or JSON (``.gz`` is decompressed); :class:`SourceError` if it cannot be read."""
    try:
        content = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}; pass a file or an http(s) URL") from exc
    if content[:2] == b"\x1f\x8b":
        content = gzip.decompress(content)
    return content.decode("utf-8", errors="replace")


def ingest_whoscored(
    targets: Sequence[str],
    engine: Engine,
    *,
    fetcher: PageFetcher | None = None,
    teams: TeamNames | None = None,
    div: str | None = None,
    season: str | None = None,
    force: bool = False,
    on_target: Callable[[ScrapeOutcome], None] | None = None,
) -> list[ScrapeOutcome]:
    """Scrape (URLs, through ``fetcher``) or read (saved pages) each target and load it; errors are collected."""
    teams = teams if teams is not None else whoscored_team_names()
    outcomes = []
    for target in targets:
        outcome = ScrapeOutcome(target)
        try:
            page = _read_target(target, fetcher)
            parsed = parse_page(page, source=target, teams=teams, div=div, season=season)
            outcome.kind = parsed.kind
            for file in parsed.files:
                _load_one(engine, file, parsed.aliases, outcome, force=force)
        except SoccerPredictError as exc:
            outcome.error = str(exc)
        outcomes.append(outcome)
        if on_target is not None:
            on_target(outcome)
    return outcomes


def _read_target(target: str, fetcher: PageFetcher | None) -> str:
    if not _is_url(target):
        return read_saved_page(target)
    if fetcher is None:
        raise ConfigError(f"{target} is a URL but no browser was given to load it")
    return fetcher.fetch(target, ready=READY_MARKERS)


def _load_one(
    engine: Engine, parsed: ParsedFile, aliases: Mapping[str, str], outcome: ScrapeOutcome, *, force: bool
) -> None:
    outcome.rejections += parsed.rejections
    outcome.matches += [_describe(row) for row in _records(parsed.matches)]
    previous = None if force else unchanged_since_last_load(engine, parsed.source, parsed.checksum)
    if previous is not None:
        outcome.results.append(previous)
        return
    existing, odds = _stored(engine, parsed)
    merged, notes = merge_with_existing(parsed, existing, odds)
    names = set(merged.matches["home_team"]) | set(merged.matches["away_team"])
    outcome.notes += notes + _new_teams(engine, names)
    used = {raw: name for raw, name in aliases.items() if name in names}
    outcome.results.append(load_parsed_file(engine, merged, force=force, aliases=used))


def _stored(engine: Engine, parsed: ParsedFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored rows and odds of the file's matches."""
    if parsed.matches.empty:
        return parsed.matches.iloc[:0], pd.DataFrame(columns=list(ODDS_COLUMNS))
    ids = set(parsed.matches["match_id"])
    divisions, seasons = sorted(set(parsed.matches["div"])), sorted(set(parsed.matches["season"]))
    frame = load_match_frame(engine, divisions=divisions, seasons=seasons)
    odds = load_odds(engine, divisions=divisions, seasons=seasons)
    return frame.loc[frame["match_id"].isin(ids)], odds.loc[odds["match_id"].isin(ids)]


def _new_teams(engine: Engine, names: Iterable[str]) -> list[str]:
    """A note naming the teams the database does not know yet: a missing alias would split a club in two."""
    wanted = sorted(names)
    if not wanted:
        return []
    with engine.connect() as conn:
        known = set(conn.scalars(select(Team.name).where(Team.name.in_(wanted))))
    new = [name for name in wanted if name not in known]
    if not new:
        return []
    return [
        f"teams new to the database: {', '.join(map(repr, new))}; if a club is already stored under another "
        "name, add its WhoScored spelling to WHOSCORED_TEAM_ALIASES and re-scrape"
    ]


def _describe(row: Mapping[str, Any]) -> str:
    day = pd.Timestamp(row["date"]).date()
    score = f"{row['fthg']}-{row['ftag']}" if pd.notna(row["fthg"]) else "v"
    return f"{row['div']} {row['season']} {day} {row['home_team']} {score} {row['away_team']} ({row['status']})"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in record.items()} for record in frame.to_dict("records")]
