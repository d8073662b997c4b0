"""Stage load_data_from_sources: bring the configured sources into the database, then read the match frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from soccerpredict.data.columns import season_start_year
from soccerpredict.params import DataParams
from soccerpredict.settings import Settings

__all__ = ["load_data_from_sources"]


def load_data_from_sources(*, matches: Path, data: DataParams, settings: Settings) -> dict[str, Any]:
    """Ingest ``data.sources`` (idempotent: unchanged files are skipped) and write every match as parquet."""
    from soccerpredict.data.db import create_db_engine, migrate
    from soccerpredict.data.ingest import ingest_football_data, plan_football_data
    from soccerpredict.data.repository import load_match_frame
    from soccerpredict.errors import DataError

    settings.home_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    engine = create_db_engine(settings.database_url)
    summary = ingest_football_data(plan_football_data(data.sources), engine, timeout=settings.http_timeout)
    if summary.failed:
        failed = "; ".join(f"{o.ref.location}: {o.error}" for o in summary.failed)
        raise DataError(f"{len(summary.failed)} source file(s) failed to load: {failed}")
    frame = load_match_frame(engine, divisions=data.divisions)
    if data.first_season is not None:
        frame = frame[frame["season"].map(season_start_year) >= season_start_year(data.first_season)]
    if frame.empty and not data.sources and summary.outcomes == []:
        raise DataError(
            f"the database ({settings.database_url.split('@')[-1]}) has no matches and data.sources is empty: "
            "load them first (the ingestion DAGs, or `soccerpredict ingest football-data PATH`), or name sources"
        )
    if frame.empty:
        raise DataError(f"no matches for divisions={data.divisions} first_season={data.first_season}")
    frame.to_parquet(matches, index=False)
    engine.dispose()
    return {
        "matches": len(frame),
        "files": len(summary.outcomes),
        "files_loaded": summary.statuses()["loaded"],
        "rows_rejected": summary.total("rows_rejected"),
    }
