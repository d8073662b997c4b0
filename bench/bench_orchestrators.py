"""Wall time of the smoke experiment under each orchestrator, one after the other, each in a fresh folder.

    .venv/bin/python bench/bench_orchestrators.py [--only in-process,kfp-docker] [--image REF]

Runs, on the shipped sample with `conf/experiment/smoke.yaml`: the 22 stages in one process
(`soccerpredict pipeline run`), under DVC in a fresh git copy of the pipeline files (`dvc repro`), through
KFP's local SubprocessRunner (`pipeline run --local`) and through KFP's DockerRunner in the project image
(`pipeline run --local --runner docker`, the image `make image` built from this source unless --image). Each
gets its own SOCCER_HOME (SQLite database, MLflow store). Prints one row per run: wall time, exit code and the
held-out RPS it reports, so the runs can be checked to agree. The machine's load average is printed first and
last: these are single runs on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIED = (".dvc", ".dvcignore", ".gitignore", "dvc.yaml", "conf", "components", "pipelines", "soccerpredict", "serving")


def _workspace(root: Path) -> Path:
    from soccerpredict.params import compose_params, write_params

    root.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "tmp", "cache"))
        else:
            shutil.copy2(source, root / name)
    (root / "data").symlink_to(REPO / "data")
    write_params(compose_params("smoke", []), root / "params.yaml")
    return root


def _commands(ws: Path, image: str) -> dict[str, list[list[str]]]:
    cli = str(BIN / "soccerpredict")
    return {
        "in-process": [[cli, "pipeline", "run", "--workdir", str(ws / "artifacts")]],
        "dvc": [
            ["git", "init", "-q"],
            ["git", "add", "."],
            ["git", "commit", "-qm", "bench"],
            [str(BIN / "dvc"), "repro"],
        ],
        "kfp-subprocess": [[cli, "pipeline", "run", "--local", "--pipeline-root", str(ws / "outputs")]],
        "kfp-docker": [
            [
                cli,
                "pipeline",
                "run",
                "--local",
                "--runner",
                "docker",
                "--image",
                image,
                "--pipeline-root",
                str(ws / "outputs"),
            ]
        ],
    }


def _rps(ws: Path) -> float | None:
    for path in [ws / "artifacts" / "metrics.json", *sorted((ws / "outputs").rglob("evaluate/metrics"))]:
        if path.is_file():
            return float(json.loads(path.read_text())["rps"])
    return None


def main() -> None:
    from soccerpredict.image import image_reference

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="in-process,dvc,kfp-subprocess,kfp-docker")
    parser.add_argument("--image", default=None)
    args = parser.parse_args()
    image = args.image or image_reference()
    print(f"load average {os.getloadavg()[0]:.2f}; image {image}")
    root = Path(tempfile.mkdtemp(prefix="bench-orchestrators-"))
    env_base = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "COLUMNS": "160",
        "DVC_NO_ANALYTICS": "1",  # DVC would report usage and look for updates over the network
    }
    for key in ("MLFLOW_TRACKING_URI", "SOCCER_DB_URL", "SOCCER_STORE_URI"):
        env_base.pop(key, None)
    print("| run | wall time | exit | held-out RPS |\n|---|---|---|---|")
    for name in args.only.split(","):
        ws = _workspace(root / name)
        env = {
            **env_base,
            "SOCCER_HOME": str(ws / "home"),
            "HOME": str(ws),
            "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@localhost",
            "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@localhost",
        }
        start, code = time.monotonic(), 0
        for command in _commands(ws, image)[name]:
            done = subprocess.run(command, cwd=ws, env=env, capture_output=True, text=True)
            code = done.returncode
            if code:
                print((done.stdout + done.stderr)[-2000:], file=sys.stderr)
                break
        wall = time.monotonic() - start
        print(f"| {name} | {wall:.1f} s | {code} | {_rps(ws)} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}; outputs under {root}")


if __name__ == "__main__":
    main()
