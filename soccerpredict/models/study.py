"""The walk-forward study behind ``soccerpredict backtest``: both tracks, the baselines and the market, side by side.

Pure: it takes a match frame (finished matches, with closing odds where known) and returns every
per-match prediction and the comparison tables; reading the database and writing reports is the
caller's job. Each test season is predicted by models trained only on strictly earlier seasons, and
every feature of a match uses only matches that kicked off before it (``soccerpredict.features``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from soccerpredict.data.columns import FINISHED, OUTCOMES
from soccerpredict.errors import ModelError
from soccerpredict.models.study_tables import against_market, goals_and_leaks, versus_baselines

__all__ = ["StudyConfig", "StudyProgress", "StudyResult", "run_study"]

_GOALS_COLUMNS: Final = ("gm_p_home", "gm_p_draw", "gm_p_away")


@dataclass(frozen=True, slots=True)
class StudyProgress:
    """Where a running study is, for whoever shows it (plain data: the study knows no display).

    ``step`` is ``features``, ``walk_forward``, ``tune``, ``importance`` or ``compare``. In ``walk_forward``
    (and ``tune``, which happens inside it), ``forecaster`` has predicted ``done`` of its ``total`` test
    seasons, ``season`` being the one just predicted (None when the forecaster starts, with ``done`` 0).
    ``message`` says the same in words.
    """

    step: str
    message: str
    forecaster: str | None = None
    season: str | None = None
    done: int = 0
    total: int = 0


@dataclass(frozen=True, kw_only=True)
class StudyConfig:
    """What to backtest.

    Args:
        seasons: test seasons (football-data codes such as ``"2223"``), each trained on all earlier ones.
        tracks: ``stats_only`` (no odds as features) and/or ``market_aware`` (pre-match average odds too).
        model: one of ``soccerpredict.models.estimators.MODEL_NAMES``, with ``params`` over its defaults.
        train_from: first season used for training (older seasons still warm up the ratings); None = all.
        drop_groups: feature groups left out of both tracks (an ablation: e.g. ``("h2h", "rest")``).
        n_boot: bootstrap resamples of each paired confidence interval.
        half_life_seasons: when set, the model's training rows are weighted ``0.5 ** (age / half_life_seasons)``,
            age in seasons before the newest training season (a screening option; the baselines stay unweighted).
        tune_trials: when above 0, the model is tuned by Optuna before each test season, as the pipeline tunes it:
            log-loss on the last training season (trained on the seasons before it), ``tune_trials`` trials,
            the defaults first; then refitted on every training season with the best parameters (which replace
            ``params`` in the search space; sample weights, if any, apply to the refit only).
    """

    seasons: tuple[str, ...]
    tracks: tuple[str, ...] = ("stats_only", "market_aware")
    model: str = "xgb"
    params: Mapping[str, Any] = field(default_factory=dict)
    train_from: str | None = None
    drop_groups: tuple[str, ...] = ()
    n_boot: int = 1000
    seed: int = 0
    half_life_seasons: float | None = None
    tune_trials: int = 0


@dataclass(slots=True)
class StudyResult:
    """Per-match predictions of every forecaster and the tables built from them."""

    config: StudyConfig
    #: forecaster name (``model:<track>``, ``climatology``, ``elo_logit``, ``goals_model``, and with the
    #: market-aware track ``prematch_market``) -> walk_forward frame
    predictions: dict[str, pd.DataFrame]
    #: closing-market probabilities aligned with every predictions frame (NaN where the match has no closing odds)
    market: np.ndarray
    #: every metric per forecaster, division and season, with the paired difference to the market
    by_group: pd.DataFrame
    #: per forecaster and scope (``big_five``, ``all``): the overall rows
    overall: pd.DataFrame
    #: paired RPS differences model minus each baseline, per track and scope
    versus_baselines: pd.DataFrame
    #: per track: the quality goal, the measured difference and whether it is met
    goals: list[dict[str, Any]]
    #: leak warnings (a model beating the closing market by more than the tolerance)
    leaks: list[str]
    seconds_by_forecaster: dict[str, float] = field(default_factory=dict)
    #: with ``tune_trials``: per ``"<forecaster> <test season>"``, the tuned parameters and their validation log-loss
    tuned: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per track: permutation importance of its final model (trained for the last test season) on that season,
    #: rows of :func:`~soccerpredict.models.importance.permutation_importances`
    importance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _labels(frame: pd.DataFrame) -> np.ndarray:
    mapping = {outcome: i for i, outcome in enumerate(OUTCOMES)}
    labels = frame["ftr"].map(mapping)
    if labels.isna().any():
        raise ModelError(f"{int(labels.isna().sum())} finished matches have no full-time result (ftr)")
    return labels.to_numpy(dtype=np.int64)


def run_study(
    frame: pd.DataFrame,
    config: StudyConfig,
    *,
    progress: Callable[[StudyProgress], None] | None = None,
) -> StudyResult:
    """Walk forward over ``config.seasons`` with the model on each track and with every baseline.

    Args:
        frame: a match frame (``soccerpredict.data.columns``); scheduled fixtures are ignored.
        progress: called with a :class:`StudyProgress` before each long step and after each season a
            forecaster predicts.
    """
    from soccerpredict.features.devig import BENCHMARK_COLUMNS, market_benchmark_probs

    report = progress or (lambda _step: None)
    data = _study_data(frame, config, report)
    walk = _WalkForward(config, data, report)
    for name, (make, columns) in _forecasters(config, data).items():
        walk.run(name, make, columns)
    importance = walk.importances()

    reference = next(iter(walk.predictions.values()))
    test_rows = data.finished.iloc[data.rows].reset_index(drop=True).iloc[reference["row"].to_numpy()]
    market = market_benchmark_probs(test_rows)[list(BENCHMARK_COLUMNS)].to_numpy(dtype=float)

    report(StudyProgress("compare", "comparing with the closing market (paired bootstrap)"))
    boot = {"n_boot": config.n_boot, "seed": config.seed}
    by_group, overall = against_market(walk.predictions, market, boot)
    goals, leaks = goals_and_leaks(config.tracks, by_group, overall)
    return StudyResult(
        config=config,
        predictions=walk.predictions,
        market=market,
        by_group=by_group,
        overall=overall,
        versus_baselines=versus_baselines(walk.predictions, config.tracks, boot),
        goals=goals,
        leaks=leaks,
        seconds_by_forecaster=walk.seconds,
        tuned=walk.tuned,
        importance=importance,
    )


@dataclass(frozen=True, slots=True)
class _StudyData:
    """The finished matches and the rows the study trains and tests on (training window and test seasons)."""

    finished: pd.DataFrame  # every finished match, in kick-off order (the features' warm-up included)
    rows: np.ndarray  # positions in ``finished`` of the rows below
    X: pd.DataFrame  # every feature column and ``div``, one row per position in ``rows``
    y: np.ndarray
    meta: pd.DataFrame  # match_id, div, season, date
    track_groups: dict[str, tuple[str, ...]]  # per track: its feature groups less ``drop_groups``
    n_seasons: int  # the test seasons walk_forward goes through, each once


def _study_data(frame: pd.DataFrame, config: StudyConfig, report: Callable[[StudyProgress], None]) -> _StudyData:
    """Check the config against the data, build every feature group once and keep the study's rows."""
    from soccerpredict.features.build import TRACKS, build_features
    from soccerpredict.models.tuning import ordered_seasons, season_start_year

    unknown = [t for t in config.tracks if t not in TRACKS]
    if unknown or not config.tracks:
        raise ModelError(f"unknown track(s) {unknown or config.tracks}; choose from {list(TRACKS)}")
    if not config.seasons:
        raise ModelError("give at least one test season, e.g. seasons=('2223', '2324')")
    finished = frame[frame["status"] == FINISHED].sort_values(["date", "match_id"], kind="stable")
    finished = finished.reset_index(drop=True)
    missing = sorted(set(config.seasons) - set(finished["season"]))
    if missing:
        raise ModelError(f"test season(s) {missing} have no finished matches in the data")

    report(StudyProgress("features", f"building features for {len(finished):,} finished matches"))
    unknown_groups = sorted(set(config.drop_groups) - {g for t in TRACKS.values() for g in t})
    if unknown_groups:
        raise ModelError(f"unknown feature group(s) {unknown_groups} in drop_groups")
    track_groups = {t: tuple(g for g in TRACKS[t] if g not in config.drop_groups) for t in config.tracks}
    # Every group is built (the baselines read elo and goals_model columns); drop_groups only narrows the models.
    groups = tuple(dict.fromkeys(g for track in config.tracks for g in TRACKS[track]))
    built = build_features(finished, groups=groups)
    labels = _labels(finished)
    meta = finished[["match_id", "div", "season", "date"]]

    years = finished["season"].map(season_start_year).to_numpy()
    first_test = min(season_start_year(s) for s in config.seasons)
    keep = (years >= season_start_year(config.train_from)) if config.train_from else np.ones(len(years), bool)
    keep |= years >= first_test
    rows = np.flatnonzero(keep)
    X = pd.concat([built.drop(columns=["match_id"]), finished[["div"]]], axis=1).iloc[rows].reset_index(drop=True)
    return _StudyData(
        finished=finished,
        rows=rows,
        X=X,
        y=labels[rows],
        meta=meta.iloc[rows].reset_index(drop=True),
        track_groups=track_groups,
        n_seasons=len(ordered_seasons(list(config.seasons))),
    )


