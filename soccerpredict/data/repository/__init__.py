"""Load parsed files into the database and read match frames back.

Loading is one transaction per file and idempotent: rows are upserted by key, a row is only
rewritten (and its ``updated_at`` moved) when one of its values changed, and odds or statistics that
a corrected file no longer has are deleted for the matches of that file. A file whose checksum was
the last successful load of its source is skipped unless forced.

Bulk paths: on PostgreSQL (psycopg 3) rows are COPYed into temporary tables and merged with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`` per table; elsewhere
(SQLite) one ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE`` per table.

The modules, each importing only those above it:

- ``tables``: the tables, their column groups and how each is upserted (key, compared and stamped columns);
- ``rows``: the frames written to each table, built from a parsed file;
- ``upsert``: the NULL-safe upsert and prune of one table (COPY on PostgreSQL, executemany elsewhere);
- ``reference``: divisions, seasons, teams and team aliases;
- ``log``: the ingestion log, written and read;
- ``write``: loading one parsed file (the transaction, the skip by checksum, the statistics refresh);
- ``read``: the match frame, the long odds and the counts per division.
"""

from soccerpredict.data.repository.log import ingestion_report, log_failed_source
from soccerpredict.data.repository.read import division_counts, load_match_frame, load_odds
from soccerpredict.data.repository.reference import save_team_aliases
from soccerpredict.data.repository.write import LoadResult, load_parsed_file, unchanged_since_last_load

__all__ = [
    "LoadResult",
    "division_counts",
    "ingestion_report",
    "load_match_frame",
    "load_odds",
    "load_parsed_file",
    "log_failed_source",
    "save_team_aliases",
    "unchanged_since_last_load",
]
