"""Quick look at stats-only model variants on the big five: walk-forward RPS against the closing market.

    SOCCER_DB_URL=postgresql+psycopg://…/soccerpredict_full .venv/bin/python bench/quality_variants.py \
        '{"hgb_default": {}, "hgb_slow": {"learning_rate": 0.03, "max_iter": 400, "min_samples_leaf": 200}}'

Each variant is ``name -> estimator parameters``, with five special keys: ``"model"`` picks logreg, hgb or
xgb (default hgb); ``"half_life"`` weights the training rows by season age (``StudyConfig.half_life_seasons``);
``"drop": ["h2h"]`` leaves feature groups out (``StudyConfig.drop_groups``); ``"tune": 12`` tunes the model
before each test season (``StudyConfig.tune_trials``);
``"average": ["a", "b"]`` scores the 50/50 average of two variants listed before it, without fitting. Runs
:func:`soccerpredict.models.study.run_study` on the stats-only track, test seasons 2022/23 and 2023/24,
training from 2005/06 (older seasons only warm up the ratings; `soccerpredict backtest --train-from 0506`
gives the same scores) and 200 bootstrap resamples: a screening tool, cheaper than `soccerpredict backtest`.
Prints, per variant, the big-five RPS, the market's, their paired difference with its 95% interval, the same
difference on all divisions, and the RPS of the model blended with the goals model at weights 0.7 and 0.85.

    ... bench/quality_variants.py '{"hgb": {}, "hgb_hl3": {"half_life": 3}, "logreg": {"model": "logreg"},
                                    "hgb_logreg": {"average": ["hgb", "logreg"]}}'
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import pandas as pd

from soccerpredict.data.db import create_db_engine
from soccerpredict.data.repository import load_match_frame
from soccerpredict.models.backtest import paired_bootstrap_diff
from soccerpredict.models.metrics import PROB_COLUMNS, per_row_rps
from soccerpredict.models.study import StudyConfig, run_study
from soccerpredict.models.study_tables import BIG_FIVE
from soccerpredict.settings import Settings

BLEND_WEIGHTS = (0.7, 0.85)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", help="JSON object: variant name -> estimator parameters")
    parser.add_argument("--train-from", default="0506")
    args = parser.parse_args()
    variants: dict[str, dict[str, Any]] = json.loads(args.variants)
    frame = load_match_frame(create_db_engine(Settings().database_url))
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame, np.ndarray]] = {}
    for name, params in variants.items():
        params = dict(params)
        start = time.perf_counter()
        if "average" in params:
            first, second = (results[v] for v in params["average"])
            preds = first[0].copy()
            preds[list(PROB_COLUMNS)] = (first[0][list(PROB_COLUMNS)] + second[0][list(PROB_COLUMNS)]) / 2
            goals, market = first[1], first[2]
        else:
            config = StudyConfig(
                seasons=("2223", "2324"),
                tracks=("stats_only",),
                model=str(params.pop("model", "hgb")),
                half_life_seasons=params.pop("half_life", None),
                drop_groups=tuple(params.pop("drop", ())),
                tune_trials=int(params.pop("tune", 0)),
                params=params,
                train_from=args.train_from,
                n_boot=200,
            )
            result = run_study(frame, config, progress=lambda step: print(f"  {step.message}", flush=True))
            for key, tuned in result.tuned.items():
                print(f"  tuned {key}: {tuned}", flush=True)
            preds, goals = result.predictions["model:stats_only"], result.predictions["goals_model"]
            market = result.market
        results[name] = (preds, goals, market)
        print(f"{name} ({time.perf_counter() - start:.0f} s):", flush=True)
        for scope in ("big_five", "all"):
            _report(scope, preds, market)
        big = preds["div"].isin(BIG_FIVE).to_numpy()
        y = preds["y"].to_numpy()[big]
        model_probs, goals_probs = preds[list(PROB_COLUMNS)].to_numpy()[big], goals[list(PROB_COLUMNS)].to_numpy()[big]
        for weight in BLEND_WEIGHTS:
            blend = weight * model_probs + (1 - weight) * goals_probs
            print(f"  blended with the goals model at {weight}: RPS {per_row_rps(blend, y).mean():.5f}", flush=True)


def _report(scope: str, preds: pd.DataFrame, market: np.ndarray) -> None:
    """The variant's RPS on a scope, the closing market's on the same matches, and their paired difference."""
    rows = (preds["div"].isin(BIG_FIVE).to_numpy() if scope == "big_five" else np.ones(len(preds), bool)) & np.isfinite(
        market
    ).all(axis=1)
    y = preds["y"].to_numpy()[rows]
    model, bench = per_row_rps(preds[list(PROB_COLUMNS)].to_numpy()[rows], y), per_row_rps(market[rows], y)
    diff = paired_bootstrap_diff(model, bench, n_boot=200)
    print(
        f"  {scope}: {int(rows.sum())} matches, RPS {model.mean():.5f}, market {bench.mean():.5f}, "
        f"model - market {diff.mean_diff:+.5f} [{diff.lo:+.5f}, {diff.hi:+.5f}]",
        flush=True,
    )


if __name__ == "__main__":
    main()
