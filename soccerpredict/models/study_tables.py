"""The walk-forward study's comparison tables: every forecaster against the closing market, each model against
each baseline, and each track's quality goal. Pure functions over the study's per-match predictions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from soccerpredict.errors import ModelError

__all__ = ["BIG_FIVE", "GOALS", "against_market", "goals_and_leaks", "scope_mask", "versus_baselines"]

#: The big five leagues: Premier League, La Liga, Bundesliga, Serie A, Ligue 1.
BIG_FIVE: Final = ("E0", "SP1", "D1", "I1", "F1")
#: The quality goals of the forecasting core, RPS (model minus de-vigged closing market).
GOALS: Final = {
    "stats_only": ("big_five", 0.003, "RPS within 0.003 of the closing market on the big five"),
    "market_aware": ("all", 0.0, "RPS at or below the closing market on all divisions"),
}


def scope_mask(preds: pd.DataFrame, scope: str) -> np.ndarray:
    """The rows of ``preds`` in ``scope``: ``big_five`` (its divisions) or ``all``."""
    return preds["div"].isin(BIG_FIVE).to_numpy() if scope == "big_five" else np.ones(len(preds), dtype=bool)


def against_market(
    predictions: Mapping[str, pd.DataFrame], market: np.ndarray, boot: Mapping[str, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every forecaster against the closing market: per division and season, and overall per scope."""
    from soccerpredict.models.backtest import report_by_group

    reference = next(iter(predictions.values()))
    by_group, overall = [], []
    for name, preds in predictions.items():
        if not np.array_equal(preds["row"].to_numpy(), reference["row"].to_numpy()):
            raise ModelError(f"{name} predicted different matches from the other forecasters")
        table = report_by_group(preds, market, by=("div", "season"), **boot)
        by_group.append(table.assign(forecaster=name))
        for scope in ("big_five", "all"):
            mask = scope_mask(preds, scope)
            if mask.any():
                row = report_by_group(preds[mask], market[mask], by=(), **boot).assign(forecaster=name, scope=scope)
                overall.append(row)
    return pd.concat(by_group, ignore_index=True), pd.concat(overall, ignore_index=True)


def versus_baselines(
    predictions: Mapping[str, pd.DataFrame], tracks: Sequence[str], boot: Mapping[str, int]
) -> pd.DataFrame:
    """Paired RPS differences, each track's model minus each baseline, per scope."""
    from soccerpredict.models.backtest import paired_bootstrap_diff
    from soccerpredict.models.metrics import per_row_rps

    reference = next(iter(predictions.values()))
    versus = []
    y_test = reference["y"].to_numpy()
    for track in tracks:
        model_rps = per_row_rps(predictions[f"model:{track}"][["p_home", "p_draw", "p_away"]].to_numpy(), y_test)
        for baseline in ("elo_logit", "goals_model", "climatology", "prematch_market"):
            if baseline not in predictions:
                continue
            base_rps = per_row_rps(predictions[baseline][["p_home", "p_draw", "p_away"]].to_numpy(), y_test)
            for scope in ("big_five", "all"):
                mask = scope_mask(reference, scope)
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
    return pd.DataFrame(versus)


def goals_and_leaks(
    tracks: Sequence[str], by_group: pd.DataFrame, overall: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per track: its quality goal against the measured difference to the market, and the leak warnings."""
    from soccerpredict.models.backtest import leak_check

    goals, leaks = [], []
    for track in tracks:
        scope, tolerance, text = GOALS[track]
        row = overall[(overall["forecaster"] == f"model:{track}") & (overall["scope"] == scope)]
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
        per_div = by_group[by_group["forecaster"] == f"model:{track}"]
        model_by = {str(k): float(v) for k, v in per_div.groupby("div")["rps"].mean().items()}
        market_by = {str(k): float(v) for k, v in per_div.groupby("div")["bench_rps"].mean().dropna().items()}
        leaks += [f"{track}: {w}" for w in leak_check(model_by, market_by)]
    return goals, leaks
