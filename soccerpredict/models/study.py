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

__all__ = [
    "BIG_FIVE",
    "GOALS",
    "StudyConfig",
    "StudyProgress",
    "StudyResult",
    "render_study_markdown",
    "run_study",
]

#: The big five leagues: Premier League, La Liga, Bundesliga, Serie A, Ligue 1.
BIG_FIVE: Final = ("E0", "SP1", "D1", "I1", "F1")
#: The quality goals of the forecasting core, RPS (model minus de-vigged closing market).
GOALS: Final = {
    "stats_only": ("big_five", 0.003, "RPS within 0.003 of the closing market on the big five"),
    "market_aware": ("all", 0.0, "RPS at or below the closing market on all divisions"),
}
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


def _scope_mask(preds: pd.DataFrame, scope: str) -> np.ndarray:
    return preds["div"].isin(BIG_FIVE).to_numpy() if scope == "big_five" else np.ones(len(preds), dtype=bool)


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
    import time

    from soccerpredict.features.build import TRACKS, build_features, feature_columns
    from soccerpredict.features.devig import BENCHMARK_COLUMNS, market_benchmark_probs
    from soccerpredict.features.market import MARKET_PROB_COLUMNS
    from soccerpredict.models.backtest import leak_check, paired_bootstrap_diff, report_by_group, walk_forward
    from soccerpredict.models.baselines import ClimatologyBaseline, EloLogitBaseline, ProbabilityColumnsBaseline
    from soccerpredict.models.estimators import make_estimator, sample_weight_kwargs
    from soccerpredict.models.importance import permutation_importances
    from soccerpredict.models.metrics import per_row_rps
    from soccerpredict.models.tuning import ordered_seasons, season_start_year, tune

    report = progress or (lambda _step: None)
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
    X_all = pd.concat([built.drop(columns=["match_id"]), finished[["div"]]], axis=1).iloc[rows]
    X_all = X_all.reset_index(drop=True)
    y, meta = labels[rows], meta.iloc[rows].reset_index(drop=True)
    test_seasons = list(config.seasons)
    n_seasons = len(ordered_seasons(test_seasons))  # what walk_forward goes through, each once

    #: per forecaster: the test seasons it has predicted so far
    seasons_done: dict[str, int] = {}
    tuned: dict[str, dict[str, Any]] = {}
    #: per model forecaster: the latest test season's fitted estimator and the row positions it predicted
    final: dict[str, tuple[Any, np.ndarray]] = {}

    def estimator_fit_predict(
        name: str, make: Callable[[], Any], columns: Sequence[str], *, is_model: bool = False
    ) -> Callable[..., np.ndarray]:
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
                report(StudyProgress("tune", message, name, test_season, seasons_done[name], n_seasons))
                result = tune(
                    config.model,
                    X_fit,
                    y_train,
                    meta_train["season"].to_numpy(),
                    n_trials=config.tune_trials,
                    seed=config.seed,
                    n_folds=1,
                )
                tuned[f"{name} {test_season}"] = {
                    "params": result.best_params,
                    "valid_log_loss": result.cv_log_loss_mean,
                    "valid_season": result.valid_seasons[0],
                }
                estimator = make_estimator(config.model, {**config.params, **result.best_params}, seed=config.seed)
            estimator.fit(X_fit, y_train, **fit_kwargs)
            if is_model:  # walk_forward goes through the seasons in order: the last one kept is the final model
                final[name] = (estimator, meta_test.index.to_numpy())
            return estimator.predict_proba(X_test[list(columns)])

        return counted(name, fit_predict)

    def counted(name: str, fit_predict: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        # walk_forward calls fit_predict once per test season: each call that returns is a season done.
        def fit_predict_counted(X_train, y_train, meta_train, X_test, meta_test):  # type: ignore[no-untyped-def]
            probs = fit_predict(X_train, y_train, meta_train, X_test, meta_test)
            seasons_done[name] += 1
            season, done, total = str(meta_test["season"].iloc[0]), seasons_done[name], n_seasons
            report(StudyProgress("walk_forward", f"{name}: {season} predicted", name, season, done, total))
            return probs

        return fit_predict_counted

    forecasters: dict[str, tuple[Callable[[], Any], list[str]]] = {}
    for track in config.tracks:
        columns = feature_columns(track_groups[track])
        forecasters[f"model:{track}"] = (
            lambda: make_estimator(config.model, config.params, seed=config.seed),
            columns,
        )
    forecasters["climatology"] = (ClimatologyBaseline, ["div"])
    forecasters["elo_logit"] = (EloLogitBaseline, ["elo_diff"])
    if set(_GOALS_COLUMNS) <= set(X_all.columns):
        forecasters["goals_model"] = (lambda: ProbabilityColumnsBaseline(columns=_GOALS_COLUMNS), list(_GOALS_COLUMNS))
    if "market_aware" in config.tracks:
        # What the market-aware model reads, taken as a forecast: the distance from it to the closing market is
        # the news of the last days before kick-off, which no feature of that track holds.
        forecasters["prematch_market"] = (
            lambda: ProbabilityColumnsBaseline(columns=MARKET_PROB_COLUMNS),
            list(MARKET_PROB_COLUMNS),
        )

    predictions: dict[str, pd.DataFrame] = {}
    seconds: dict[str, float] = {}
    for name, (make, columns) in forecasters.items():
        seasons_done[name] = 0
        message = f"walk-forward {name} over {', '.join(test_seasons)}"
        report(StudyProgress("walk_forward", message, name, None, 0, n_seasons))
        X = X_all[columns].astype("float64") if name.startswith("model:") else X_all[columns]
        start = time.perf_counter()
        fit_predict = estimator_fit_predict(name, make, columns, is_model=name.startswith("model:"))
        predictions[name] = walk_forward(fit_predict, X, y, meta, test_seasons)
        seconds[name] = round(time.perf_counter() - start, 1)

    importance: dict[str, list[dict[str, Any]]] = {}
    for track in config.tracks:
        estimator, rows_tested = final[f"model:{track}"]
        message = f"permutation importance of the final {track} model"
        report(StudyProgress("importance", message, f"model:{track}"))
        X_final = X_all[feature_columns(track_groups[track])].astype("float64").iloc[rows_tested]
        importance[track] = permutation_importances(estimator, X_final, y[rows_tested], seed=config.seed)

    reference = next(iter(predictions.values()))
    test_rows = finished.iloc[rows].reset_index(drop=True).iloc[reference["row"].to_numpy()]
    market = market_benchmark_probs(test_rows)[list(BENCHMARK_COLUMNS)].to_numpy(dtype=float)

    report(StudyProgress("compare", "comparing with the closing market (paired bootstrap)"))
    boot = {"n_boot": config.n_boot, "seed": config.seed}
    by_group, overall = [], []
    for name, preds in predictions.items():
        if not np.array_equal(preds["row"].to_numpy(), reference["row"].to_numpy()):
            raise ModelError(f"{name} predicted different matches from the other forecasters")
        table = report_by_group(preds, market, by=("div", "season"), **boot)
        by_group.append(table.assign(forecaster=name))
        for scope in ("big_five", "all"):
            mask = _scope_mask(preds, scope)
            if mask.any():
                row = report_by_group(preds[mask], market[mask], by=(), **boot).assign(forecaster=name, scope=scope)
                overall.append(row)
    by_group_frame = pd.concat(by_group, ignore_index=True)
    overall_frame = pd.concat(overall, ignore_index=True)

    versus = []
    y_test = reference["y"].to_numpy()
    for track in config.tracks:
        model_rps = per_row_rps(predictions[f"model:{track}"][["p_home", "p_draw", "p_away"]].to_numpy(), y_test)
        for baseline in ("elo_logit", "goals_model", "climatology", "prematch_market"):
            if baseline not in predictions:
                continue
            base_rps = per_row_rps(predictions[baseline][["p_home", "p_draw", "p_away"]].to_numpy(), y_test)
            for scope in ("big_five", "all"):
                mask = _scope_mask(reference, scope)
                if mask.any():
                    ci = paired_bootstrap_diff(model_rps[mask], base_rps[mask], **boot)
                    versus.append(
                        {
                            "track": track,
                            "baseline": baseline,
                            "scope": scope,
                            "n": int(mask.sum()),
                            "rps_diff": ci.mean_diff,
                            "rps_diff_lo": ci.lo,
                            "rps_diff_hi": ci.hi,
                            "better": ci.hi < 0,
                        }
                    )
    versus_frame = pd.DataFrame(versus)

    goals, leaks = [], []
    for track in config.tracks:
        scope, tolerance, text = GOALS[track]
        row = overall_frame[(overall_frame["forecaster"] == f"model:{track}") & (overall_frame["scope"] == scope)]
        if row.empty:
            continue
        diff = float(row["rps_diff"].iloc[0])
        goals.append(
            {
                "track": track,
                "goal": text,
                "scope": scope,
                "rps": float(row["rps"].iloc[0]),
                "market_rps_paired": float(row["bench_rps"].iloc[0]),
                "rps_diff": diff,
                "rps_diff_lo": float(row["rps_diff_lo"].iloc[0]),
                "rps_diff_hi": float(row["rps_diff_hi"].iloc[0]),
                "met": diff <= tolerance,
                "short_by": max(0.0, diff - tolerance),
            }
        )
        per_div = by_group_frame[by_group_frame["forecaster"] == f"model:{track}"]
        model_by = {str(k): float(v) for k, v in per_div.groupby("div")["rps"].mean().items()}
        market_by = {str(k): float(v) for k, v in per_div.groupby("div")["bench_rps"].mean().dropna().items()}
        leaks += [f"{track}: {w}" for w in leak_check(model_by, market_by)]
    return StudyResult(
        config=config,
        predictions=predictions,
        market=market,
        by_group=by_group_frame,
        overall=overall_frame,
        versus_baselines=versus_frame,
        goals=goals,
        leaks=leaks,
        seconds_by_forecaster=seconds,
        tuned=tuned,
        importance=importance,
    )


def _ci(row: Mapping[Any, Any]) -> str:
    return f"{row['rps_diff']:+.4f} [{row['rps_diff_lo']:+.4f}, {row['rps_diff_hi']:+.4f}]"


def render_study_markdown(result: StudyResult, *, command: str = "") -> str:
    """The study as markdown: goals, forecasters against the market, versus the baselines, per division."""
    config = result.config
    lines = [
        "# Walk-forward backtest",
        "",
        f"Test seasons {', '.join(config.seasons)}, each predicted by a model trained only on earlier seasons"
        + (f" (training from {config.train_from})" if config.train_from else "")
        + f"; model `{config.model}` with params {dict(config.params) or 'defaults'}"
        + (f", tuned before each test season ({config.tune_trials} Optuna trials)" if config.tune_trials else "")
        + (f"; feature groups left out: {', '.join(config.drop_groups)}" if config.drop_groups else "")
        + "; "
        f"{config.n_boot} paired bootstrap resamples. RPS differences are model minus closing market "
        "(negative = better than the market), with 95% intervals, on the matches that have closing odds.",
        "",
    ]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        "## Quality goals",
        "",
        "| track | goal | model RPS | market RPS | difference [95% CI] | met |",
        "|---|---|---|---|---|---|",
    ]
    for goal in result.goals:
        met = "yes" if goal["met"] else f"no (short by {goal['short_by']:.4f})"
        lines.append(
            f"| {goal['track']} | {goal['goal']} | {goal['rps']:.4f} | {goal['market_rps_paired']:.4f} | "
            f"{_ci(goal)} | {met} |"
        )
    lines += ["", "## Every forecaster against the closing market", ""]
    lines += [
        "| forecaster | scope | matches | RPS | log-loss | Brier | accuracy | ECE | market RPS "
        "| RPS - market [95% CI] |"
    ]
    lines += ["|---|---|---|---|---|---|---|---|---|---|"]
    for row in result.overall.to_dict(orient="records"):
        lines.append(
            f"| {row['forecaster']} | {row['scope']} | {row['n']} | {row['rps']:.4f} | {row['log_loss']:.4f} | "
            f"{row['brier']:.4f} | {row['accuracy']:.4f} | {row['ece']:.4f} | {row['bench_rps']:.4f} | {_ci(row)} |"
        )
    if not result.versus_baselines.empty:
        lines += ["", "## Model against the baselines (paired)", ""]
        lines += [
            "| track | baseline | scope | matches | RPS model - baseline [95% CI] | better |",
            "|---|---|---|---|---|---|",
        ]
        for row in result.versus_baselines.to_dict(orient="records"):
            better = "yes" if row["better"] else "no"
            lines.append(
                f"| {row['track']} | {row['baseline']} | {row['scope']} | {row['n']} | {_ci(row)} | {better} |"
            )
    if result.tuned:
        lines += ["", "## Tuned parameters", ""]
        lines += ["| forecaster and test season | validated on | log-loss | parameters |", "|---|---|---|---|"]
        for key, tuned in result.tuned.items():
            params = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in tuned["params"].items()
            )
            lines.append(f"| {key} | {tuned['valid_season']} | {tuned['valid_log_loss']:.4f} | {params} |")
    lines += ["", "## Leak check", ""]
    lines += [f"- {w}" for w in result.leaks] or [
        "No model beats the closing market by more than 0.002 RPS in any division."
    ]
    lines += ["", "## By division and season", ""]
    lines += [
        "| forecaster | div | season | matches | RPS | market RPS | RPS - market [95% CI] |",
        "|---|---|---|---|---|---|---|",
    ]
    table = result.by_group[result.by_group["forecaster"].str.startswith("model:")]
    for row in table.sort_values(["forecaster", "div", "season"]).to_dict(orient="records"):
        market = f"{row['bench_rps']:.4f}" if pd.notna(row["bench_rps"]) else "n/a"
        diff = _ci(row) if pd.notna(row["rps_diff"]) else "n/a"
        lines.append(
            f"| {row['forecaster']} | {row['div']} | {row['season']} | {row['n']} | {row['rps']:.4f} "
            f"| {market} | {diff} |"
        )
    if result.seconds_by_forecaster:
        lines += [
            "",
            "Walk-forward seconds per forecaster: "
            + ", ".join(f"{k} {v}" for k, v in result.seconds_by_forecaster.items()),
        ]
    return "\n".join(lines) + "\n"
