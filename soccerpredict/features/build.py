"""The feature registry (one home for the feature list) and :func:`build_features`.

Groups, in registry order, with their transformers:

    elo          EloRatings           Elo ratings, one pool across divisions
    pi           PiRatings            pi-ratings (venue-specific)
    goals_model  GoalsModel           time-decayed Poisson attack/defence model (also a baseline)
    shots_model  ShotsModel           the same model on shots on target (NaN where no statistics exist)
    form         FormFeatures         rolling / EWM means of each club's statistics
    h2h          HeadToHead           earlier meetings of the two clubs
    rest         RestDays             days since each club's previous match
    market       MarketProbabilities  de-vigged pre-match average odds (market-aware track only)

Tracks: ``stats_only`` = every group but ``market``; ``market_aware`` = every group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd
from sklearn.utils._param_validation import InvalidParameterError

from soccerpredict.data.columns import MATCH_ID
from soccerpredict.errors import ConfigError
from soccerpredict.features.base import MatchFrameTransformer, match_arrays, require_columns
from soccerpredict.features.elo import EloRatings
from soccerpredict.features.form import FormFeatures
from soccerpredict.features.h2h import HeadToHead
from soccerpredict.features.market import MarketProbabilities
from soccerpredict.features.ratings import GoalsModel, PiRatings, ShotsModel
from soccerpredict.features.rest import RestDays

__all__ = [
    "FEATURE_GROUPS",
    "MARKET_AWARE_GROUPS",
    "STATS_ONLY_GROUPS",
    "TRACKS",
    "FeatureGroup",
    "FeatureParams",
    "build_features",
    "feature_columns",
    "make_transformer",
]


@dataclass(frozen=True, slots=True)
class FeatureGroup:
    """A named feature group: its transformer class and its fixed output columns."""

    name: str
    transformer: type[MatchFrameTransformer]
    description: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The group's feature columns, in output order."""
        return self.transformer.feature_names

    @property
    def uses_market(self) -> bool:
        """Whether the group reads bookmaker odds (excluded from the stats-only track)."""
        return self.name == "market"


FEATURE_GROUPS: Mapping[str, FeatureGroup] = MappingProxyType(
    {
        group.name: group
        for group in (
            FeatureGroup("elo", EloRatings, "Elo ratings, one pool across divisions"),
            FeatureGroup("pi", PiRatings, "pi-ratings (Constantinou & Fenton 2013)"),
            FeatureGroup("goals_model", GoalsModel, "time-decayed Poisson attack/defence model"),
            FeatureGroup("shots_model", ShotsModel, "the same Poisson model on shots on target"),
            FeatureGroup("form", FormFeatures, "rolling and EWM means of each club's statistics"),
            FeatureGroup("h2h", HeadToHead, "earlier meetings of the two clubs"),
            FeatureGroup("rest", RestDays, "days since each club's previous match"),
            FeatureGroup("market", MarketProbabilities, "de-vigged pre-match average odds"),
        )
    }
)
STATS_ONLY_GROUPS: tuple[str, ...] = tuple(name for name, group in FEATURE_GROUPS.items() if not group.uses_market)
MARKET_AWARE_GROUPS: tuple[str, ...] = tuple(FEATURE_GROUPS)
TRACKS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"stats_only": STATS_ONLY_GROUPS, "market_aware": MARKET_AWARE_GROUPS}
)


def _check_groups(groups: Sequence[str]) -> tuple[str, ...]:
    """The groups without duplicates, in the given order; :class:`ConfigError` on an unknown name."""
    if isinstance(groups, str):
        groups = [groups]
    unknown = [g for g in groups if g not in FEATURE_GROUPS]
    if unknown:
        raise ConfigError(f"unknown feature group(s) {unknown}; choose from {list(FEATURE_GROUPS)}")
    return tuple(dict.fromkeys(groups))


def feature_columns(groups: Sequence[str] = MARKET_AWARE_GROUPS) -> list[str]:
    """The feature columns of ``groups``, in the order :func:`build_features` returns them."""
    return [column for name in _check_groups(groups) for column in FEATURE_GROUPS[name].columns]


@dataclass(frozen=True, kw_only=True)
class FeatureParams:
    """Keyword arguments of each group's transformer; an omitted argument keeps the transformer's default.

    ``FeatureParams(elo={"k": 20}, form={"ewm_halflife": 3})``. Unknown groups, arguments or invalid
    values raise :class:`ConfigError` at construction.
    """

    elo: Mapping[str, Any] = field(default_factory=dict)
    pi: Mapping[str, Any] = field(default_factory=dict)
    goals_model: Mapping[str, Any] = field(default_factory=dict)
    shots_model: Mapping[str, Any] = field(default_factory=dict)
    form: Mapping[str, Any] = field(default_factory=dict)
    h2h: Mapping[str, Any] = field(default_factory=dict)
    rest: Mapping[str, Any] = field(default_factory=dict)
    market: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in FEATURE_GROUPS:
            _validate(make_transformer(name, self))

    def for_group(self, name: str) -> Mapping[str, Any]:
        """The keyword arguments given for group ``name``."""
        return dict(getattr(self, _check_groups([name])[0]))

    def to_flat_dict(self) -> dict[str, Any]:
        """Every parameter of every group, defaults included, as ``{"group.param": value}`` (for run logs)."""
        return {
            f"{name}.{key}": value
            for name in FEATURE_GROUPS
            for key, value in sorted(make_transformer(name, self).get_params().items())
        }


def make_transformer(name: str, params: FeatureParams | None = None) -> MatchFrameTransformer:
    """An unfitted transformer for group ``name`` with the parameters of ``params``."""
    group = FEATURE_GROUPS[_check_groups([name])[0]]
    kwargs = getattr(params, name) if params is not None else {}
    try:
        return group.transformer(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"feature group {name!r}: {exc}; see {group.transformer.__name__}'s arguments") from exc


def _validate(transformer: MatchFrameTransformer) -> None:
    """Check a transformer's parameters against its declared constraints; :class:`ConfigError` if invalid."""
    try:
        transformer._validate_params()
    except InvalidParameterError as exc:
        raise ConfigError(f"{type(transformer).__name__}: {exc}") from exc


def build_features(
    frame: pd.DataFrame, *, groups: Sequence[str] = MARKET_AWARE_GROUPS, params: FeatureParams | None = None
) -> pd.DataFrame:
    """``match_id`` and the features of ``groups`` for every match of ``frame``, on the frame's index.

    Each match's features use only matches of strictly earlier dates found in ``frame``: pass the full
    history (finished matches and the fixtures to predict) in one frame.
    """
    names = _check_groups(groups)
    params = params if params is not None else FeatureParams()
    require_columns(frame, (MATCH_ID,), what="build_features")
    transformers = [make_transformer(name, params).fit(frame) for name in names]
    arrays = match_arrays(frame) if any(t.needs_arrays for t in transformers) and len(frame) else None
    parts = [frame[[MATCH_ID]]] + [t.transform(frame, arrays=arrays) for t in transformers]
    return pd.concat(parts, axis=1, copy=False)
