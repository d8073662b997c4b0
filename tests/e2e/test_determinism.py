"""Same data, same params, same seed: the same pipeline run, whatever the machine's load.

The smoke experiment runs twice through `soccerpredict pipeline run` (all 22 stages in one process), each
in a fresh process (so with a different hash seed too), a fresh SOCCER_HOME (database, object store, MLflow
registry) and its own work folder; the second run shares the machine with a busy loop on another core.
Tuning budgets are counted in trials, so both runs must run the same trials, select, calibrate and promote
the same model, score the same metrics and write byte-identical predictions (the held-out season's, and the
batch's once version 1 is promoted by hand: the smoke model does not pass the quality gate). Every file of the
work folder is compared (the fitted model's pickle included); only the fields named in ``RUN_SPECIFIC`` and the
random element ids of ``RANDOM_IDS`` may differ.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from soccerpredict.params import compose_params, write_params

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: A run on a loaded machine took 8 minutes here; a run taking longer than this fails.
RUN_TIMEOUT = 1800
#: The busy loop stops by itself after this many seconds (and is killed as soon as the loaded run ends).
BUSY_SECONDS = RUN_TIMEOUT

#: Run-specific by nature; everything else must be equal. Per file: JSON key paths (dotted), parquet columns,
#: or line prefixes of a text file.
_GE_LOAD_TIME = "great_expectations.meta.batch_markers.ge_load_time"  # when Great Expectations read the batch
RUN_SPECIFIC: dict[str, tuple[str, ...]] = {
    "reports/evaluation.json": ("created",),  # when the report was written
    "registry/registration.json": ("run_id",),  # the MLflow run's id
    "serving/predictions.parquet": ("features_as_of",),  # when batch inference ran
    "reports/model_card/model_card.md": ("*Generated ",),  # the card's date line
    **{f"reports/validate_{gate}.json": (_GE_LOAD_TIME,) for gate in ("raw", "finished", "future", "features")},
}
#: Evidently's HTML report names its elements by random UUIDs; they are replaced before comparing.
RANDOM_IDS: dict[str, re.Pattern[str]] = {
    "reports/drift.html": re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"),
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    home: Path
    artifacts: Path
    results: list[subprocess.CompletedProcess[str]]

    def json(self, name: str) -> Any:
        return json.loads((self.artifacts / name).read_text())


def _pipeline_run(root: Path, params: Path) -> Run:
    """The smoke experiment's 22 stages in a fresh process and SOCCER_HOME, then batch inference with version 1."""
    root.mkdir(parents=True)
    env = {
        **os.environ,
        "PATH": f"{BIN}:/usr/bin:/bin",
        "SOCCER_HOME": str(root / "home"),
        "COLUMNS": "160",
        "HOME": str(root),
    }
    for name in ("MLFLOW_TRACKING_URI", "SOCCER_DB_URL", "SOCCER_STORE_URI", "PYTHONHASHSEED"):
        env.pop(name, None)
    cli, artifacts = str(BIN / "soccerpredict"), root / "art"
    stage = ["--workdir", str(artifacts), "--params", str(params)]
    commands = [
        [cli, "pipeline", "run", *stage],
        # The smoke model fails the quality gate (one league, stats only, two trials), so batch inference had no
        # champion to score with: version 1 is promoted by hand, as a user accepts a version, and the two
        # publishing stages run again.
        [cli, "registry", "promote", "--version", "1", "--to", "champion"],
        [cli, "stage", "batch_inference", *stage],
        [cli, "stage", "build_cards", *stage],
    ]
    results = []
    for command in commands:
        results.append(subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT))
        if results[-1].returncode != 0:
            break
    return Run(root / "home", artifacts, results)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Run]]:
    root = tmp_path_factory.mktemp("determinism")
    params = write_params(compose_params("smoke", []), root / "params.yaml")
    first = _pipeline_run(root / "first", params)
    spin = f"import time\nend = time.monotonic() + {BUSY_SECONDS}\nwhile time.monotonic() < end:\n    pass\n"
    busy = subprocess.Popen([sys.executable, "-c", spin])
    try:
        second = _pipeline_run(root / "loaded", params)
    finally:
        busy.kill()
        busy.wait()
    for run in (first, second):
        for result in run.results:
            assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    yield first, second


