"""Benchmark: ingest the whole real archive into PostgreSQL, then again (idempotent re-runs).

    .venv/bin/python bench/bench_ingest.py [--data ../shared/data/football-data] [--admin-url URL]

Creates a scratch database, loads every file, re-runs with the checksum skip, re-runs with --force
(every row compared, none changed), prints a markdown table and drops the database.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data
from soccerpredict.data.schema import Match, Odds

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(label: str, refs, engine, *, force: bool) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    summary = ingest_football_data(refs, engine, force=force)
    seconds = time.perf_counter() - start
    s = summary.statuses()
    print(
        f"{label}: {seconds:.1f} s; files loaded {s['loaded']} unchanged {s['unchanged']} failed {s['failed']}; "
        f"inserted {summary.total('matches_inserted')} updated {summary.total('matches_updated')} "
        f"unchanged {summary.total('matches_unchanged')}; rows rejected {summary.total('rows_rejected')}; "
        f"odds rejected {summary.total('odds_rejected')}; peak RSS {_peak_rss_mb():.0f} MB",
        flush=True,
    )
    return label, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "football-data"))
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    name = f"soccer_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate(url)
        engine = create_db_engine(url)
        refs = plan_football_data([args.data])
        print(
            f"{len(refs)} files under {args.data}; {platform.processor() or platform.machine()}, "
            f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}"
        )
        rows = [
            _run("first load", refs, engine, force=False),
            _run("re-run (checksums unchanged)", refs, engine, force=False),
            _run("re-run --force (every row compared)", refs, engine, force=True),
        ]
        with engine.connect() as conn:
            matches = conn.execute(select(func.count()).select_from(Match)).scalar_one()
            odds = conn.execute(select(func.count()).select_from(Odds)).scalar_one()
        print(f"\nmatches in database: {matches}; odds rows: {odds}; peak RSS {_peak_rss_mb():.0f} MB\n")
        print("| run | seconds |\n|---|---|")
        for label, seconds in rows:
            print(f"| {label} | {seconds:.1f} |")
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
