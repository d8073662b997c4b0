"""`dvc plots show` and `dvc plots diff` (the real dvc binary, no network) render the plots dvc.yaml declares.

The plot files are written by the same functions and under the same names as the backtest and explain
stages write them, into a throw-away DVC project holding a copy of dvc.yaml. (In the diff test the files of
the earlier revision are committed to git, not pushed to a DVC cache: what is tested is the declaration.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from components.stages import stage_by_name
from pipelines.dvc import WORKDIR
from soccerpredict.models.metrics import PROB_COLUMNS
from soccerpredict.models.plots import MODEL_LABEL, write_backtest_plots, write_importance_plot

REPO = Path(__file__).resolve().parents[2]
DVC = Path(sys.executable).parent / "dvc"


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "HOME": str(project)}
    return subprocess.run([str(DVC), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dvc_plots")
    shutil.copyfile(REPO / "dvc.yaml", root / "dvc.yaml")
    rng = np.random.default_rng(4)
    n = 400
    market = rng.dirichlet([4.0, 2.5, 3.0], n)
    model = rng.dirichlet([4.0, 2.5, 3.0], n)
    preds = pd.DataFrame(
        {
            "season": np.repeat(["2223", "2324"], n // 2),
            "div": rng.choice(["E0", "SP1"], n),
            "y": [rng.choice(3, p=p) for p in market],
        }
    )
    preds[list(PROB_COLUMNS)] = model
    backtest = root / WORKDIR / stage_by_name("backtest").outputs["backtest_plots"]
    write_backtest_plots({MODEL_LABEL: preds}, market, backtest, n_boot=50, seed=0)
    rows = [{"feature": f"feature_{i}", "log_loss_increase": 0.01 * i, "std": 0.001} for i in range(4)]
    write_importance_plot(rows, root / WORKDIR / stage_by_name("explain").outputs["importance_plots"])
    assert _dvc(root, "init", "--no-scm", "-q").returncode == 0
    return root


def test_dvc_plots_show_renders_every_declared_plot(project: Path) -> None:
    declared = yaml.safe_load((project / "dvc.yaml").read_text())["plots"]
    ids = [next(iter(entry)) if isinstance(entry, dict) else entry for entry in declared]
    assert len(ids) >= 8

    shown = _dvc(project, "plots", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert not report.get("errors"), report.get("errors")
    assert set(report["data"]) == set(ids)
    for entry in declared:
        if not isinstance(entry, dict):  # an image: DVC shows the PNG itself
            (image,) = report["data"][entry]
            assert image["type"] == "image" and Path(image["url"]).read_bytes().startswith(b"\x89PNG")
            continue
        ((name, spec),) = entry.items()
        (plot,) = report["data"][name]
        values = plot["content"]["data"]["values"]
        assert plot["type"] == "vega" and values, name
        # The x column of the spec and each declared y column exist in every rendered row.
        (columns,) = spec["y"].values()
        columns = [columns] if isinstance(columns, str) else columns
        for column in (spec["x"], *columns):
            assert all(row.get(column) not in (None, "") for row in values), (name, column)

    html = _dvc(project, "plots", "show", "-o", "rendered")
    assert html.returncode == 0, html.stderr
    assert (project / "rendered" / "index.html").is_file()
    assert len(list((project / "rendered" / "static").glob("*.png"))) == sum(isinstance(e, str) for e in declared)


def test_dvc_plots_diff_compares_a_revision_with_the_workspace(project: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(project, repo, ignore=shutil.ignore_patterns("rendered", "dvc_plots", ".dvc"))
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, capture_output=True, timeout=60)
    assert _dvc(repo, "init", "-q").returncode == 0
    for command in (["add", "-A"], ["commit", "-q", "-m", "a run"]):
        subprocess.run([*git, *command], cwd=repo, check=True, capture_output=True, timeout=60)
    importance = repo / WORKDIR / stage_by_name("explain").outputs["importance_plots"] / "importance.csv"
    importance.write_text(importance.read_text().replace("feature_3,0.030000", "feature_3,0.050000"))

    diffed = _dvc(repo, "plots", "diff", "HEAD", "--json")
    assert diffed.returncode == 0, diffed.stderr
    report = json.loads(diffed.stdout)
    assert not report.get("errors"), report.get("errors")
    (plot,) = report["data"]["importance"]
    assert set(plot["revisions"]) == {"HEAD", "workspace"}
    values = {(row["rev"], row["feature"]): row["importance"] for row in plot["content"]["data"]["values"]}
    assert values[("HEAD", "feature_3")] == "0.030000" and values[("workspace", "feature_3")] == "0.050000"
