"""tools/mutation_report.py: mutmut's results become kill rates per module and a list of survivors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mutation_report.py"


@pytest.fixture(scope="module")
def report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_report", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_report"] = module  # dataclasses and annotations resolve through sys.modules
    spec.loader.exec_module(module)
    return module


RESULTS = """\
    soccerpredict.features.devig.x_overround__mutmut_1: killed
    soccerpredict.features.devig.x_overround__mutmut_2: survived
    soccerpredict.features.devig.x_shin_z__mutmut_10: timeout
    serving.api.auth.xǁApiKeyAuthǁcheck__mutmut_3: killed
    serving.api.auth.xǁApiKeyAuthǁcheck__mutmut_4: no tests
not a result line
"""


def test_results_are_read_by_mutant_and_module(report: ModuleType) -> None:
    found = report.outcomes(RESULTS)
    assert len(found) == 5
    assert found["serving.api.auth.xǁApiKeyAuthǁcheck__mutmut_4"] == "no tests"
    assert {report.module_of(name) for name in found} == {"soccerpredict.features.devig", "serving.api.auth"}


def test_the_table_counts_killed_and_timed_out_as_caught(report: ModuleType) -> None:
    found = report.outcomes(RESULTS)
    diffs = {
        "soccerpredict.features.devig.x_overround__mutmut_2": ["-    return a.sum(axis=1)", "+    return a.sum()"],
        "serving.api.auth.xǁApiKeyAuthǁcheck__mutmut_4": ["-    x = 1", "+    x = 2"],
    }
    page = report.render(found, diffs, seconds=120)
    assert "**3 of 5 mutants caught (60%)**" in page
    assert "| `soccerpredict.features.devig` | 3 | 1 | 1 | 1 | 0 | 67% |" in page
    assert "| `serving.api.auth` | 2 | 1 | 0 | 0 | 1 | 50% |" in page
    assert "- `x_overround__mutmut_2` (survived): `return a.sum(axis=1)` → `return a.sum()`" in page
    assert "x_shin_z__mutmut_10" not in page  # caught mutants are not listed


def test_only_changed_source_lines_are_kept_from_a_diff(report: ModuleType) -> None:
    diff = "--- a.py\n+++ b.py\n@@ -1 +1 @@\n-    x = 1\n+    x = 2\n     y = 3\n+\n"
    assert report.changed_lines(diff) == ["-    x = 1", "+    x = 2"]


def test_a_pinned_run_says_how_many_cores_it_had(report: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(report.os, "sched_getaffinity", lambda pid: {1}, raising=False)
    assert report._cores() == "2 cores, run pinned to one core"
    monkeypatch.setattr(report.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert report._cores() == "2 cores"
