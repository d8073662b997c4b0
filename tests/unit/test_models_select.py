"""Model selection: lowest CV log-loss, ties to the simpler model."""

from __future__ import annotations

import pytest

from soccerpredict.errors import ModelError
from soccerpredict.models.select import select_model
from soccerpredict.models.tuning import TuneResult


def _result(name: str, loss: float) -> TuneResult:
    return TuneResult(name, {}, loss, 0.01, [loss], ["2223"], 0)


def _results(**losses: float) -> dict[str, TuneResult]:
    return {name: _result(name, loss) for name, loss in losses.items()}


def test_lowest_log_loss_wins() -> None:
    assert select_model(_results(logreg=0.99, hgb=0.97, xgb=0.98)) == "hgb"


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        ({"xgb": 0.97, "hgb": 0.97, "logreg": 0.97}, "logreg"),
        ({"xgb": 0.97, "hgb": 0.97}, "hgb"),
        ({"xgb": 0.97000, "logreg": 0.97005}, "logreg"),  # within the 1e-4 tolerance
        ({"xgb": 0.9700, "logreg": 0.9710}, "xgb"),
    ],
)
def test_ties_go_to_the_simpler_model(losses: dict[str, float], expected: str) -> None:
    assert select_model(_results(**losses)) == expected


def test_unknown_names_rank_after_known_ones() -> None:
    assert select_model(_results(zeta=0.97, xgb=0.97)) == "xgb"
    assert select_model(_results(zeta=0.97, alpha=0.97)) == "alpha"


def test_tolerance_zero_needs_an_exact_tie() -> None:
    assert select_model(_results(xgb=0.97000, logreg=0.97005), tolerance=0.0) == "xgb"


def test_nothing_to_select_is_an_error() -> None:
    with pytest.raises(ModelError):
        select_model({})
