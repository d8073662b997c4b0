"""The candidate models: one factory, their default parameters and their Optuna search spaces.

:data:`MODEL_NAMES` lists the candidates simplest first; that order is also the tie-break of
:func:`soccerpredict.models.select.select_model`. Search spaces are declarative (:class:`Dist`) so this module
imports neither xgboost nor optuna until a model is actually built or tuned.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal

from soccerpredict.errors import ConfigError

if TYPE_CHECKING:
    import optuna
    from sklearn.base import BaseEstimator

__all__ = [
    "DEFAULT_PARAMS",
    "MODEL_NAMES",
    "SEARCH_SPACES",
    "Dist",
    "make_estimator",
    "sample_weight_kwargs",
    "suggest_params",
]

#: Candidate models, simplest first (the tie-break order of model selection).
MODEL_NAMES: Final = ("logreg", "hgb", "xgb")

#: xgboost threads: the CI runners and the pipeline pods have two cores.
XGB_N_JOBS: Final = 2


@dataclass(frozen=True, slots=True)
class Dist:
    """One hyper-parameter's search range: ``float`` or ``int`` in ``[low, high]`` (log-uniform when ``log``)."""

    kind: Literal["float", "int"]
    low: float
    high: float
    log: bool = False


DEFAULT_PARAMS: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "logreg": MappingProxyType({"C": 1.0, "max_iter": 1000}),
        "hgb": MappingProxyType(
            {
                "learning_rate": 0.05,
                "max_iter": 200,
                "max_leaf_nodes": 15,
                "min_samples_leaf": 50,
                "l2_regularization": 1.0,
            }
        ),
        "xgb": MappingProxyType(
            {
                "learning_rate": 0.05,
                "n_estimators": 300,
                "max_depth": 3,
                "min_child_weight": 5.0,
                "subsample": 0.8,
                "colsample_bytree": 0.8,
                "reg_lambda": 1.0,
            }
        ),
    }
)

#: Optuna search space per model. Every default above lies inside its range, so trial 0 can be the defaults.
SEARCH_SPACES: Final[Mapping[str, Mapping[str, Dist]]] = MappingProxyType(
    {
        "logreg": MappingProxyType({"C": Dist("float", 1e-3, 10.0, log=True)}),
        "hgb": MappingProxyType(
            {
                "learning_rate": Dist("float", 0.01, 0.3, log=True),
                "max_iter": Dist("int", 50, 500),
                "max_leaf_nodes": Dist("int", 4, 63),
                "min_samples_leaf": Dist("int", 10, 300, log=True),
                "l2_regularization": Dist("float", 1e-3, 10.0, log=True),
            }
        ),
        "xgb": MappingProxyType(
            {
                "learning_rate": Dist("float", 0.01, 0.3, log=True),
                "n_estimators": Dist("int", 50, 600),
                "max_depth": Dist("int", 2, 6),
                "min_child_weight": Dist("float", 1.0, 50.0, log=True),
                "subsample": Dist("float", 0.5, 1.0),
                "colsample_bytree": Dist("float", 0.5, 1.0),
                "reg_lambda": Dist("float", 1e-3, 10.0, log=True),
            }
        ),
    }
)


def _check_name(name: str) -> None:
    if name not in MODEL_NAMES:
        raise ConfigError(f"unknown model {name!r}; choose from {list(MODEL_NAMES)}")


def suggest_params(trial: optuna.Trial, name: str) -> dict[str, Any]:
    """Draw one parameter set for model ``name`` from its search space."""
    _check_name(name)
    params: dict[str, Any] = {}
    for key, dist in SEARCH_SPACES[name].items():
        if dist.kind == "int":
            params[key] = trial.suggest_int(key, int(dist.low), int(dist.high), log=dist.log)
        else:
            params[key] = trial.suggest_float(key, dist.low, dist.high, log=dist.log)
    return params


def _build(name: str, params: dict[str, Any], seed: int) -> BaseEstimator:
    if name == "logreg":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        # lbfgs on three classes fits the multinomial (softmax) model; the indicator keeps "was missing" as signal.
        return Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                ("scale", StandardScaler()),
                ("model", LogisticRegression(solver="lbfgs", **params)),
            ]
        )
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        # No early stopping: its validation split is random, not time-ordered, and would make the tuning dishonest.
        return HistGradientBoostingClassifier(early_stopping=False, random_state=seed, **params)
    from soccerpredict.models.anchored import MarketAnchoredXGBClassifier

    # On the market-aware track the boosting starts from the pre-match odds; elsewhere it is plain XGBoost.
    return MarketAnchoredXGBClassifier(
        objective="multi:softprob",
        tree_method="hist",
        eval_metric="mlogloss",
        n_jobs=XGB_N_JOBS,
        random_state=seed,
        **params,
    )


def _valid_keys(name: str, estimator: BaseEstimator) -> set[str]:
    if name == "logreg":
        return {key.removeprefix("model__") for key in estimator.get_params() if key.startswith("model__")}
    return set(estimator.get_params())


def sample_weight_kwargs(name: str, weights: Any) -> dict[str, Any]:
    """``fit`` keyword arguments that pass per-row weights to the estimator ``make_estimator(name)`` builds
    (``logreg`` is a pipeline: its weights go to the model step)."""
    _check_name(name)
    return {"model__sample_weight": weights} if name == "logreg" else {"sample_weight": weights}


def make_estimator(name: str, params: Mapping[str, Any] | None = None, *, seed: int = 0) -> BaseEstimator:
    """An unfitted estimator ``name`` with :data:`DEFAULT_PARAMS` updated by ``params``.

    Args:
        name: one of :data:`MODEL_NAMES`.
        params: parameters of the underlying model (for ``logreg``, of the ``LogisticRegression`` step).
        seed: ``random_state`` of the tree models, so fits are reproducible.
    """
    _check_name(name)
    merged = {**DEFAULT_PARAMS[name], **(params or {})}
    estimator = _build(name, {}, seed)
    unknown = sorted(set(merged) - _valid_keys(name, estimator))
    if unknown:
        raise ConfigError(f"model {name!r} has no parameter(s) {unknown}; check the model section of params.yaml")
    return _build(name, merged, seed)
