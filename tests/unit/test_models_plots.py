"""Evaluation plots: the plotted data (model minus market with intervals, reliability bins, importances),
byte-stable PNGs, and images inlined as data URIs for pages that cannot follow relative links."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_models_synthetic import synthetic_matches

from soccerpredict.models.backtest import paired_bootstrap_diff, report_by_group
from soccerpredict.models.metrics import PROB_COLUMNS, per_row_rps
from soccerpredict.models.plots import (
    DIFFERENCE_COLUMNS,
    OUTCOME_NAMES,
    draw_importance,
    draw_market_differences,
    draw_reliability,
    image_data_uri,
    importance_table,
    inline_images,
    market_differences,
    reliability_bins,
    write_backtest_plots,
    write_importance_plot,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def backtest() -> tuple[pd.DataFrame, np.ndarray]:
    """Walk-forward-like predictions over two seasons and two divisions; the market misses some matches."""
    data = synthetic_matches(n_seasons=2, per_season=300, seed=3)
    rng = np.random.default_rng(1)
    noisy = data.true_probs * rng.uniform(0.7, 1.3, data.true_probs.shape)
    preds = data.meta.assign(y=data.y).reset_index(drop=True)
    preds[list(PROB_COLUMNS)] = noisy / noisy.sum(axis=1, keepdims=True)
    market = data.true_probs.copy()
    market[rng.random(len(market)) < 0.1] = np.nan
    return preds, market


def test_market_differences_are_the_backtest_report_numbers(backtest: tuple[pd.DataFrame, np.ndarray]) -> None:
    preds, market = backtest
    table = market_differences(preds, market, "season", n_boot=200, seed=5)
    report = report_by_group(preds, market, by=("season",), n_boot=200, seed=5)
    assert list(table.columns) == ["season", *DIFFERENCE_COLUMNS]
    pd.testing.assert_frame_equal(
        table[list(DIFFERENCE_COLUMNS)], report[list(DIFFERENCE_COLUMNS)].astype({"n_bench": int})
    )
    # Per season: the paired per-match difference on the matches the market priced, and its interval.
    for row in table.to_dict(orient="records"):
        rows = (preds["season"] == row["season"]).to_numpy() & np.isfinite(market).all(axis=1)
        y = preds["y"].to_numpy()[rows]
        model, bench = per_row_rps(preds[list(PROB_COLUMNS)].to_numpy()[rows], y), per_row_rps(market[rows], y)
        expected = paired_bootstrap_diff(model, bench, n_boot=200, seed=5)
        assert row["n_bench"] == rows.sum()
        assert (row["rps_diff"], row["rps_diff_lo"], row["rps_diff_hi"]) == pytest.approx(tuple(expected))
        assert row["rps_diff_lo"] <= row["rps_diff"] <= row["rps_diff_hi"]


def test_groups_the_market_never_priced_are_left_out(backtest: tuple[pd.DataFrame, np.ndarray]) -> None:
    preds, market = backtest
    unpriced = market.copy()
    unpriced[(preds["div"] == preds["div"].iloc[0]).to_numpy()] = np.nan
    table = market_differences(preds, unpriced, "div", n_boot=50)
    assert set(table["div"]) == set(preds["div"]) - {preds["div"].iloc[0]}
    assert table["rps_diff"].notna().all()


_unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def forecasts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Valid H/D/A rows (some unpriced: NaN) and outcomes."""
    n = draw(st.integers(1, 60))
    raw = draw(arrays(np.float64, (n, 3), elements=_unit)) + 1e-6
    probs = raw / raw.sum(axis=1, keepdims=True)
    missing = draw(arrays(np.bool_, n))
    probs[missing] = np.nan
    return probs, draw(arrays(np.int64, n, elements=st.integers(0, 2)))


