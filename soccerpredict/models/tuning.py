"""Time-aware hyper-parameter tuning: expanding-window folds by season and a seeded Optuna TPE search.

Folds never shuffle: each validation season is scored by a model trained only on the seasons before it,
which is how the model is used (trained on the past, predicting the next season).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from soccerpredict.data.columns import season_start_year as _start_year
from soccerpredict.errors import ConfigError, ModelError
from soccerpredict.models.estimators import DEFAULT_PARAMS, SEARCH_SPACES, make_estimator, suggest_params
from soccerpredict.models.metrics import log_loss

if TYPE_CHECKING:
    import optuna

__all__ = [
    "Fold",
    "TuneResult",
    "cross_validate",
    "ordered_seasons",
    "season_folds",
    "season_start_year",
    "tune",
]

Fold = tuple[np.ndarray, np.ndarray]


def season_start_year(code: str) -> int:
    """Start year of a football-data season code (:func:`soccerpredict.data.columns.season_start_year`), with
    :class:`ModelError` for a malformed code."""
    try:
        return _start_year(code)
    except ValueError as exc:
        raise ModelError(str(exc)) from exc


def ordered_seasons(seasons: Sequence[str] | ArrayLike) -> list[str]:
    """The distinct season codes in chronological order."""
    return sorted({str(s) for s in np.asarray(seasons, dtype=object)}, key=season_start_year)


def season_folds(seasons: Sequence[str] | ArrayLike, n_folds: int, *, train_seasons: int | None = None) -> list[Fold]:
    """Expanding-window folds: validate on each of the last ``n_folds`` seasons, train on every earlier season
    (or, with ``train_seasons``, on at most that many seasons just before it: a sliding window).

    Returns ``(train_idx, valid_idx)`` row positions, oldest validation season first.
    """
    if train_seasons is not None and train_seasons < 1:
        raise ModelError(f"train_seasons must be 1 or more (or None for every earlier season), got {train_seasons}")
    codes = np.asarray([str(s) for s in np.asarray(seasons, dtype=object)])
    order = ordered_seasons(codes)
    if n_folds < 1 or len(order) < n_folds + 1:
        raise ModelError(
            f"{n_folds} season fold(s) need at least {n_folds + 1} seasons, got {len(order)} ({order}); "
            "widen the training window or lower n_folds"
        )
    years = np.array([season_start_year(c) for c in codes])
    folds = []
    for position in range(len(order) - n_folds, len(order)):
        valid_year = season_start_year(order[position])
        first = 0 if train_seasons is None else max(0, position - train_seasons)
        earliest = season_start_year(order[first])
        train = np.flatnonzero((years < valid_year) & (years >= earliest))
        folds.append((train, np.flatnonzero(years == valid_year)))
    return folds


def _rows(X: pd.DataFrame | np.ndarray, idx: np.ndarray) -> pd.DataFrame | np.ndarray:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def cross_validate(
    name: str, params: dict[str, Any], X: pd.DataFrame | np.ndarray, y: np.ndarray, folds: Sequence[Fold], *, seed: int
) -> list[float]:
    """Log-loss of model ``name`` with ``params`` on each fold's validation rows."""
    return _score(name, params, _prepare_folds(name, X, y, folds, seed), seed)


@dataclass(frozen=True)
class _PreparedFold:
    X_train: Any
    y_train: np.ndarray
    X_valid: Any
    y_valid: np.ndarray


def _prepare_folds(
    name: str, X: pd.DataFrame | np.ndarray, y: np.ndarray, folds: Sequence[Fold], seed: int
) -> list[_PreparedFold]:
    """Each fold's rows as the model step sees them.

    A pipeline's preprocessing (the logistic regression's imputer and scaler) is fitted here once per fold instead
    of once per trial: the search spaces vary only the model step, so every trial would fit the same preprocessing
    to the same rows. The scores are the same to the last bit as fitting the whole pipeline per trial.
    """
    from sklearn.pipeline import Pipeline

    prepared = []
    for train_idx, valid_idx in folds:
        X_train, X_valid = _rows(X, train_idx), _rows(X, valid_idx)
        template = make_estimator(name, {}, seed=seed)
        if isinstance(template, Pipeline):
            preprocessing = template[:-1].fit(X_train, y[train_idx])
            X_train, X_valid = preprocessing.transform(X_train), preprocessing.transform(X_valid)
        prepared.append(_PreparedFold(X_train, y[train_idx], X_valid, y[valid_idx]))
    return prepared


def _score(name: str, params: dict[str, Any], prepared: Sequence[_PreparedFold], seed: int) -> list[float]:
    from sklearn.pipeline import Pipeline

    losses = []
    for fold in prepared:
        model = make_estimator(name, params, seed=seed)
        step = model[-1] if isinstance(model, Pipeline) else model
        step.fit(fold.X_train, fold.y_train)
        losses.append(log_loss(step.predict_proba(fold.X_valid), fold.y_valid))
    return losses


