"""Stage preprocessing: split loaded matches into finished (to learn from) and future (to predict)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from soccerpredict.data.columns import FINISHED, SCHEDULED
from soccerpredict.params import DataParams, ValidationParams

__all__ = ["preprocessing", "resolve_as_of"]


def resolve_as_of(frame: pd.DataFrame, as_of: str | None) -> pd.Timestamp:
    """The cut-off date: given, or the day after the last finished match (deterministic for the same data)."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize()
    finished = frame.loc[frame["status"] == FINISHED, "date"]
    return (pd.Timestamp(finished.max()) + pd.Timedelta(days=1)).normalize()


def preprocessing(
    *, matches: Path, finished: Path, future: Path, split_info: Path, data: DataParams, validation: ValidationParams
) -> dict[str, Any]:
    """Finished = results known up to ``as_of``; future = scheduled fixtures from ``as_of`` within the horizon."""
    frame = pd.read_parquet(matches).sort_values(["date", "match_id"], kind="stable")
    as_of = resolve_as_of(frame, data.as_of)
    dates = pd.to_datetime(frame["date"])
    done = frame[(frame["status"] == FINISHED) & (dates < as_of)]
    horizon = as_of + pd.Timedelta(days=validation.max_future_days)
    ahead = frame[(frame["status"] == SCHEDULED) & (dates >= as_of) & (dates <= horizon)]
    done.to_parquet(finished, index=False)
    ahead.to_parquet(future, index=False)
    info = {
        "as_of": as_of.date().isoformat(),
        "finished": len(done),
        "future": len(ahead),
        "left_out": len(frame) - len(done) - len(ahead),
    }
    split_info.write_text(json.dumps(info, indent=2))
    return info
