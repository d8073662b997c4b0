"""Column names shared by the parser, the database, the snapshots and the features.

One home for these names: everything that reads or writes a match frame imports them.

A *match frame* is a pandas DataFrame with one row per match:

- identity: ``match_id`` (``{div}-{yyyymmdd}-{home-slug}-{away-slug}`` over canonical team names),
  ``div``, ``season`` (football-data code, e.g. ``"2324"``), ``date`` (datetime64, midnight),
  ``kickoff_time`` (``"HH:MM"`` UK time or missing), ``home_team``, ``away_team`` (canonical names),
  ``status`` (``"finished"`` or ``"scheduled"``)
- result: ``fthg``, ``ftag``, ``hthg``, ``htag`` (nullable Int64), ``ftr``, ``htr`` (``H``/``D``/``A`` or missing),
  ``referee``
- statistics (nullable Int64; missing where the source has none): :data:`STAT_COLUMNS`
- odds in wide form (float, missing where absent): :data:`ODDS_WIDE_COLUMNS`

Odds in long form (one row per match, bookmaker and kind) use :data:`ODDS_COLUMNS`.
"""

from __future__ import annotations

from typing import Final

MATCH_ID: Final = "match_id"

IDENTITY_COLUMNS: Final = (
    "match_id",
    "div",
    "season",
    "date",
    "kickoff_time",
    "home_team",
    "away_team",
    "status",
)
RESULT_COLUMNS: Final = ("fthg", "ftag", "hthg", "htag", "ftr", "htr", "referee")

#: football-data column -> match-frame column, for the per-match statistics.
STAT_SOURCE_COLUMNS: Final = {
    "HS": "home_shots",
    "AS": "away_shots",
    "HST": "home_shots_on_target",
    "AST": "away_shots_on_target",
    "HF": "home_fouls",
    "AF": "away_fouls",
    "HC": "home_corners",
    "AC": "away_corners",
    "HY": "home_yellow",
    "AY": "away_yellow",
    "HR": "home_red",
    "AR": "away_red",
}
STAT_COLUMNS: Final = tuple(STAT_SOURCE_COLUMNS.values())

MATCH_COLUMNS: Final = IDENTITY_COLUMNS + RESULT_COLUMNS + STAT_COLUMNS

#: Long-form odds: kind is "pre" (pre-match, collected days before kick-off) or "close" (closing).
ODDS_COLUMNS: Final = ("match_id", "bookmaker", "kind", "home", "draw", "away")
ODDS_KINDS: Final = ("pre", "close")
#: Aggregates are stored as pseudo-bookmakers.
MARKET_AVG: Final = "market_avg"
MARKET_MAX: Final = "market_max"
PINNACLE: Final = "PS"

#: Wide odds on a match frame: the market average before the match (a feature, known days ahead),
#: and the closing benchmark (Pinnacle closing where present, else the market-average closing;
#: never a feature: it is only known at kick-off).
ODDS_PRE_AVG: Final = ("odds_pre_avg_home", "odds_pre_avg_draw", "odds_pre_avg_away")
ODDS_CLOSE: Final = ("odds_close_home", "odds_close_draw", "odds_close_away")
ODDS_WIDE_COLUMNS: Final = ODDS_PRE_AVG + ODDS_CLOSE

OUTCOMES: Final = ("H", "D", "A")
FINISHED: Final = "finished"
SCHEDULED: Final = "scheduled"


def is_season_code(code: str) -> bool:
    """Whether ``code`` is a football-data season code: the start and end years' last two digits ("2324", "9900")."""
    return len(code) == 4 and code.isdigit() and (int(code[:2]) + 1) % 100 == int(code[2:])


def season_start_year(code: str) -> int:
    """Start year of a football-data season code ("9394" -> 1993, "0001" -> 2000, "2324" -> 2023).

    Codes do not sort as strings across 1999/2000: sort by this. ValueError for anything but four digits.
    """
    if len(code) != 4 or not code.isdigit():
        raise ValueError(f"season code must be four digits such as '2324', got {code!r}")
    first = int(code[:2])
    return 1900 + first if first >= 50 else 2000 + first