@dataclass(frozen=True)
class TuneResult:
    """Outcome of :func:`tune`: the best parameters and the cross-validated log-loss behind them."""

    name: str
    best_params: dict[str, Any]
    cv_log_loss_mean: float
    cv_log_loss_std: float
    fold_log_loss: list[float]
    valid_seasons: list[str]
    seed: int
    trials: list[dict[str, Any]] = field(default_factory=list)
    #: Seasons each fold trained on at most (``None``: every earlier season).
    train_seasons: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for params files, MLflow and the model card)."""
        return asdict(self)


@contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Silence Optuna's per-trial INFO log (the progress bar replaces it), restoring the level afterwards."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def _objective(name: str, prepared: Sequence[_PreparedFold], seed: int) -> Callable[[optuna.Trial], float]:
    def objective(trial: optuna.Trial) -> float:
        losses = _score(name, suggest_params(trial, name), prepared, seed)
        trial.set_user_attr("fold_log_loss", losses)
        return float(np.mean(losses))

    return objective


def _trial_records(study: optuna.Study) -> list[dict[str, Any]]:
    return [
        {
            "number": t.number,
            "state": t.state.name,
            "value": t.value,
            "params": dict(t.params),
            "fold_log_loss": list(t.user_attrs.get("fold_log_loss", [])),
        }
        for t in study.trials
    ]


class _SafetyNet:
    """Fails loudly once a study has run longer than ``max_seconds``; checked after each trial.

    The trial budget is what ends a search; this only catches a search far slower than expected, and it never
    truncates one silently (a truncated search would make the winner depend on the machine's load).
    """

    def __init__(self, n_trials: int, max_seconds: float | None, clock: Callable[[], float]) -> None:
        self.n_trials, self.max_seconds, self.clock = n_trials, max_seconds, clock
        self.start = clock()

    def check(self, name: str, trials_done: int) -> None:
        elapsed = self.clock() - self.start
        if self.max_seconds is not None and elapsed > self.max_seconds:
            raise ModelError(
                f"tuning {name} ran {elapsed:.1f} s, over the safety net tuning.max_seconds={self.max_seconds:g}, "
                f"after {trials_done} of its {self.n_trials} trial(s); budgets are counted in trials, so lower "
                f"tuning.n_trials (or tuning.n_trials_by_model.{name}) or tuning.n_folds for a shorter search, or "
                "raise tuning.max_seconds if this machine is just slower"
            )

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.check(str(study.study_name), len(study.trials))


def _run_study(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    n_trials: int,
    safety_net: _SafetyNet,
    progress: bool,
) -> None:
    if not progress:
        study.optimize(objective, n_trials=n_trials, callbacks=[safety_net])
        return
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task(f"tuning {study.study_name}", total=n_trials)

        def advance(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            best = study.best_value if any(t.value is not None for t in study.trials) else float("nan")
            bar.update(task, advance=1, description=f"tuning {study.study_name} (best log-loss {best:.4f})")

        study.optimize(objective, n_trials=n_trials, callbacks=[advance, safety_net])


def tune(
    name: str,
    X: pd.DataFrame | np.ndarray,
    y: ArrayLike,
    seasons: Sequence[str] | ArrayLike,
    *,
    n_trials: int = 30,
    max_seconds: float | None = None,
    seed: int = 0,
    progress: bool = False,
    n_folds: int = 3,
    train_seasons: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> TuneResult:
    """Tune model ``name`` by mean log-loss over expanding-window season folds with a seeded TPE sampler.

    Exactly ``n_trials`` trials run, so the result is the same for the same data, ``seed`` and thread count
    whatever the machine's load. Trial 0 is always the default parameters, so tuning never returns something
    worse than the defaults on these folds. With ``n_trials=0`` only the defaults are scored.

    Args:
        seasons: season code of each row of ``X``.
        max_seconds: safety net, not a budget: :class:`ModelError` (naming the trials run) once the search has
            taken longer than this, checked after each trial. ``None``: no limit.
        n_folds: number of validation seasons (the latest ones).
        train_seasons: each fold trains on at most this many seasons just before its validation season
            (``None``: every earlier one). A counted way to make each trial cheaper on a long archive: the
            search ranks parameters on recent seasons; the final model still trains on every season.
        clock: seconds of a monotonic clock, for the safety net.
    """
    if name not in SEARCH_SPACES:
        raise ConfigError(f"unknown model {name!r}; choose from {list(SEARCH_SPACES)}")
    if n_trials < 0:
        raise ConfigError(f"n_trials must be 0 or more, got {n_trials}")
    safety_net = _SafetyNet(n_trials, max_seconds, clock)
    labels = np.asarray(y, dtype=np.int64)
    folds = season_folds(seasons, n_folds, train_seasons=train_seasons)
    valid_seasons = ordered_seasons(seasons)[-n_folds:]
    defaults = {key: DEFAULT_PARAMS[name][key] for key in SEARCH_SPACES[name]}
    prepared = _prepare_folds(name, X, labels, folds, seed)
    if n_trials == 0:
        losses = _score(name, defaults, prepared, seed)
        safety_net.check(name, 0)
        return TuneResult(
            name=name,
            best_params=defaults,
            cv_log_loss_mean=float(np.mean(losses)),
            cv_log_loss_std=float(np.std(losses)),
            fold_log_loss=losses,
            valid_seasons=valid_seasons,
            seed=seed,
            train_seasons=train_seasons,
        )
    import optuna

    with _quiet_optuna():
        sampler = optuna.samplers.TPESampler(seed=seed)
        study = optuna.create_study(direction="minimize", sampler=sampler, study_name=name)
        study.enqueue_trial(defaults)
        _run_study(study, _objective(name, prepared, seed), n_trials, safety_net, progress)
    best = study.best_trial
    losses = list(best.user_attrs["fold_log_loss"])
    return TuneResult(
        name=name,
        best_params={**defaults, **best.params},
        cv_log_loss_mean=float(np.mean(losses)),
        cv_log_loss_std=float(np.std(losses)),
        fold_log_loss=losses,
        valid_seasons=valid_seasons,
        seed=seed,
        trials=_trial_records(study),
        train_seasons=train_seasons,
    )
