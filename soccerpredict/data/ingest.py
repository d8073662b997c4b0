"""Ingestion service: discover sources, read, parse, load; one file at a time, one transaction each.

I/O lives here and in the repository; parsing is pure. A file that fails is reported and the
others still load. Every source tried is in the ingestion log with its outcome, also one that could not
be read or parsed; only a source skipped as unchanged since its last load adds no entry.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.engine import Engine

from soccerpredict.data.columns import FINISHED, SCHEDULED
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository import LoadResult, load_parsed_file, log_failed_source, unchanged_since_last_load
from soccerpredict.data.schema import Match
from soccerpredict.data.sources.football_data import (
    SourceRef,
    discover,
    parse_football_data,
    read_source,
)
from soccerpredict.errors import DataError, SourceParseError

if TYPE_CHECKING:
    from soccerpredict.data.sources.odds import OddsSource

__all__ = ["FileOutcome", "IngestSummary", "ingest_football_data", "ingest_odds", "plan_football_data"]


@dataclass(slots=True)
class FileOutcome:
    """What happened to one source."""

    ref: SourceRef
    result: LoadResult | None = None
    rejections: list[Rejection] = field(default_factory=list)
    error: str | None = None
    #: Which step failed ("failed to read", "failed to parse", "failed to load"); None when it loaded.
    failure: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file loaded (or was already loaded)."""
        return self.error is None