def _forecasters(config: StudyConfig, data: _StudyData) -> dict[str, tuple[Callable[[], Any], list[str]]]:
    """Every forecaster of the study: its estimator factory and the columns it reads, in the report's order."""
    from soccerpredict.features.build import feature_columns
    from soccerpredict.features.market import MARKET_PROB_COLUMNS
    from soccerpredict.models.baselines import ClimatologyBaseline, EloLogitBaseline, ProbabilityColumnsBaseline
    from soccerpredict.models.estimators import make_estimator

    forecasters: dict[str, tuple[Callable[[], Any], list[str]]] = {}
    for track in config.tracks:
        columns = feature_columns(data.track_groups[track])
        forecasters[f"model:{track}"] = (
            lambda: make_estimator(config.model, config.params, seed=config.seed),
            columns,
        )
    forecasters["climatology"] = (ClimatologyBaseline, ["div"])
    forecasters["elo_logit"] = (EloLogitBaseline, ["elo_diff"])
    if set(_GOALS_COLUMNS) <= set(data.X.columns):
        forecasters["goals_model"] = (lambda: ProbabilityColumnsBaseline(columns=_GOALS_COLUMNS), list(_GOALS_COLUMNS))
    if "market_aware" in config.tracks:
        # What the market-aware model reads, taken as a forecast: the distance from it to the closing market is
        # the news of the last days before kick-off, which no feature of that track holds.
        forecasters["prematch_market"] = (
            lambda: ProbabilityColumnsBaseline(columns=MARKET_PROB_COLUMNS),
            list(MARKET_PROB_COLUMNS),
        )
    return forecasters


