"""Leakage-safe pre-match features: ratings, goals model, form, head-to-head, rest and market.

Every feature of a match uses only matches of strictly earlier dates. The registry, tracks and
:func:`build_features` live in :mod:`soccerpredict.features.build`; the de-vig methods and the closing-market
benchmark in :mod:`soccerpredict.features.devig` (numpy only). Names load lazily on first access, so
``import soccerpredict.features.devig`` does not import scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from soccerpredict.lazy import lazy_exports

if TYPE_CHECKING:
    from soccerpredict.features.build import (
        FEATURE_GROUPS,
        MARKET_AWARE_GROUPS,
        STATS_ONLY_GROUPS,
        TRACKS,
        FeatureGroup,
        FeatureParams,
        build_features,
        feature_columns,
        make_transformer,
    )
    from soccerpredict.features.devig import market_benchmark_probs, multiplicative_probs, shin_probs
    from soccerpredict.features.elo import EloRatings
    from soccerpredict.features.form import FormFeatures
    from soccerpredict.features.h2h import HeadToHead
    from soccerpredict.features.market import MarketProbabilities
    from soccerpredict.features.ratings import GoalsModel, PiRatings, poisson_outcome_probs
    from soccerpredict.features.rest import RestDays

__all__ = [
    "FEATURE_GROUPS",
    "MARKET_AWARE_GROUPS",
    "STATS_ONLY_GROUPS",
    "TRACKS",
    "EloRatings",
    "FeatureGroup",
    "FeatureParams",
    "FormFeatures",
    "GoalsModel",
    "HeadToHead",
    "MarketProbabilities",
    "PiRatings",
    "RestDays",
    "build_features",
    "feature_columns",
    "make_transformer",
    "market_benchmark_probs",
    "multiplicative_probs",
    "poisson_outcome_probs",
    "shin_probs",
]

#: Submodule -> the names it contributes (a test checks this matches __all__).
_EXPORTS = {
    "build": (
        "FEATURE_GROUPS",
        "MARKET_AWARE_GROUPS",
        "STATS_ONLY_GROUPS",
        "TRACKS",
        "FeatureGroup",
        "FeatureParams",
        "build_features",
        "feature_columns",
        "make_transformer",
    ),
    "devig": ("market_benchmark_probs", "multiplicative_probs", "shin_probs"),
    "elo": ("EloRatings",),
    "form": ("FormFeatures",),
    "h2h": ("HeadToHead",),
    "market": ("MarketProbabilities",),
    "ratings": ("GoalsModel", "PiRatings", "poisson_outcome_probs"),
    "rest": ("RestDays",),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
