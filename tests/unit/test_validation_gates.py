"""Each gate passes clean data and catches every injected corruption, naming it."""

import numpy as np
import pandas as pd
import pytest

from soccerpredict.errors import ValidationGateError
from soccerpredict.validation.gates import enforce, features_gate, finished_gate, future_gate, raw_gate

AS_OF = pd.Timestamp("2024-06-01")


def _matches(n: int = 6) -> pd.DataFrame:
    teams = [f"Team {i}" for i in range(2 * n)]
    dates = pd.date_range("2024-01-06", periods=n, freq="7D")
    home_goals = np.arange(n) % 3
    away_goals = np.arange(n) % 2
    return pd.DataFrame(
        {
            "match_id": [f"E0-{d:%Y%m%d}-{i}" for i, d in enumerate(dates)],
            "div": "E0",
            "season": "2324",
            "date": dates,
            "kickoff_time": None,
            "home_team": teams[:n],
            "away_team": teams[n:],
            "status": "finished",
            "fthg": pd.array(home_goals, dtype="Int64"),
            "ftag": pd.array(away_goals, dtype="Int64"),
            "hthg": pd.array([0] * n, dtype="Int64"),
            "htag": pd.array([0] * n, dtype="Int64"),
            "ftr": np.select([home_goals > away_goals, home_goals < away_goals], ["H", "A"], "D"),
            "odds_pre_avg_home": 2.1,
            "odds_pre_avg_draw": 3.3,
            "odds_pre_avg_away": 3.6,
        }
    )


def _fixtures() -> pd.DataFrame:
    frame = _matches(3)
    frame["date"] = pd.date_range("2024-06-08", periods=3, freq="7D")
    frame["status"] = "scheduled"
    for column in ("fthg", "ftag", "hthg", "htag"):
        frame[column] = pd.array([pd.NA] * 3, dtype="Int64")
    frame["ftr"] = None
    return frame