def _without(loaded: Any, dotted: str, relative: str) -> Any:
    """``loaded`` (a JSON object) without the key at the dotted path, which must be there."""
    head, _, rest = dotted.partition(".")
    assert isinstance(loaded, dict) and head in loaded, f"{relative} lacks {dotted}: update RUN_SPECIFIC"
    if not rest:
        return {k: v for k, v in loaded.items() if k != head}
    return {**loaded, head: _without(loaded[head], rest, relative)}


def _normalised(path: Path, relative: str) -> Any:
    """The file's content without its run-specific parts: bytes, or a comparable object when some are dropped."""
    if relative in RANDOM_IDS:
        return RANDOM_IDS[relative].sub("<id>", path.read_text())
    dropped = RUN_SPECIFIC.get(relative, ())
    if not dropped:
        return path.read_bytes()
    if path.suffix == ".json":
        loaded = json.loads(path.read_text())
        for dotted in dropped:
            loaded = _without(loaded, dotted, relative)
        return loaded
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        assert set(dropped) <= set(frame.columns), f"{relative} lacks {dropped}: update RUN_SPECIFIC"
        return frame.drop(columns=list(dropped))
    lines = path.read_text().splitlines()
    assert any(line.startswith(dropped) for line in lines), f"{relative} lacks {dropped}: update RUN_SPECIFIC"
    return [line for line in lines if not line.startswith(dropped)]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    return bool(a == b)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_both_runs_write_the_same_files(runs: tuple[Run, Run]) -> None:
    first, second = runs
    assert _files(first.artifacts) == _files(second.artifacts)
    assert set(RUN_SPECIFIC) | set(RANDOM_IDS) <= set(_files(first.artifacts))


def test_tuning_runs_exactly_the_same_trials(runs: tuple[Run, Run]) -> None:
    first, second = runs
    budget = compose_params("smoke", [])["tuning"]
    for name in ("xgb", "hgb", "logreg"):
        relative = f"models/tuning_{name}.json"
        assert (first.artifacts / relative).read_bytes() == (second.artifacts / relative).read_bytes(), relative
        trials = first.json(relative)["trials"]
        expected = budget["n_trials_by_model"].get(name, budget["n_trials"])
        assert [t["number"] for t in trials] == list(range(expected))
        assert {t["state"] for t in trials} == {"COMPLETE"}


def test_the_same_model_is_selected_calibrated_and_promoted(runs: tuple[Run, Run]) -> None:
    first, second = runs
    for relative in ("models/selection.json", "models/calibration.json", "registry/promotion.json"):
        assert first.json(relative) == second.json(relative), relative
    assert _aliases(first.home) == _aliases(second.home)


def test_the_same_metrics(runs: tuple[Run, Run]) -> None:
    first, second = runs
    assert (first.artifacts / "metrics.json").read_bytes() == (second.artifacts / "metrics.json").read_bytes()
    for relative in ("reports/evaluation.json", "models/baselines.json", "reports/backtest.json"):
        assert _equal(
            _normalised(first.artifacts / relative, relative), _normalised(second.artifacts / relative, relative)
        ), relative


def test_predictions_are_byte_identical(runs: tuple[Run, Run]) -> None:
    first, second = runs
    test_predictions = "reports/test_predictions.parquet"
    assert (first.artifacts / test_predictions).read_bytes() == (second.artifacts / test_predictions).read_bytes()
    batch = [pd.read_parquet(run.artifacts / "serving/predictions.parquet") for run in runs]
    probabilities = ["p_home", "p_draw", "p_away"]
    assert len(batch[0]) > 0
    assert batch[0][probabilities].to_numpy().tobytes() == batch[1][probabilities].to_numpy().tobytes()
    assert _equal(
        _normalised(first.artifacts / "serving/predictions.parquet", "serving/predictions.parquet"),
        _normalised(second.artifacts / "serving/predictions.parquet", "serving/predictions.parquet"),
    )


def test_every_other_output_is_the_same(runs: tuple[Run, Run]) -> None:
    first, second = runs
    different = [
        relative
        for relative in _files(first.artifacts)
        if not _equal(
            _normalised(first.artifacts / relative, relative), _normalised(second.artifacts / relative, relative)
        )
    ]
    assert different == []


def _aliases(home: Path) -> dict[str, list[str]]:
    """Aliases per version in a run's own MLflow registry."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    versions = client.search_model_versions("name = 'soccer-1x2'")
    aliases = {str(v.version): sorted(client.get_model_version("soccer-1x2", v.version).aliases) for v in versions}
    assert aliases, "no version registered"
    return aliases
