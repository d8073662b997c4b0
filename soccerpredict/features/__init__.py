"""Leakage-safe pre-match features: ratings, goals model, form, head-to-head, rest and market.

Every feature of a match uses only matches of strictly earlier dates. The registry, tracks and
:func:`build_features` live in :mod:`soccerpredict.features.build`.
"""

from __future__ import annotations

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
from soccerpredict.features.elo import EloRatings
from soccerpredict.features.form import FormFeatures
from soccerpredict.features.h2h import HeadToHead
from soccerpredict.features.market import (
    MarketProbabilities,
    market_benchmark_probs,
    multiplicative_probs,
    shin_probs,
)
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
