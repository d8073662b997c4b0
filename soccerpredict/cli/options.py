"""The options and choices several commands share, and the callbacks that check them before any work."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from soccerpredict.artifacts import ALIAS_CANDIDATE, ALIAS_CHAMPION
from soccerpredict.cli.output import console
from soccerpredict.data.columns import is_season_code

__all__ = [
    "Experiment",
    "FeatureGroupName",
    "JsonOutput",
    "LocalRunner",
    "Model",
    "OddsSourceName",
    "PromoteAlias",
    "RejectionsOut",
    "Track",
    "names",
    "one_of",
    "season_codes",
    "split",
]


class LocalRunner(enum.StrEnum):
    """Where `pipeline run --local` runs each component."""

    subprocess = "subprocess"
    docker = "docker"


# The choices below mirror their homes (MODEL_NAMES, TRACKS, FEATURE_GROUPS, conf/experiment/, ODDS_SOURCES)
# without importing them, so `--help` stays fast; tests/unit/test_cli_choices.py checks they agree.
class Model(enum.StrEnum):
    """`backtest --model`: soccerpredict.models.estimators.MODEL_NAMES."""

    logreg = "logreg"
    hgb = "hgb"
    xgb = "xgb"


class Track(enum.StrEnum):
    """`backtest --tracks`: soccerpredict.features.build.TRACKS."""

    stats_only = "stats_only"
    market_aware = "market_aware"


class FeatureGroupName(enum.StrEnum):
    """`backtest --drop-groups`: soccerpredict.features.build.FEATURE_GROUPS."""

    elo = "elo"
    pi = "pi"
    goals_model = "goals_model"
    shots_model = "shots_model"
    form = "form"
    h2h = "h2h"
    rest = "rest"
    market = "market"


class Experiment(enum.StrEnum):
    """conf/experiment/<name>.yaml."""

    smoke = "smoke"
    default = "default"
    test = "test"
    full = "full"
    cluster = "cluster"


class OddsSourceName(enum.StrEnum):
    """`ingest odds --source`: soccerpredict.data.sources.odds.ODDS_SOURCES."""

    football_data_fixtures = "football-data-fixtures"


class PromoteAlias(enum.StrEnum):
    """`registry promote --to`: the aliases a human may set."""

    champion = ALIAS_CHAMPION
    candidate = ALIAS_CANDIDATE


def _set_json_mode(enabled: bool) -> bool:
    # An option callback runs before the command body, so the progress bars and tables printed on the way
    # already go to stderr; it runs with False too, which resets the console between invocations.
    console.stderr = enabled
    return enabled


JsonOutput = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=_set_json_mode,
        help="Print the result as one JSON document on stdout (stable keys); what people read goes to stderr.",
    ),
]


RejectionsOut = Annotated[
    Path | None, typer.Option(help="CSV file for every rejected row (default: under SOCCER_HOME/reports).")
]


def one_of(choices: type[enum.StrEnum], what: str) -> Callable[[str | None], str | None]:
    """An option callback: a comma separated list whose items are all ``choices``, checked before any work."""

    def check(value: str | None) -> str | None:
        unknown = [item for item in split(value) if item not in set(choices)]
        if unknown:
            raise typer.BadParameter(f"unknown {what} {', '.join(unknown)}; choose from {names(choices)}")
        return value

    return check


def names(choices: type[enum.StrEnum]) -> str:
    """The choices' values, comma separated (for a help text)."""
    return ", ".join(member.value for member in choices)


def split(value: str | None) -> list[str]:
    """The items of a comma separated option, stripped; none for None."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def season_codes(value: str | None) -> str | None:
    """An option callback: every comma separated item is a football-data season code such as ``2324``."""
    wrong = [code for code in split(value) if not is_season_code(code)]
    if wrong:
        raise typer.BadParameter(
            f"{', '.join(repr(code) for code in wrong)} is not a season code: expected the last two digits of the "
            "start and end years, e.g. 2324 for 2023/24 (9900 for 1999/2000)"
        )
    return value
