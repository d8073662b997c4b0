"""Benchmark: one single-row predict_proba of the champion, as logged and through the treelite engine.

    .venv/bin/soccerpredict demo --check                  # once: a champion under SOCCER_HOME
    .venv/bin/python bench/bench_engine.py --home /tmp/demo1 [--calls 2000]

Loads ``models:/soccer-1x2@champion`` of ``--home`` as the predictor does, then times ``--calls`` single-row
``predict_proba`` calls (after 100 warm-up calls) of the logged estimator and of what
:func:`serving.predictor.engine.accelerate` serves, on the same rows, and their largest difference.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

WARMUP = 100


def per_call_ms(predict: object, rows: np.ndarray, calls: int) -> float:
    for i in range(WARMUP):
        predict(rows[i % len(rows) : i % len(rows) + 1])  # type: ignore[operator]
    start = time.perf_counter()
    for i in range(calls):
        predict(rows[i % len(rows) : i % len(rows) + 1])  # type: ignore[operator]
    return (time.perf_counter() - start) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", required=True, help="SOCCER_HOME of a finished make run / demo --check")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    home = Path(args.home).resolve()
    tracking = f"sqlite:///{home / 'mlflow.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = tracking  # models:/ URIs resolve through the global registry URI
    from serving.predictor.champion import MlflowChampionLoader, _load_estimator
    from serving.predictor.engine import accelerate, check_rows

    loader = MlflowChampionLoader(tracking)
    version = loader.resolve()
    if version is None:
        raise SystemExit(f"no @champion under {home}: run `soccerpredict demo --check` with SOCCER_HOME={home}")
    import mlflow
    from mlflow.models import Model

    local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/soccer-1x2/{version}", tracking_uri=tracking)
    logged = _load_estimator(Model.load(local), local, f"models:/soccer-1x2/{version}")
    from serving.predictor.champion import _feature_names, _input_example

    meta = Model.load(local)
    names = _feature_names(meta, f"models:/soccer-1x2/{version}")
    example = _input_example(meta, local, names)
    n_features = int(logged.n_features_in_)
    served = accelerate(logged, check_rows(example, n_features))
    print(f"version {version}: {type(logged).__name__}, {n_features} features, engine {served.engine}")
    print("| rows | estimator | ms per single-row call |\n|---|---|---:|")
    # Random rows miss most of the model (no complete market probabilities: no blend); the logged input
    # example holds real matches' features, as the predictor receives them.
    samples = {"random (scale 50)": np.random.default_rng(0).normal(scale=50.0, size=(256, n_features))}
    if example is not None and len(example):
        samples["the model's input example"] = example
    worst = 0.0
    for label, sample in samples.items():
        rows = np.ascontiguousarray(sample, dtype=np.float32)
        worst = max(worst, float(np.abs(served.estimator.predict_proba(rows) - logged.predict_proba(rows)).max()))
        native_ms = per_call_ms(logged.predict_proba, rows, args.calls)
        print(f"| {label} ({len(rows)}) | as logged ({type(logged).__name__}) | {native_ms:.3f} |")
        served_ms = per_call_ms(served.estimator.predict_proba, rows, args.calls)
        print(f"| {label} ({len(rows)}) | served ({served.engine}) | {served_ms:.3f} |")
    print(f"largest probability difference on those rows: {worst:.1e}")


if __name__ == "__main__":
    main()
