"""Screen market-aware levers: walk-forward RPS of each forecaster against the pre-match and the closing market.

    SOCCER_DB_URL=postgresql+psycopg://…/soccerpredict_full .venv/bin/python bench/market_levers.py \
        [--seasons 2223,2324] [--train-from 0506] [--n-boot 1000]

Reads the finished matches in the database (``soccerpredict ingest football-data ../shared/data/football-data``),
builds the market-aware features once, and for each test season fits every forecaster on the seasons before it
(training from ``--train-from``; older seasons only warm up the ratings), exactly as ``soccerpredict backtest``
does. Forecasters:

- ``prematch_market``: the de-vigged pre-match average odds the market-aware track reads;
- ``anchored_xgb``: the pipeline's market-aware XGBoost (starts from the pre-match odds, default parameters);
- ``recal_logit``: a multinomial logistic regression on the pre-match log-odds alone (home against away, draw);
- ``stack_logit``: the same plus the statistical ratings' log-odds (Elo, pi, goals model, shots model);
- ``stack_closing``: ``stack_logit`` plus the closing-odds rating of the two teams (below);
- ``anchored_on_stack``: XGBoost started from ``stack_closing``'s out-of-fold log-probabilities.

The closing-odds rating is a team strength fitted to the de-vigged closing probabilities of each club's
*earlier* matches: after every match day, each team's rating moves toward what the closing line said of it
(an Elo-like update of ``log(p_home / p_away)``). A match only sees matches of earlier dates, so it is known
before kick-off. Matches without pre-match odds are left out of every score (all forecasters on the same matches).

Prints one row per forecaster and scope (big five, all divisions): RPS, and the paired RPS difference with its
95% bootstrap interval against the closing market and against ``prematch_market``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from soccerpredict.data.columns import FINISHED, ODDS_CLOSE, OUTCOMES
from soccerpredict.data.db import create_db_engine
from soccerpredict.data.repository import load_match_frame
from soccerpredict.features.build import TRACKS, build_features, feature_columns
from soccerpredict.features.devig import BENCHMARK_COLUMNS, devig, market_benchmark_probs, odds_array
from soccerpredict.features.market import MARKET_PROB_COLUMNS
from soccerpredict.models.anchored import MarketAnchoredXGBClassifier
from soccerpredict.models.backtest import paired_bootstrap_diff
from soccerpredict.models.estimators import make_estimator
from soccerpredict.models.metrics import per_row_rps
from soccerpredict.models.study_tables import BIG_FIVE
from soccerpredict.models.tuning import season_start_year
from soccerpredict.settings import Settings

EPS = 1e-6
RATING_COLUMNS = ("cr_home", "cr_away", "cr_diff")


def log_odds(p: np.ndarray) -> np.ndarray:
    """(n, 3) probabilities as two log-odds: home against away, and draw against not draw."""
    p = np.clip(p, EPS, 1 - EPS)
    return np.column_stack([np.log(p[:, 0] / p[:, 2]), np.log(p[:, 1] / (1 - p[:, 1]))])


def closing_ratings(frame: pd.DataFrame, k: float = 0.1, k_home: float = 0.01) -> pd.DataFrame:
    """Per match, the two teams' closing-odds ratings before it (only matches of earlier dates update them).

    The closing line's supremacy of a match, ``s = log(p_home / p_away)``, is modelled as
    ``r_home - r_away + h_div``; after each date every team and each division's home term move by ``k`` and
    ``k_home`` times the error. A team's first match starts it at 0.
    """
    close = devig(odds_array(frame, ODDS_CLOSE), "shin")
    close = np.atleast_2d(close)
    valid = np.isfinite(close).all(axis=1) & (close > 0).all(axis=1)
    supremacy = np.full(len(frame), np.nan)
    supremacy[valid] = np.log(close[valid, 0] / close[valid, 2])
    rating: dict[str, float] = {}
    home_adv: dict[str, float] = {}
    out = np.full((len(frame), 3), np.nan)
    homes, aways = frame["home_team"].to_numpy(), frame["away_team"].to_numpy()
    divs = frame["div"].to_numpy()
    dates = frame["date"].to_numpy()
    order = np.argsort(dates, kind="stable")
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and dates[order[end]] == dates[order[start]]:
            end += 1
        day = order[start:end]
        for i in day:
            rh, ra = rating.get(homes[i], 0.0), rating.get(aways[i], 0.0)
            out[i] = (rh, ra, rh - ra + home_adv.get(divs[i], 0.3))
        for i in day:
            if not np.isfinite(supremacy[i]):
                continue
            error = supremacy[i] - out[i, 2]
            rating[homes[i]] = rating.get(homes[i], 0.0) + k * error
            rating[aways[i]] = rating.get(aways[i], 0.0) - k * error
            home_adv[divs[i]] = home_adv.get(divs[i], 0.3) + k_home * error
        start = end
    return pd.DataFrame(out, columns=list(RATING_COLUMNS), index=frame.index)


def stack_inputs(X: pd.DataFrame, *, closing: bool) -> np.ndarray:
    """The stacked logit's inputs: market log-odds, the ratings' log-odds and (optionally) the closing rating."""
    parts = [log_odds(X[list(MARKET_PROB_COLUMNS)].to_numpy(float))]
    parts.append(log_odds(X[["gm_p_home", "gm_p_draw", "gm_p_away"]].to_numpy(float)))
    parts.append(X[["elo_diff", "pi_expected_gd", "sm_sot_diff", "market_overround"]].to_numpy(float))
    if closing:
        parts.append(X[["cr_diff"]].to_numpy(float))
    return np.nan_to_num(np.column_stack(parts))


def recal_inputs(X: pd.DataFrame) -> np.ndarray:
    """Log-odds, their squares and the overround with its interactions: a recalibration with curvature."""
    lo = log_odds(X[list(MARKET_PROB_COLUMNS)].to_numpy(float))
    over = np.nan_to_num(X[["market_overround"]].to_numpy(float))
    return np.column_stack([lo, lo**2, lo[:, :1] * lo[:, 1:], over, over * lo])


def rating_inputs(X: pd.DataFrame) -> np.ndarray:
    """The statistical ratings only (no odds): Elo, pi, the goals and shots models."""
    gm = log_odds(X[["gm_p_home", "gm_p_draw", "gm_p_away"]].to_numpy(float))
    return np.nan_to_num(np.column_stack([gm, X[["elo_diff", "pi_expected_gd", "sm_sot_diff"]].to_numpy(float)]))


def logit() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))


def fit_predict_fns() -> dict[str, Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]]:
    market_aware = feature_columns(TRACKS["market_aware"])

    def prematch(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return test[list(MARKET_PROB_COLUMNS)].to_numpy(float)

    def anchored(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        model = make_estimator("xgb", seed=0)
        return model.fit(train[market_aware].astype(float), y).predict_proba(test[market_aware].astype(float))

    def recal(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        cols = list(MARKET_PROB_COLUMNS)
        model = logit().fit(log_odds(train[cols].to_numpy(float)), y)
        return model.predict_proba(log_odds(test[cols].to_numpy(float)))

    def recal_by_div(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        # One recalibration per division: lower divisions' prices carry a bias of their own.
        out = recal(train, y, test)
        for div in test["div"].unique():
            tr, te = (train["div"] == div).to_numpy(), (test["div"] == div).to_numpy()
            if tr.sum() >= 2000:
                model = logit().fit(recal_inputs(train[tr]), y[tr])
                out[te] = model.predict_proba(recal_inputs(test[te]))
        return out

    def recal_rich(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return logit().fit(recal_inputs(train), y).predict_proba(recal_inputs(test))

    def anchored_recal(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        # XGBoost started from the recalibrated market (recal_rich, fitted on the same training rows).
        calibrator = logit().fit(recal_inputs(train), y)
        columns = ("r_home", "r_draw", "r_away")
        fit_frame = (
            train[market_aware]
            .astype(float)
            .assign(**dict(zip(columns, calibrator.predict_proba(recal_inputs(train)).T, strict=True)))
        )
        test_frame = (
            test[market_aware]
            .astype(float)
            .assign(**dict(zip(columns, calibrator.predict_proba(recal_inputs(test)).T, strict=True)))
        )
        model = MarketAnchoredXGBClassifier(anchor_columns=columns, **_xgb_defaults())
        return model.fit(fit_frame, y).predict_proba(test_frame)

    def anchored_recal_slow(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        # anchored_recal with a smaller, more regularised correction.
        calibrator = logit().fit(recal_inputs(train), y)
        columns = ("r_home", "r_draw", "r_away")
        fit_frame = (
            train[market_aware]
            .astype(float)
            .assign(**dict(zip(columns, calibrator.predict_proba(recal_inputs(train)).T, strict=True)))
        )
        test_frame = (
            test[market_aware]
            .astype(float)
            .assign(**dict(zip(columns, calibrator.predict_proba(recal_inputs(test)).T, strict=True)))
        )
        params = {**_xgb_defaults(), "n_estimators": 150, "learning_rate": 0.03, "min_child_weight": 50.0}
        model = MarketAnchoredXGBClassifier(anchor_columns=columns, **params)
        return model.fit(fit_frame, y).predict_proba(test_frame)

    stats_only = feature_columns(TRACKS["stats_only"])

    def stats_xgb(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        model = make_estimator("xgb", seed=0)
        return model.fit(train[stats_only].astype(float), y).predict_proba(test[stats_only].astype(float))

    def stats_stack(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return logit().fit(rating_inputs(train), y).predict_proba(rating_inputs(test))

    def stats_xgb_stack(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return (stats_xgb(train, y, test) + stats_stack(train, y, test)) / 2

    def avg_anchored_recal(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return (anchored(train, y, test) + recal_rich(train, y, test)) / 2

    def stack_rich(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        fit_x = np.column_stack([recal_inputs(train), rating_inputs(train)])
        return logit().fit(fit_x, y).predict_proba(np.column_stack([recal_inputs(test), rating_inputs(test)]))

    def stack(closing: bool) -> Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]:
        def fit(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
            model = logit().fit(stack_inputs(train, closing=closing), y)
            return model.predict_proba(stack_inputs(test, closing=closing))

        return fit

    def anchored_on_stack(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        # The stack's probabilities on the training rows come from 5 time-ordered folds (out of fold), so the
        # trees learn what the stack misses, not its fit to data it saw.
        train_probs = np.empty((len(train), 3))
        seasons = train["season"].map(season_start_year).to_numpy()
        years = np.unique(seasons)
        for fold in np.array_split(years, 5):
            held = np.isin(seasons, fold)
            model = logit().fit(stack_inputs(train[~held], closing=True), y[~held])
            train_probs[held] = model.predict_proba(stack_inputs(train[held], closing=True))
        test_probs = logit().fit(stack_inputs(train, closing=True), y).predict_proba(stack_inputs(test, closing=True))
        columns = ("s_home", "s_draw", "s_away")
        fit_frame = train[market_aware].astype(float).assign(**dict(zip(columns, train_probs.T, strict=True)))
        test_frame = test[market_aware].astype(float).assign(**dict(zip(columns, test_probs.T, strict=True)))
        model = MarketAnchoredXGBClassifier(anchor_columns=columns, **_xgb_defaults())
        return model.fit(fit_frame, y).predict_proba(test_frame)

    return {
        "prematch_market": prematch,
        "anchored_xgb": anchored,
        "recal_logit": recal,
        "recal_rich": recal_rich,
        "recal_by_div": recal_by_div,
        "anchored_recal": anchored_recal,
        "anchored_recal_slow": anchored_recal_slow,
        "stack_logit": stack(False),
        "stack_closing": stack(True),
        "anchored_on_stack": anchored_on_stack,
        "stats_xgb": stats_xgb,
        "avg_anchored_recal": avg_anchored_recal,
        "stack_rich": stack_rich,
        "stats_stack": stats_stack,
        "stats_xgb_stack": stats_xgb_stack,
    }


def _xgb_defaults() -> dict[str, Any]:
    params = dict(make_estimator("xgb", seed=0).get_params())
    params.pop("anchor_columns", None)
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seasons", default="2223,2324")
    parser.add_argument("--train-from", default="0506")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--only", default="", help="comma-separated forecasters (default: all)")
    args = parser.parse_args()
    seasons = args.seasons.split(",")
    started = time.perf_counter()
    frame = load_match_frame(create_db_engine(Settings().database_url))
    finished = frame[frame["status"] == FINISHED].sort_values(["date", "match_id"], kind="stable")
    finished = finished.reset_index(drop=True)
    built = build_features(finished, groups=TRACKS["market_aware"]).drop(columns=["match_id"])
    X = pd.concat([built, closing_ratings(finished), finished[["div", "season"]]], axis=1)
    y = finished["ftr"].map({o: i for i, o in enumerate(OUTCOMES)}).to_numpy(np.int64)
    years = finished["season"].map(season_start_year).to_numpy()
    has_pre = np.isfinite(X[list(MARKET_PROB_COLUMNS)].to_numpy(float)).all(axis=1)
    print(f"{len(finished):,} finished matches, features in {time.perf_counter() - started:.0f} s", flush=True)
    fns = fit_predict_fns()
    if args.only:
        fns = {k: v for k, v in fns.items() if k in args.only.split(",") or k == "prematch_market"}
    preds: dict[str, list[np.ndarray]] = {name: [] for name in fns}
    test_rows: list[np.ndarray] = []
    for season in seasons:
        year = season_start_year(season)
        train = np.flatnonzero((years < year) & (years >= season_start_year(args.train_from)) & has_pre)
        test = np.flatnonzero((years == year) & has_pre)
        test_rows.append(test)
        for name, fn in fns.items():
            t0 = time.perf_counter()
            preds[name].append(np.asarray(fn(X.iloc[train], y[train], X.iloc[test])))
            print(f"  {season} {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    rows = np.concatenate(test_rows)
    y_test = y[rows]
    closing = market_benchmark_probs(finished.iloc[rows])[list(BENCHMARK_COLUMNS)].to_numpy(float)
    has_close = np.isfinite(closing).all(axis=1)
    big_five = finished["div"].iloc[rows].isin(BIG_FIVE).to_numpy()
    rps = {name: per_row_rps(np.concatenate(p), y_test) for name, p in preds.items()}
    close_rps = np.full(len(rows), np.nan)
    close_rps[has_close] = per_row_rps(closing[has_close], y_test[has_close])
    print(f"\ntest seasons {', '.join(seasons)}, training from {args.train_from}, {args.n_boot} resamples\n")
    print("| forecaster | scope | matches | RPS | - closing market [95% CI] | - prematch_market [95% CI] |")
    print("|---|---|---:|---:|---|---|")
    for name, scores in rps.items():
        for scope, mask in (("big five", big_five), ("all divisions", np.ones(len(rows), bool))):
            both = mask & has_close
            vs_close = paired_bootstrap_diff(scores[both], close_rps[both], n_boot=args.n_boot)
            vs_pre = paired_bootstrap_diff(scores[mask], rps["prematch_market"][mask], n_boot=args.n_boot)
            print(
                f"| {name} | {scope} | {int(mask.sum()):,} | {scores[mask].mean():.4f} | {_ci(vs_close)} | "
                f"{_ci(vs_pre) if name != 'prematch_market' else ''} |"
            )
    print(f"\n{time.perf_counter() - started:.0f} s in all")


def _ci(diff: Any) -> str:
    return f"{diff.mean_diff:+.5f} [{diff.lo:+.5f}, {diff.hi:+.5f}]"


if __name__ == "__main__":
    main()