class _WalkForward:
    """Each forecaster walked forward over the test seasons, with what the study reports along the way: the
    predictions, the seconds each took, the tuned parameters and each model's final (last test season) fit."""

    def __init__(self, config: StudyConfig, data: _StudyData, report: Callable[[StudyProgress], None]) -> None:
        self.config, self.data, self.report = config, data, report
        self.predictions: dict[str, pd.DataFrame] = {}
        self.seconds: dict[str, float] = {}
        self.tuned: dict[str, dict[str, Any]] = {}
        #: per forecaster: the test seasons it has predicted so far
        self.seasons_done: dict[str, int] = {}
        #: per model forecaster: the latest test season's fitted estimator and the row positions it predicted
        self.final: dict[str, tuple[Any, np.ndarray]] = {}

    def run(self, name: str, make: Callable[[], Any], columns: Sequence[str]) -> None:
        import time

        from soccerpredict.models.backtest import walk_forward

        is_model = name.startswith("model:")
        test_seasons = list(self.config.seasons)
        self.seasons_done[name] = 0
        message = f"walk-forward {name} over {', '.join(test_seasons)}"
        self.report(StudyProgress("walk_forward", message, name, None, 0, self.data.n_seasons))
        X = self.data.X[columns].astype("float64") if is_model else self.data.X[columns]
        start = time.perf_counter()
        fit_predict = self._counted(name, self._fit_predict(name, make, columns, is_model=is_model))
        self.predictions[name] = walk_forward(fit_predict, X, self.data.y, self.data.meta, test_seasons)
        self.seconds[name] = round(time.perf_counter() - start, 1)

    def _fit_predict(
        self, name: str, make: Callable[[], Any], columns: Sequence[str], *, is_model: bool
    ) -> Callable[..., np.ndarray]:
        from soccerpredict.models.estimators import make_estimator, sample_weight_kwargs
        from soccerpredict.models.tuning import season_start_year, tune

        config = self.config

        def fit_predict(X_train, y_train, meta_train, X_test, meta_test):  # type: ignore[no-untyped-def]
            X_fit = X_train[list(columns)]
            fit_kwargs: dict[str, Any] = {}
            if is_model and config.half_life_seasons:
                years = meta_train["season"].map(season_start_year).to_numpy()
                weights = 0.5 ** ((years.max() - years) / config.half_life_seasons)
                fit_kwargs = sample_weight_kwargs(config.model, weights)
            estimator = make()
            if is_model and config.tune_trials > 0:
                test_season = str(meta_test["season"].iloc[0])
                message = f"tuning {name} for {test_season}: {config.tune_trials} trials"
                done, total = self.seasons_done[name], self.data.n_seasons
                self.report(StudyProgress("tune", message, name, test_season, done, total))
                result = tune(
                    config.model,
                    X_fit,
                    y_train,
                    meta_train["season"].to_numpy(),
                    n_trials=config.tune_trials,
                    seed=config.seed,
                    n_folds=1,
                )
                self.tuned[f"{name} {test_season}"] = {
                    "params": result.best_params,
                    "valid_log_loss": result.cv_log_loss_mean,
                    "valid_season": result.valid_seasons[0],
                }
                estimator = make_estimator(config.model, {**config.params, **result.best_params}, seed=config.seed)
            estimator.fit(X_fit, y_train, **fit_kwargs)
            if is_model:  # walk_forward goes through the seasons in order: the last one kept is the final model
                self.final[name] = (estimator, meta_test.index.to_numpy())
            return estimator.predict_proba(X_test[list(columns)])

        return fit_predict

    def _counted(self, name: str, fit_predict: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        # walk_forward calls fit_predict once per test season: each call that returns is a season done.
        def fit_predict_counted(X_train, y_train, meta_train, X_test, meta_test):  # type: ignore[no-untyped-def]
            probs = fit_predict(X_train, y_train, meta_train, X_test, meta_test)
            self.seasons_done[name] += 1
            season, done, total = str(meta_test["season"].iloc[0]), self.seasons_done[name], self.data.n_seasons
            self.report(StudyProgress("walk_forward", f"{name}: {season} predicted", name, season, done, total))
            return probs

        return fit_predict_counted

    def importances(self) -> dict[str, list[dict[str, Any]]]:
        """Per track: permutation importance of its final model on the last test season it predicted."""
        from soccerpredict.features.build import feature_columns
        from soccerpredict.models.importance import permutation_importances

        importance: dict[str, list[dict[str, Any]]] = {}
        for track in self.config.tracks:
            estimator, rows_tested = self.final[f"model:{track}"]
            message = f"permutation importance of the final {track} model"
            self.report(StudyProgress("importance", message, f"model:{track}"))
            columns = feature_columns(self.data.track_groups[track])
            X_final = self.data.X[columns].astype("float64").iloc[rows_tested]
            importance[track] = permutation_importances(
                estimator, X_final, self.data.y[rows_tested], seed=self.config.seed
            )
        return importance
