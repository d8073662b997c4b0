"""`--version`, and the CLI's choices: the same as their homes, shown in --help, refused before any work starts."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soccerpredict.artifacts import ALIAS_CANDIDATE, ALIAS_CHAMPION
from soccerpredict.cli import app, options
from soccerpredict.data.sources.odds import ODDS_SOURCES
from soccerpredict.features.build import FEATURE_GROUPS, TRACKS
from soccerpredict.models.estimators import MODEL_NAMES
from soccerpredict.params import CONF_DIR


def test_version_is_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"soccerpredict {version('soccerpredict')}\n"


@pytest.mark.parametrize(
    ("choices", "home"),
    [
        (options.Model, MODEL_NAMES),
        (options.Track, tuple(TRACKS)),
        (options.FeatureGroupName, tuple(FEATURE_GROUPS)),
        (options.OddsSourceName, tuple(ODDS_SOURCES)),
        (options.PromoteAlias, (ALIAS_CHAMPION, ALIAS_CANDIDATE)),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_choices_are_those_of_their_home(choices: type, home: tuple[str, ...]) -> None:
    assert [member.value for member in choices] == list(home)


def test_experiments_are_the_files_in_conf_experiment() -> None:
    files = {p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml")}
    assert {e.value for e in options.Experiment} == files


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["backtest"], ["logreg", "hgb", "xgb", "stats_only", "market_aware", "h2h", "2324"]),
        (["params", "compose"], ["smoke", "default", "full", "cluster"]),
        (["ingest", "odds"], ["football-data-fixtures"]),
        (["registry", "promote"], ["champion", "candidate"]),
    ],
)
def test_help_shows_the_choices(command: list[str], shown: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for choice in shown:
        assert choice in result.stdout, choice


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "--model", "rf"], "'rf' is not one of 'logreg', 'hgb', 'xgb'"),
        (["backtest", "--tracks", "stats_only,odds_only"], "unknown track odds_only; choose from stats_only,"),
        (["backtest", "--drop-groups", "h2h,weather"], "unknown feature group weather; choose from elo, pi,"),
        (["params", "compose", "--experiment", "huge"], "'huge' is not one of 'smoke', 'default'"),
        (["ingest", "odds", "--source", "betfair"], "'betfair' is not one of 'football-data-fixtures'"),
        (["registry", "promote", "--version", "1", "--to", "smoke"], "'smoke' is not one of 'champion', 'candidate'"),
    ],
)
def test_a_wrong_choice_is_refused_before_any_work(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))

    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})

    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert not (tmp_path / "home").exists()  # no database, registry or report was touched