def _failed(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {f"{f.expectation}:{f.column}" for f in result.failures}


def test_clean_data_passes_every_gate() -> None:
    assert raw_gate(_matches()).success
    assert finished_gate(_matches(), as_of=AS_OF).success
    assert future_gate(_fixtures(), as_of=AS_OF).success
    features = pd.DataFrame({"match_id": ["a", "b", "c"], "elo_diff": [1.0, -3.0, np.nan]})
    assert features_gate(features, ["elo_diff"]).success


def test_duplicated_match_is_caught_with_its_id() -> None:
    frame = _matches()
    frame = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    result = raw_gate(frame)
    assert "expect_column_values_to_be_unique:match_id" in _failed(result)
    failure = next(f for f in result.failures if f.column == "match_id")
    assert frame.loc[2, "match_id"] in failure.examples


def test_each_failure_names_the_match_ids_of_its_first_rows_whatever_the_frame_index() -> None:
    frame = _matches(8)
    frame.loc[[1, 5], "fthg"] = 20  # an impossible score
    frame.loc[3, "home_team"] = frame.loc[3, "away_team"]  # a team against itself
    frame.loc[[6, 7], "odds_pre_avg_home"] = 1.0  # a price below 1.01
    frame.index = np.arange(100, 108)[::-1]  # a frame's own labels are not row positions
    examples = {f"{f.expectation}:{f.column}": f.examples for f in finished_gate(frame, as_of=AS_OF).failures}
    ids = frame["match_id"].tolist()
    assert examples["expect_column_values_to_be_between:fthg"] == [ids[1], ids[5]]
    assert examples["expect_column_values_to_be_in_set:_home_is_not_away"] == [ids[3]]
    assert examples["expect_column_values_to_be_between:odds_pre_avg_home"] == [ids[6], ids[7]]


def test_a_frame_without_ids_shows_the_unexpected_values() -> None:
    result = features_gate(pd.DataFrame({"x": [1.0, np.inf, 2.0]}), ["x"])
    failure = next(f for f in result.failures if f.column == "_no_infinite_values")
    assert failure.unexpected_count == 1 and failure.examples == [False]


@pytest.mark.parametrize("goals", [-1, 16])
def test_impossible_score_is_caught(goals: int) -> None:
    frame = _matches()
    frame.loc[1, "fthg"] = goals
    assert "expect_column_values_to_be_between:fthg" in _failed(finished_gate(frame, as_of=AS_OF))


def test_result_that_contradicts_the_score_is_caught() -> None:
    frame = _matches()
    frame.loc[0, "ftr"] = "A"  # the score is 0-0
    assert "expect_column_values_to_be_in_set:_result_matches_score" in _failed(raw_gate(frame))


def test_odds_below_one_are_caught() -> None:
    frame = _matches()
    frame.loc[3, "odds_pre_avg_draw"] = 0.95
    assert "expect_column_values_to_be_between:odds_pre_avg_draw" in _failed(raw_gate(frame))


def test_future_date_among_finished_matches_is_caught() -> None:
    frame = _matches()
    frame.loc[4, "date"] = pd.Timestamp("2030-01-01")
    assert "expect_column_values_to_be_in_set:_not_in_future" in _failed(finished_gate(frame, as_of=AS_OF))


def test_team_on_both_sides_is_caught() -> None:
    frame = _matches()
    frame.loc[2, "away_team"] = frame.loc[2, "home_team"]
    assert "expect_column_values_to_be_in_set:_home_is_not_away" in _failed(raw_gate(frame))


def test_team_in_two_matches_on_one_day_is_caught() -> None:
    frame = _matches()
    frame.loc[3, "date"] = frame.loc[2, "date"]
    frame.loc[3, "home_team"] = frame.loc[2, "away_team"]
    assert "expect_column_values_to_be_in_set:_one_match_per_team_per_day" in _failed(raw_gate(frame))


def test_feature_column_full_of_nan_is_caught() -> None:
    features = pd.DataFrame({"match_id": ["a", "b", "c"], "elo_diff": [1.0, 2.0, 3.0], "form_5": np.nan})
    assert "expect_column_values_to_not_be_null:form_5" in _failed(features_gate(features, ["elo_diff", "form_5"]))


def test_missing_or_infinite_features_are_caught() -> None:
    features = pd.DataFrame({"match_id": ["a", "b"], "elo_diff": [1.0, np.inf]})
    failed = _failed(features_gate(features, ["elo_diff", "rest_days"]))
    assert "feature columns present:None" in failed
    assert "expect_column_values_to_be_in_set:_no_infinite_values" in failed


def test_fixture_with_a_result_or_in_the_past_is_caught() -> None:
    frame = _fixtures()
    frame.loc[0, "fthg"] = 1
    frame.loc[1, "date"] = pd.Timestamp("2024-05-01")
    failed = _failed(future_gate(frame, as_of=AS_OF))
    assert {
        "expect_column_values_to_be_in_set:_no_result_yet",
        "expect_column_values_to_be_in_set:_not_in_past",
    } <= failed


def test_enforce_raises_with_a_report_naming_each_failure() -> None:
    frame = _matches()
    frame.loc[2, "away_team"] = frame.loc[2, "home_team"]
    with pytest.raises(ValidationGateError, match="_home_is_not_away") as info:
        enforce(raw_gate(frame))
    assert info.value.report["success"] is False


def _with_fixtures() -> pd.DataFrame:
    fixtures = _fixtures()
    fixtures["match_id"] = [f"E0-{d:%Y%m%d}-fixture-{i}" for i, d in enumerate(fixtures["date"])]
    return pd.concat([_matches(), fixtures], ignore_index=True)


def test_raw_gate_accepts_fixtures_among_finished_matches() -> None:
    # The real archive has one: G1 2018/19 Panathinaikos-Olympiakos, never played, so no score and no result.
    result = raw_gate(_with_fixtures())
    assert result.success, [str(f) for f in result.failures]


def test_result_check_ignores_rows_without_a_score_but_catches_the_rest() -> None:
    frame = _with_fixtures()
    frame.loc[0, "ftr"] = "A" if frame.loc[0, "ftr"] != "A" else "H"
    result = raw_gate(frame)
    assert not result.success
    assert any("_result_matches_score" in str(f) for f in result.failures)
