"""Benchmark: build every feature group for the whole real archive (all football-data CSVs).

    .venv/bin/python bench/bench_features.py [--data ../shared/data/football-data] [--repeat 1]

Reads the CSVs with a minimal pandas loop (not the project's parser: this bench only needs a match
frame), then times the shared chronological arrays, each feature group on its own, and
``build_features`` for both tracks end to end; prints a markdown table and the peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from soccerpredict.data.columns import ODDS_CLOSE, ODDS_PRE_AVG, STAT_SOURCE_COLUMNS
from soccerpredict.features import FEATURE_GROUPS, TRACKS, build_features, feature_columns, make_transformer
from soccerpredict.features.base import match_arrays

REPO = Path(__file__).resolve().parents[1]
OUTCOMES = ("H", "D", "A")
T = TypeVar("T")
ODDS_SOURCES = {"pre": ("Avg", "BbAv"), "close": ("PSC", "AvgC")}
NEEDED = {"Div", "Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG", *STAT_SOURCE_COLUMNS} | {
    f"{prefix}{outcome}" for prefixes in ODDS_SOURCES.values() for prefix in prefixes for outcome in OUTCOMES
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read(path: Path) -> pd.DataFrame:
    """The columns this bench needs from one CSV, as strings; tolerant of padding, short rows, cp1252 bytes."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    rows = csv.reader(io.StringIO(text))
    header = [{"HT": "HomeTeam", "AT": "AwayTeam"}.get(name.strip(), name.strip()) for name in next(rows)]
    wanted = [i for i, name in enumerate(header) if name in NEEDED]
    records = [[row[i] if i < len(row) else "" for i in wanted] for row in rows]
    table = pd.DataFrame(records, columns=[header[i] for i in wanted], dtype=object)
    return table.replace("", np.nan).dropna(subset=["HomeTeam", "AwayTeam", "Date", "FTHG", "FTAG"])


def _dates(values: pd.Series) -> pd.Series:
    """dd/mm/yy or dd/mm/yyyy (also without zero padding) to timestamps."""
    parts = values.str.strip().str.split("/", expand=True).astype(int)
    year = parts[2].where(parts[2] >= 100, parts[2] + np.where(parts[2] > 50, 1900, 2000))
    return pd.to_datetime(pd.DataFrame({"year": year, "month": parts[1], "day": parts[0]}))


def _numeric(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table:
        return pd.Series(np.nan, index=table.index)
    return pd.to_numeric(table[column], errors="coerce")


def load_match_frame(paths: list[Path]) -> pd.DataFrame:
    """Football-data CSVs as one match frame (identity, goals, statistics, pre-match and closing odds)."""
    table = pd.concat([_read(path).assign(season=path.stem) for path in paths], ignore_index=True)
    # Odds columns by era: market average "Avg*" from 2019/20, "BbAv*" before; Pinnacle closing, else average.
    for kind, prefixes in ODDS_SOURCES.items():
        for outcome in OUTCOMES:
            values = [_numeric(table, f"{prefix}{outcome}") for prefix in prefixes]
            table[f"{kind}{outcome}"] = values[0].fillna(values[1])
    frame = pd.DataFrame(
        {
            "div": table["Div"].str.strip(),
            "season": table["season"],
            "date": _dates(table["Date"]),
            "home_team": table["HomeTeam"].str.strip(),
            "away_team": table["AwayTeam"].str.strip(),
            "status": "finished",
            "fthg": _numeric(table, "FTHG").round().astype("Int64"),
            "ftag": _numeric(table, "FTAG").round().astype("Int64"),
        }
    )
    for source, column in STAT_SOURCE_COLUMNS.items():
        frame[column] = _numeric(table, source).round().astype("Int64")
    for kind, targets in (("pre", ODDS_PRE_AVG), ("close", ODDS_CLOSE)):
        for outcome, target in zip(OUTCOMES, targets, strict=True):
            frame[target] = table[f"{kind}{outcome}"]
    slug = frame[["home_team", "away_team"]].apply(lambda s: s.str.lower().str.replace(r"\W+", "-", regex=True))
    frame.insert(0, "match_id", frame["div"] + "-" + frame["date"].dt.strftime("%Y%m%d") + "-" + slug.iloc[:, 0])
    frame["match_id"] += "-" + slug.iloc[:, 1]
    return frame


class _Clock:
    """Wall and CPU seconds of one step (CPU time shows the cost when other jobs share the machine)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _time(func: Callable[[], T], repeat: int) -> tuple[T, float, float]:
    """Run ``func`` ``repeat`` times (at least once); its last result and the best wall and CPU seconds."""
    walls, cpus = [], []
    for _ in range(max(repeat, 1)):
        clock = _Clock()
        result = func()
        wall, cpu = clock.stop()
        walls.append(wall)
        cpus.append(cpu)
    return result, min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "football-data"))
    parser.add_argument("--repeat", type=int, default=1, help="time each step this many times, keep the best")
    args = parser.parse_args()

    files = sorted(Path(args.data).glob("*/*.csv"))
    frame, load_wall, _ = _time(lambda: load_match_frame(files), 1)
    print(
        f"{len(files)} files, {len(frame)} matches loaded in {load_wall:.1f} s; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}; peak RSS after loading {_peak_rss_mb():.0f} MB"
    )
    arrays, wall, cpu = _time(lambda: match_arrays(frame), args.repeat)
    rows = [("chronological arrays (shared by all groups)", wall, cpu, "")]
    for name in FEATURE_GROUPS:

        def group(name: str = name) -> pd.DataFrame:
            return make_transformer(name).fit(frame).transform(frame, arrays=arrays)

        _, wall, cpu = _time(group, args.repeat)
        rows.append((f"group `{name}`", wall, cpu, str(len(FEATURE_GROUPS[name].columns))))
    for track, groups in TRACKS.items():

        def build(groups: tuple[str, ...] = groups) -> pd.DataFrame:
            return build_features(frame, groups=groups)

        _, wall, cpu = _time(build, args.repeat)
        rows.append((f"build_features, {track} track (end to end)", wall, cpu, str(len(feature_columns(groups)))))

    print("\n| step | wall s | CPU s | features |\n|---|---|---|---|")
    for label, wall, cpu, width in rows:
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {width} |")
    print(f"\npeak RSS {_peak_rss_mb():.0f} MB (loading included)")


if __name__ == "__main__":
    main()