@dataclass(slots=True)
class IngestSummary:
    """Totals over an ingestion run."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileOutcome]:
        """Outcomes of files that could not be loaded."""
        return [o for o in self.outcomes if not o.ok]

    def total(self, attribute: str) -> int:
        """Sum one LoadResult counter over all loaded files."""
        return sum(int(getattr(o.result, attribute)) for o in self.outcomes if o.result is not None)

    def statuses(self) -> Counter[str]:
        """How many files were loaded, unchanged or failed."""
        return Counter("failed" if not o.ok else o.result.status if o.result else "failed" for o in self.outcomes)

    def rejections(self) -> list[Rejection]:
        """Every rejection of every file, in file order."""
        return [r for o in self.outcomes for r in o.rejections]

    def rejection_reasons(self) -> Counter[str]:
        """Rejections counted by the rule that fired (the reason up to its first colon or quote)."""
        return Counter(_reason_kind(r.reason) for r in self.rejections())


def _reason_kind(reason: str) -> str:
    for stop in (":", "'", '"', "("):
        reason = reason.split(stop, 1)[0]
    return reason.strip()


def plan_football_data(targets: Sequence[str]) -> list[SourceRef]:
    """Every source behind the given files, folders and URLs, in a stable order."""
    refs: list[SourceRef] = []
    for target in targets:
        refs.extend(discover(target))
    return refs


def ingest_football_data(
    refs: Iterable[SourceRef],
    engine: Engine,
    *,
    force: bool = False,
    timeout: float = 60.0,
    on_file: Callable[[FileOutcome], None] | None = None,
    workers: int | None = None,
) -> IngestSummary:
    """Load football-data.co.uk sources into the database; failures are collected, not raised.

    Args:
        workers: files loaded at once, each in its own transaction and connection. Default: 2 on
            PostgreSQL (one file parses while another is written: the machine's two cores both work),
            1 on SQLite (a single writer). Outcomes keep the order of ``refs`` whatever the workers.
    """
    refs = list(refs)
    if workers is None:
        workers = 2 if engine.dialect.name == "postgresql" else 1
    summary = IngestSummary()
    start = time.perf_counter()
    outcomes: list[FileOutcome | None] = [None] * len(refs)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ingest") as pool:
        futures = {pool.submit(_ingest_one, ref, engine, force, timeout): i for i, ref in enumerate(refs)}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if on_file is not None:
                on_file(outcome)
    summary.outcomes = [o for o in outcomes if o is not None]
    summary.seconds = time.perf_counter() - start
    return summary


def _ingest_one(ref: SourceRef, engine: Engine, force: bool, timeout: float) -> FileOutcome:
    """Read, parse and load one source; a transient conflict with a concurrent file is retried once."""
    outcome = FileOutcome(ref=ref)
    started_at = datetime.now(UTC)
    try:
        content = read_source(ref, timeout=timeout)
    except DataError as exc:
        return _failed(engine, outcome, "failed to read", exc, started_at)
    checksum = _sha256(content)
    previous = None if force else unchanged_since_last_load(engine, ref.location, checksum)
    if previous is not None:
        outcome.result = previous  # same bytes as the last good load: nothing to parse or write
        return outcome
    try:
        parsed = parse_football_data(content, source=ref.location, div=ref.div, season=ref.season)
    except DataError as exc:
        return _failed(engine, outcome, "failed to parse", exc, started_at, checksum)
    outcome.rejections = list(parsed.rejections)
    for attempt in range(2):
        try:
            outcome.result = load_parsed_file(engine, parsed, force=force)  # logs its own failures
        except DataError as exc:
            outcome.error, outcome.failure = str(exc), "failed to load"
            if attempt == 0 and any(word in str(exc) for word in _TRANSIENT):
                continue
            return outcome
        outcome.error = outcome.failure = None
        return outcome
    return outcome


def _failed(
    engine: Engine,
    outcome: FileOutcome,
    failure: Literal["failed to read", "failed to parse"],
    exc: DataError,
    started_at: datetime,
    checksum: str | None = None,
) -> FileOutcome:
    """Record a source that never reached loading in the ingestion log and in its outcome."""
    ref = outcome.ref
    outcome.error, outcome.failure = str(exc), failure
    log_failed_source(
        engine,
        source=ref.location,
        outcome=failure,
        error=str(exc),
        checksum=checksum,
        div=ref.div,
        season=ref.season,
        started_at=started_at,
    )
    return outcome


def ingest_odds(source: OddsSource, engine: Engine, *, force: bool = False, timeout: float = 60.0) -> IngestSummary:
    """Fetch an odds source and load each of its divisions in its own transaction; failures are collected.

    Fixtures load as scheduled matches with their pre-match prices; a fixture already in the database
    keeps its identity (same division, date and teams), so a refresh updates prices in place. A source
    that cannot be read or parsed is logged, then its error raised.
    """
    start = time.perf_counter()
    summary = IngestSummary()
    started_at = datetime.now(UTC)
    try:
        fetched = source.fetch(timeout=timeout)
    except DataError as exc:
        failure: Literal["failed to read", "failed to parse"] = (
            "failed to parse" if isinstance(exc, SourceParseError) else "failed to read"
        )
        where = str(getattr(source, "location", source.name))
        log_failed_source(engine, source=where, outcome=failure, error=str(exc), started_at=started_at)
        raise
    for parsed in fetched:
        outcome = FileOutcome(ref=SourceRef(parsed.source, parsed.div, parsed.season))
        try:
            _keep_results(engine, parsed)
            outcome.rejections = list(parsed.rejections)
            outcome.result = load_parsed_file(engine, parsed, force=force)
        except DataError as exc:
            outcome.error = str(exc)
        summary.outcomes.append(outcome)
    summary.seconds = time.perf_counter() - start
    return summary


def _keep_results(engine: Engine, parsed: ParsedFile) -> None:
    """Set aside fixtures the database already has as finished: a fixtures feed never overwrites a result."""
    scheduled = parsed.matches[parsed.matches["status"] == SCHEDULED]
    if scheduled.empty:
        return
    ids = scheduled["match_id"].tolist()
    with engine.connect() as conn:
        done = set(conn.scalars(select(Match.match_id).where(Match.match_id.in_(ids), Match.status == FINISHED)).all())
    if not done:
        return
    gone = parsed.matches["match_id"].isin(done) & (parsed.matches["status"] == SCHEDULED)
    for match_id, line in parsed.matches.loc[gone, ["match_id", "line"]].itertuples(index=False):
        parsed.rejections.append(
            Rejection(parsed.source, int(line), f"already finished in the database: {match_id} keeps its result")
        )
    parsed.matches = parsed.matches[~gone].reset_index(drop=True)
    parsed.odds = parsed.odds[~parsed.odds["match_id"].isin(done)].reset_index(drop=True)


#: Driver errors of two concurrent transactions that succeed when one of them is simply run again.
_TRANSIENT = ("DeadlockDetected", "SerializationFailure", "UniqueViolation")


def _sha256(content: bytes) -> str:
    # The same digest the parser records as the file's checksum.
    return hashlib.sha256(content).hexdigest()
