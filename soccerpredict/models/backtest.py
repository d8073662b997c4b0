"""Walk-forward backtest by season, paired bootstrap comparisons and the leak check against the market.

Each test season is predicted by a model trained only on strictly earlier seasons, exactly as the model
is used in production. Per-match predictions carry :data:`~soccerpredict.models.metrics.PROB_COLUMNS`
so every report below can be recomputed from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final, NamedTuple, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from soccerpredict.errors import ModelError
from soccerpredict.models.metrics import METRICS, PROB_COLUMNS, check_probs, evaluate, per_row_rps
from soccerpredict.models.tuning import ordered_seasons, season_start_year

__all__ = [
    "LEAK_TOLERANCE",
    "BootstrapDiff",
    "FitPredict",
    "leak_check",
    "paired_bootstrap_diff",
    "report_by_group",
    "walk_forward",
]

#: A model beating the closing market by more RPS than this is far more likely a leak than a discovery:
#: published football models trail the closing line by a few thousandths.
LEAK_TOLERANCE: Final = 0.002
#: Meta columns carried into the predictions frame when present (names as in data.columns).
_META_COLUMNS: Final = ("match_id", "season", "div", "date")
#: Bootstrap index matrices are built in chunks of about this many cells to bound memory.
_BOOT_CELLS: Final = 5_000_000


class FitPredict(Protocol):
    """Train on the first three arguments, return ``(n_test, 3)`` H/D/A probabilities for the test rows."""

    def __call__(
        self,
        X_train: pd.DataFrame,
        y_train: np.ndarray,
        meta_train: pd.DataFrame,
        X_test: pd.DataFrame,
        meta_test: pd.DataFrame,
    ) -> ArrayLike: ...


def _season_years(meta: pd.DataFrame) -> np.ndarray:
    if "season" not in meta.columns:
        raise ModelError("meta needs a 'season' column (football-data code such as '2324')")
    return np.array([season_start_year(str(s)) for s in meta["season"]])


def _predictions_frame(meta_test: pd.DataFrame, rows: np.ndarray, probs: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"row": rows, "match_index": meta_test.index.to_numpy()})
    for column in _META_COLUMNS:
        if column in meta_test.columns:
            frame[column] = meta_test[column].to_numpy()
    for k, column in enumerate(PROB_COLUMNS):
        frame[column] = probs[:, k]
    frame["y"] = y
    return frame


def _season_iter(seasons: Sequence[str], progress: bool) -> Iterable[str]:
    if not progress:
        yield from seasons
        return
    from rich.progress import track

    yield from track(seasons, description="walk-forward backtest")


def walk_forward(
    fit_predict: FitPredict,
    X: pd.DataFrame,
    y: ArrayLike,
    meta: pd.DataFrame,
    test_seasons: Sequence[str],
    *,
    progress: bool = False,
) -> pd.DataFrame:
    """Per-match predictions for each test season from a model trained on strictly earlier seasons.

    Args:
        X: features, one row per match, aligned with ``y`` and ``meta``.
        meta: at least ``season``; ``match_id``, ``div`` and ``date`` are carried along when present.
        test_seasons: seasons to predict; each must have at least one earlier season to train on.

    Returns one row per test match: ``row`` (position in ``X``), ``match_index`` (index label of ``meta``),
    the meta columns, ``p_home``/``p_draw``/``p_away`` and ``y``.
    """
    labels = np.asarray(y, dtype=np.int64)
    if not len(X) == len(labels) == len(meta):
        raise ModelError(f"X, y and meta must have the same rows, got {len(X)}, {len(labels)}, {len(meta)}")
    years = _season_years(meta)
    frames = []
    for season in _season_iter(ordered_seasons(list(test_seasons)), progress):
        year = season_start_year(season)
        train, test = np.flatnonzero(years < year), np.flatnonzero(years == year)
        if len(train) == 0 or len(test) == 0:
            raise ModelError(f"test season {season} needs rows of its own and of earlier seasons to train on")
        probs = np.asarray(fit_predict(X.iloc[train], labels[train], meta.iloc[train], X.iloc[test], meta.iloc[test]))
        if probs.shape != (len(test), len(PROB_COLUMNS)):
            raise ModelError(f"fit_predict returned shape {probs.shape} for season {season}; expected ({len(test)}, 3)")
        checked, _ = check_probs(probs, labels[test])
        frames.append(_predictions_frame(meta.iloc[test], test, checked, labels[test]))
    return pd.concat(frames, ignore_index=True)


class BootstrapDiff(NamedTuple):
    """Mean of ``score_a - score_b`` and its percentile confidence interval."""

    mean_diff: float
    lo: float
    hi: float


def paired_bootstrap_diff(
    score_a: ArrayLike, score_b: ArrayLike, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> BootstrapDiff:
    """Paired bootstrap of the mean per-match score difference ``a - b`` (negative: ``a`` scores lower).

    Matches are resampled with replacement, keeping each match's two scores together.
    """
    diff = np.asarray(score_a, dtype=float) - np.asarray(score_b, dtype=float)
    if diff.ndim != 1 or diff.size == 0 or not np.isfinite(diff).all():
        raise ModelError("paired bootstrap needs two equally long, non-empty, finite per-match score arrays")
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CELLS // diff.size)
    means = np.concatenate(
        [
            diff[rng.integers(0, diff.size, size=(min(chunk, n_boot - start), diff.size))].mean(axis=1)
            for start in range(0, n_boot, chunk)
        ]
    )
    tail = (1.0 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return BootstrapDiff(float(diff.mean()), float(lo), float(hi))


def _group_row(group: pd.DataFrame, bench: np.ndarray, *, n_boot: int, seed: int) -> dict[str, float | int]:
    probs, y = group[list(PROB_COLUMNS)].to_numpy(float), group["y"].to_numpy(np.int64)
    row: dict[str, float | int] = {"n": len(group), **evaluate(probs, y)}
    paired = np.isfinite(bench).all(axis=1)
    row["n_bench"] = int(paired.sum())
    if paired.sum() == 0:
        return row
    row.update({f"bench_{name}": value for name, value in evaluate(bench[paired], y[paired]).items()})
    model_rps, bench_rps = per_row_rps(probs[paired], y[paired]), per_row_rps(bench[paired], y[paired])
    ci = paired_bootstrap_diff(model_rps, bench_rps, n_boot=n_boot, seed=seed)
    row.update({"rps_diff": ci.mean_diff, "rps_diff_lo": ci.lo, "rps_diff_hi": ci.hi})
    return row


def report_by_group(
    preds: pd.DataFrame,
    benchmark_probs: ArrayLike,
    by: Sequence[str] = ("div", "season"),
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Every metric per group for the model and the benchmark, with a bootstrap CI of the RPS difference.

    Args:
        preds: the frame of :func:`walk_forward`.
        benchmark_probs: ``(n, 3)`` benchmark (closing market) probabilities aligned with ``preds`` rows;
            NaN rows are left out of the benchmark columns and the paired difference.
        by: grouping columns; ``()`` gives one overall row.

    Columns: ``by``, ``n``, the :data:`METRICS` of the model, ``n_bench``, ``bench_<metric>``,
    ``rps_diff`` (model minus benchmark, negative = model better), ``rps_diff_lo``, ``rps_diff_hi`` (95% CI).
    """
    bench = np.asarray(benchmark_probs, dtype=float)
    if bench.shape != (len(preds), len(PROB_COLUMNS)):
        raise ModelError(f"benchmark_probs must have shape ({len(preds)}, 3) aligned with preds, got {bench.shape}")
    # A fresh RangeIndex makes each group's index its row positions in ``bench``.
    frame = preds.reset_index(drop=True)
    groups = [((), frame)] if not by else list(frame.groupby(list(by), sort=True, dropna=False))
    records = []
    for key, group in groups:
        values = key if isinstance(key, tuple) else (key,)
        row = _group_row(group, bench[group.index.to_numpy()], n_boot=n_boot, seed=seed)
        records.append({**dict(zip(by, values, strict=True)), **row})
    columns = [
        *by,
        "n",
        *METRICS,
        "n_bench",
        *(f"bench_{m}" for m in METRICS),
        "rps_diff",
        "rps_diff_lo",
        "rps_diff_hi",
    ]
    return pd.DataFrame.from_records(records).reindex(columns=columns)


def _as_mapping(value: float | Mapping[str, float]) -> Mapping[str, float]:
    return value if isinstance(value, Mapping) else {"overall": float(value)}


def leak_check(
    model_rps: float | Mapping[str, float], market_rps: float | Mapping[str, float], tolerance: float = LEAK_TOLERANCE
) -> list[str]:
    """Warnings for every group where the model beats the closing market by more than ``tolerance`` RPS.

    Args:
        model_rps: mean RPS overall, or per group (e.g. per division).
        market_rps: the closing-market RPS, same shape; groups missing on either side are skipped.
    """
    model, market = _as_mapping(model_rps), _as_mapping(market_rps)
    warnings = []
    for group in sorted(set(model) & set(market)):
        margin = market[group] - model[group]
        if margin > tolerance:
            warnings.append(
                f"suspected leak in {group}: model RPS {model[group]:.4f} beats the closing market "
                f"{market[group]:.4f} by {margin:.4f} (> {tolerance}). Check that no feature uses closing odds "
                "or anything known only at or after kick-off (the match's own result or statistics), that "
                "rating and form features use only matches strictly before the match date, and that training "
                "and test seasons do not overlap."
            )
    return warnings
