"""Raw snapshots: the database's matches, statistics and odds as dated parquet files in the object store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from soccerpredict.data.repository import load_match_frame, load_odds
from soccerpredict.data.store import ObjectStore

__all__ = ["RawSnapshot", "export_raw", "raw_prefix"]


@dataclass(frozen=True, slots=True)
class RawSnapshot:
    """Where a snapshot went and what it holds."""

    prefix: str
    matches_uri: str
    odds_uri: str
    manifest_uri: str
    matches: int
    odds: int


def raw_prefix(day: date) -> str:
    """Key prefix of the raw snapshot of one day."""
    return f"raw/{day.isoformat()}"


def export_raw(engine: Engine, store: ObjectStore, *, day: date) -> RawSnapshot:
    """Write matches (with statistics and wide odds), long odds and a manifest under ``raw/<day>/``.

    The manifest is written last, so a snapshot with a manifest is complete.
    """
    matches = load_match_frame(engine)
    odds = load_odds(engine)
    prefix = raw_prefix(day)
    matches_uri = store.write_parquet(f"{prefix}/matches.parquet", matches)
    odds_uri = store.write_parquet(f"{prefix}/odds.parquet", odds)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "matches": len(matches),
        "odds": len(odds),
        "divisions": sorted(matches["div"].dropna().unique().tolist()) if len(matches) else [],
        "seasons": sorted(matches["season"].dropna().unique().tolist()) if len(matches) else [],
        "first_date": str(matches["date"].min().date()) if len(matches) else None,
        "last_date": str(matches["date"].max().date()) if len(matches) else None,
    }
    manifest_uri = store.write_json(f"{prefix}/manifest.json", manifest)
    return RawSnapshot(prefix, matches_uri, odds_uri, manifest_uri, len(matches), len(odds))
