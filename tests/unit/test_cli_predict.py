"""`soccerpredict predict` and `soccerpredict cards` against the real facade: the API's numbers, for a terminal.

The facade is the real app on a loopback port (tests/ui_doubles.py), its predictor a stub with fixed answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_doubles import closed_port_url
from typer.testing import CliRunner
from ui_doubles import KEY, MATCHES, serve_facade

from soccerpredict.cli import app


@pytest.fixture(scope="module")
def facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_facade(tmp_path_factory.mktemp("published")) as url:
        yield url


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_predict_prints_what_the_api_returns(facade: str) -> None:
    code, out, _ = _run("predict", MATCHES[0][0], MATCHES[2][0], "--api-url", facade, "--api-key", KEY, "--json")
    assert code == 0
    rows = json.loads(out)["predictions"]
    assert [r["match_id"] for r in rows] == [MATCHES[0][0], MATCHES[2][0]]
    assert (rows[0]["p_home"], rows[0]["p_draw"], rows[0]["p_away"]) == pytest.approx(MATCHES[0][6])
    assert rows[0]["model_version"] == "7"
    code, out, _ = _run("predict", MATCHES[0][0], "--api-url", facade, "--api-key", KEY)
    assert code == 0 and "51.2%" in out and "24.1%" in out and "24.7%" in out


def test_predict_reports_each_failure_and_exits_1(facade: str) -> None:
    code, out, err = _run("predict", MATCHES[1][0], "no-such-match", "--api-url", facade, "--api-key", KEY, "--json")
    assert code == 1
    body = json.loads(out)
    assert [r["match_id"] for r in body["predictions"]] == [MATCHES[1][0]]
    assert body["errors"][0]["match_id"] == "no-such-match"
    assert body["errors"][0]["error"].startswith("The facade does not know this match")
    assert "`soccerpredict cards`" in body["errors"][0]["error"] and "no-such-match" in err


def test_a_refused_key_and_a_facade_that_is_down_say_what_to_do(facade: str, tmp_path: Path) -> None:
    code, _, err = _run("predict", MATCHES[0][0], "--api-url", facade, "--api-key", "wrong")
    assert code == 1 and "refused the API key (401)" in err and "Traceback" not in err
    assert "Pass --api-key" in err and "restart the UI" not in err  # the terminal's words, not the page's
    down = closed_port_url()
    code, _, err = _run("cards", "--api-url", down, "--api-key", KEY)
    assert code == 1 and f"The facade at {down} does not answer, so the prediction cards" in err
    assert "pass --api-url" in err


def test_cards_filter_by_division_and_date_like_the_matches_page(facade: str) -> None:
    code, out, _ = _run("cards", "--api-url", facade, "--api-key", KEY, "--json")
    assert code == 0 and [c["match_id"] for c in json.loads(out)] == [m[0] for m in MATCHES]
    code, out, _ = _run("cards", "--division", "SP1", "--api-url", facade, "--api-key", KEY, "--json")
    assert [c["match_id"] for c in json.loads(out)] == [MATCHES[2][0]]
    code, out, _ = _run("cards", "--date", "2024-08-18", "--division", "E0", "--api-url", facade, "--api-key", KEY)
    assert code == 0 and "Chelsea" in out and "Arsenal" not in out and "1 of 3 cards" in out
    code, out, err = _run("cards", "--date", "2030-01-01", "--api-url", facade, "--api-key", KEY)
    assert code == 0 and "no cards match (published: 3)" in err
