"""Synthetic matches whose true outcome probabilities are known, shared by the models tests.

A latent home-minus-away strength ``s`` drives an ordered logit: P(away) = sigmoid(c1 - s), P(away or draw)
= sigmoid(c2 - s). The features are noisy views of ``s``, so tests know the best achievable forecast.
Other test modules import :func:`synthetic_matches` from here (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Thresholds giving roughly 45% home wins, 27% draws, 28% away wins at s = 0.
CUT_AWAY = -0.95
CUT_DRAW = 0.2
#: The second division draws more often (a wider draw band), so per-division base rates differ.
DIVISION_DRAW_SHIFT = {"E0": 0.0, "I1": 0.35}


def ordered_logit_probs(strength: np.ndarray, draw_shift: np.ndarray | float = 0.0) -> np.ndarray:
    """True ``(n, 3)`` H/D/A probabilities of the ordered logit."""
    away = 1.0 / (1.0 + np.exp(-(CUT_AWAY - strength)))
    away_or_draw = 1.0 / (1.0 + np.exp(-(CUT_DRAW + draw_shift - strength)))
    return np.column_stack([1.0 - away_or_draw, away_or_draw - away, away])


@dataclass(frozen=True)
class Synthetic:
    """Features, labels, metadata and the true probabilities of synthetic matches."""

    X: pd.DataFrame
    y: np.ndarray
    meta: pd.DataFrame
    true_probs: np.ndarray


def season_codes(first_year: int, n_seasons: int) -> list[str]:
    """Football-data season codes from ``first_year`` ("1718", "1819", ...)."""
    return [f"{(first_year + i) % 100:02d}{(first_year + i + 1) % 100:02d}" for i in range(n_seasons)]


def synthetic_matches(
    n_seasons: int = 5, per_season: int = 400, *, seed: int = 0, first_year: int = 2017, nan_share: float = 0.05
) -> Synthetic:
    """Matches of ``n_seasons`` seasons in two divisions, in date order."""
    rng = np.random.default_rng(seed)
    n = n_seasons * per_season
    strength = rng.normal(0.0, 1.0, n)
    div = rng.choice(list(DIVISION_DRAW_SHIFT), n)
    true_probs = ordered_logit_probs(strength, np.vectorize(DIVISION_DRAW_SHIFT.get)(div))
    y = np.array([rng.choice(3, p=p) for p in true_probs])
    seasons = np.repeat(season_codes(first_year, n_seasons), per_season)
    start = np.repeat([np.datetime64(f"{first_year + i}-08-01") for i in range(n_seasons)], per_season)
    dates = start + np.tile(np.sort(rng.integers(0, 280, per_season)), n_seasons).astype("timedelta64[D]")
    X = pd.DataFrame(
        {
            "elo_diff": 200.0 * strength + rng.normal(0.0, 40.0, n),
            "form_diff": 0.5 * strength + rng.normal(0.0, 1.0, n),
            "noise": rng.normal(0.0, 1.0, n),
        }
    )
    X.loc[rng.random(n) < nan_share, "form_diff"] = np.nan
    meta = pd.DataFrame({"match_id": [f"M{i}" for i in range(n)], "season": seasons, "div": div, "date": dates})
    return Synthetic(X, y, meta, true_probs)


def test_synthetic_is_deterministic_for_a_seed() -> None:
    a, b = synthetic_matches(seed=3), synthetic_matches(seed=3)
    pd.testing.assert_frame_equal(a.X, b.X)
    assert (a.y == b.y).all()


def test_true_probabilities_are_a_distribution_per_row() -> None:
    data = synthetic_matches(n_seasons=2, per_season=200)
    assert data.true_probs.shape == (400, 3)
    assert np.allclose(data.true_probs.sum(axis=1), 1.0)
    assert (data.true_probs > 0).all()


def test_outcome_rates_look_like_football() -> None:
    rates = np.bincount(synthetic_matches(n_seasons=4, per_season=1000).y, minlength=3) / 4000
    assert 0.38 < rates[0] < 0.52 and 0.2 < rates[1] < 0.34 and 0.22 < rates[2] < 0.36


def test_season_codes_cross_the_century() -> None:
    assert season_codes(1998, 3) == ["9899", "9900", "0001"]
