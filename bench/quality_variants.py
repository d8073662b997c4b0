"""Quick look at stats-only model variants on the big five: walk-forward RPS against the closing market.

    SOCCER_DB_URL=postgresql+psycopg://…/soccerpredict_full .venv/bin/python bench/quality_variants.py \
        '{"hgb_default": {}, "hgb_slow": {"learning_rate": 0.03, "max_iter": 400, "min_samples_leaf": 200}}'

Each variant is ``name -> estimator parameters`` (``"model"`` picks logreg, hgb or xgb; default hgb). Runs
:func:`soccerpredict.models.study.run_study` on the stats-only track, test seasons 2022/23 and 2023/24,
training from 2005/06 (older seasons only warm up the ratings; `soccerpredict backtest --train-from 0506`
gives the same scores) and 200 bootstrap resamples: a screening tool, cheaper than `soccerpredict backtest`.
Prints, per variant, the big-five RPS, the market's, their paired difference with its 95% interval, and the
RPS of the model blended with the goals model at weights 0.7 and 0.85.
"""

from __future__ import annotations

import argparse
import json
import time

from soccerpredict.data.db import create_db_engine
from soccerpredict.data.repository import load_match_frame
from soccerpredict.models.metrics import PROB_COLUMNS, per_row_rps
from soccerpredict.models.study import BIG_FIVE, StudyConfig, run_study
from soccerpredict.settings import Settings

BLEND_WEIGHTS = (0.7, 0.85)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", help="JSON object: variant name -> estimator parameters")
    parser.add_argument("--train-from", default="0506")
    args = parser.parse_args()
    variants: dict[str, dict[str, object]] = json.loads(args.variants)
    frame = load_match_frame(create_db_engine(Settings().database_url))
    for name, params in variants.items():
        params = dict(params)
        model = str(params.pop("model", "hgb"))
        start = time.perf_counter()
        config = StudyConfig(
            seasons=("2223", "2324"),
            tracks=("stats_only",),
            model=model,
            params=params,
            train_from=args.train_from,
            n_boot=200,
        )
        result = run_study(frame, config)
        overall = result.overall
        row = overall[(overall["forecaster"] == "model:stats_only") & (overall["scope"] == "big_five")].iloc[0]
        print(
            f"{name}: {int(row['n'])} matches, RPS {row['rps']:.5f}, market {row['bench_rps']:.5f}, "
            f"model - market {row['rps_diff']:+.5f} [{row['rps_diff_lo']:+.5f}, {row['rps_diff_hi']:+.5f}] "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        preds, goals = result.predictions["model:stats_only"], result.predictions["goals_model"]
        big = preds["div"].isin(BIG_FIVE).to_numpy()
        y = preds["y"].to_numpy()[big]
        model_probs, goals_probs = preds[list(PROB_COLUMNS)].to_numpy()[big], goals[list(PROB_COLUMNS)].to_numpy()[big]
        for weight in BLEND_WEIGHTS:
            blend = weight * model_probs + (1 - weight) * goals_probs
            print(f"  blended with the goals model at {weight}: RPS {per_row_rps(blend, y).mean():.5f}", flush=True)


if __name__ == "__main__":
    main()