@settings(max_examples=60, deadline=None)
@given(forecasts(), st.integers(1, 12))
def test_reliability_bins_account_for_every_priced_match(forecast: tuple[np.ndarray, np.ndarray], n_bins: int) -> None:
    probs, y = forecast
    table = reliability_bins(probs, y, n_bins=n_bins)
    priced = np.isfinite(probs).all(axis=1)
    if not priced.any():
        assert table.empty
        return
    assert set(table["outcome"]) == set(OUTCOME_NAMES)
    for k, outcome in enumerate(OUTCOME_NAMES):
        bins = table[table["outcome"] == outcome]
        assert len(bins) <= n_bins and bins["n"].sum() == priced.sum()
        assert ((bins["forecast"] >= 0) & (bins["forecast"] <= 1)).all()
        assert ((bins["observed"] >= 0) & (bins["observed"] <= 1)).all()
        # Count-weighted, the bins give back the mean forecast and the frequency of the outcome.
        weights = bins["n"].to_numpy()
        assert np.average(bins["forecast"], weights=weights) == pytest.approx(probs[priced, k].mean())
        assert np.average(bins["observed"], weights=weights) == pytest.approx((y[priced] == k).mean())


def test_importance_table_keeps_the_largest_first() -> None:
    rows = [
        {"feature": name, "log_loss_increase": value, "std": 0.001}
        for name, value in (("rest", 0.0), ("elo_diff", 0.03), ("form", 0.01), ("h2h", -0.001), ("goals", 0.01))
    ]
    table = importance_table(rows, top=4)
    assert table["feature"].tolist() == ["elo_diff", "form", "goals", "rest"]
    assert table["importance"].is_monotonic_decreasing


def _draw_all(folder: Path, backtest: tuple[pd.DataFrame, np.ndarray]) -> list[Path]:
    preds, market = backtest
    diffs = market_differences(preds, market, "div", n_boot=50).assign(track="model")
    curves = reliability_bins(preds[list(PROB_COLUMNS)], preds["y"]).assign(forecaster="model")
    rows = [{"feature": f"f{i}", "log_loss_increase": 0.01 * i, "std": 0.002} for i in range(5)]
    return [
        draw_market_differences(diffs, "div", folder / "diff.png", title="t", series="track"),
        draw_reliability(curves, folder / "reliability.png", title="t"),
        draw_importance(importance_table(rows), folder / "importance.png", title="t"),
    ]


def test_the_same_data_draws_the_same_bytes_without_metadata(
    tmp_path: Path, backtest: tuple[pd.DataFrame, np.ndarray]
) -> None:
    first, second = _draw_all(tmp_path / "a", backtest), _draw_all(tmp_path / "b", backtest)
    for a, b in zip(first, second, strict=True):
        data = a.read_bytes()
        assert data.startswith(PNG_MAGIC) and data == b.read_bytes()
        # No tEXt chunk: matplotlib's version (or a date) would change the bytes between environments.
        assert b"tEXt" not in data and b"matplotlib" not in data.lower()


def test_backtest_and_importance_plots_come_with_their_data(
    tmp_path: Path, backtest: tuple[pd.DataFrame, np.ndarray]
) -> None:
    preds, market = backtest
    written = write_backtest_plots({"stats_only": preds, "market_aware": preds}, market, tmp_path, n_boot=50, seed=0)
    written.append(write_importance_plot([{"feature": "elo_diff", "log_loss_increase": 0.02, "std": 0.0}], tmp_path))
    names = {name for _title, name in written}
    assert names == {
        "rps_diff_by_season.png",
        "rps_diff_by_division.png",
        "reliability_stats_only.png",
        "reliability_market_aware.png",
        "importance.png",
    }
    assert {p.name for p in tmp_path.glob("*.png")} == names
    for stem in ("rps_diff_by_season", "rps_diff_by_division", "importance"):
        assert (tmp_path / f"{stem}.csv").is_file()
    curves = pd.read_csv(tmp_path / "reliability.csv")
    assert set(curves["forecaster"]) == {"closing market", "stats_only", "market_aware"}


def test_inline_images_embed_the_png_bytes(tmp_path: Path) -> None:
    (tmp_path / "plots").mkdir()
    png = tmp_path / "plots" / "a.png"
    png.write_bytes(PNG_MAGIC + b"rest of the image")
    text = "# Card\n\n![A plot](plots/a.png)\n\n![gone](missing.png)\n\n![web](https://example.org/b.png)\n"
    inlined = inline_images(text, tmp_path)
    uris = re.findall(r"!\[A plot\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", inlined)
    assert len(uris) == 1 and base64.b64decode(uris[0]) == png.read_bytes()
    assert "![gone](missing.png)" in inlined and "![web](https://example.org/b.png)" in inlined
    assert image_data_uri(png).endswith(uris[0])
