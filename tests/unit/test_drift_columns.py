"""The drift stage's column budget: at most N columns, evenly spread over the feature list, order kept."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from soccerpredict.monitoring.drift import spread_columns


def test_no_budget_or_a_large_one_keeps_every_column() -> None:
    columns = ["elo_diff", "pi_diff", "form_home_points"]
    assert spread_columns(columns, None) == columns
    assert spread_columns(columns, 3) == columns
    assert spread_columns(columns, 10) == columns


def test_a_budget_takes_every_kth_column() -> None:
    columns = [f"c{i}" for i in range(10)]
    assert spread_columns(columns, 5) == ["c0", "c2", "c4", "c6", "c8"]
    assert spread_columns(columns, 3) == ["c0", "c3", "c6"]


@given(n=st.integers(1, 300), budget=st.integers(1, 300))
def test_spread_is_a_sized_ordered_subset_reaching_every_stretch(n: int, budget: int) -> None:
    columns = [f"f{i:03d}" for i in range(n)]
    picked = spread_columns(columns, budget)
    assert len(picked) == min(n, budget)
    assert picked == sorted(set(picked))  # unique, in the feature list's order
    assert picked[0] == columns[0]
    # No stretch of the list longer than n / budget (rounded up) goes unchecked.
    positions = [columns.index(c) for c in picked] + [n]
    assert max(b - a for a, b in pairwise(positions)) <= -(-n // min(n, budget))
