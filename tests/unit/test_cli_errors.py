"""Errors that teach: what was expected, what there is; one line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soccerpredict.cli import app, main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data"


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite database with SP1 2022/23 and 2023/24 in it."""
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOCCER_DB_URL", f"sqlite:///{tmp_path / 'soccer.db'}")
    files = [str(SAMPLE / "SP1" / f"{season}.csv") for season in ("2223", "2324")]
    assert CliRunner().invoke(app, ["ingest", "football-data", *files]).exit_code == 0
    return tmp_path


def _error(args: list[str], code: int) -> str:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == code, result.output
    return " ".join(result.stderr.split())


@pytest.mark.parametrize("option", ["--seasons", "--train-from"])
@pytest.mark.parametrize("code", ["2023", "23/24", "2325", "324"])
def test_a_season_code_says_the_expected_form(option: str, code: str) -> None:
    message = _error(["backtest", option, code], 2)

    assert f"'{code}' is not a season code" in message
    assert "e.g. 2324 for 2023/24" in message


def test_whoscored_season_is_checked_too() -> None:
    assert "e.g. 2324 for 2023/24" in _error(["ingest", "whoscored", "page.html", "--season", "2021-22"], 2)


def test_a_division_not_in_the_database_lists_the_ones_that_are(loaded: Path) -> None:
    message = _error(["backtest", "--divisions", "E0,SP1", "--seasons", "2324"], 1)

    assert message == "error: division(s) E0 not in the database; it has SP1 (760 matches)"


def test_a_season_not_in_the_database_lists_the_ones_that_are(loaded: Path) -> None:
    message = _error(["backtest", "--seasons", "1920,2324"], 1)

    assert message == "error: season(s) 1920 not in the database for these divisions; it has 2223, 2324"


def test_an_empty_database_says_to_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOCCER_DB_URL", f"sqlite:///{tmp_path / 'soccer.db'}")

    assert "run `soccerpredict ingest football-data PATH` first" in _error(["backtest", "--divisions", "E0"], 1)


def _main(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["soccerpredict", *argv])
    monkeypatch.setenv("COLUMNS", "80")  # narrower than the message: it must still be one line
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    assert out == ""
    assert isinstance(exited.value.code, int)
    return exited.value.code, err


def test_main_prints_a_usage_error_as_one_line_not_a_panel(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _main(["backtest", "--seasons", "2023"], capsys, monkeypatch)

    assert code == 2
    assert err.count("\n") == 1 and "╭" not in err and "Traceback" not in err
    assert err.startswith("error: Invalid value for '--seasons': '2023' is not a season code")
    assert err.rstrip().endswith("(see `soccerpredict backtest --help`)")


def test_main_prints_a_soccerpredict_error_as_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _main(["stage", "no_such_stage", "--params", str(tmp_path / "p.yaml")], capsys, monkeypatch)

    assert code == 1
    assert err.startswith("error: no stage 'no_such_stage'; stages: load_data_from_sources,")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_main_exits_0_after_the_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["soccerpredict", "--version"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("soccerpredict ")
