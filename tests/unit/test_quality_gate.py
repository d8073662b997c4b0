"""The candidate quality gate: beat every non-market baseline on mean RPS, and the named ones significantly."""

from components.evaluation import quality_gate


def _c(diff: float, lo: float, hi: float) -> dict[str, float]:
    return {"rps_diff": diff, "lo": lo, "hi": hi, "n": 1800}


def test_a_model_better_on_mean_and_significantly_better_than_climatology_passes() -> None:
    gate = quality_gate(
        {
            "climatology": _c(-0.03, -0.04, -0.02),
            "elo_logit": _c(-0.002, -0.005, 0.0001),  # better on mean, interval touches zero
            "market": _c(0.005, 0.003, 0.007),  # the market is reported, never a gate
        }
    )
    assert gate["passed"]
    assert gate["rules"] == {"climatology": "significant", "elo_logit": "mean"}


def test_worse_than_a_baseline_on_mean_fails_and_names_it() -> None:
    gate = quality_gate({"climatology": _c(-0.03, -0.04, -0.02), "elo_logit": _c(0.0014, -0.0008, 0.0036)})
    assert not gate["passed"]
    assert gate["beats"] == {"climatology": True, "elo_logit": False}


def test_significance_can_be_required_against_any_baseline() -> None:
    comparisons = {"climatology": _c(-0.03, -0.04, -0.02), "elo_logit": _c(-0.002, -0.005, 0.0001)}
    assert not quality_gate(comparisons, ["climatology", "elo_logit"])["passed"]
    assert not quality_gate({"market": _c(-0.01, -0.02, -0.005)})["passed"]  # no baseline, no candidate
