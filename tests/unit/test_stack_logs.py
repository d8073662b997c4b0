"""The local stack's service logs rotate at a size cap, and its readiness wait and error tails still read them.

Children are small Python processes started the way LocalStack starts a service (issue #16, defect 4: the
logs grew without bound, 20 MB after four minutes of fuzzing).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from serving.stack import LocalStack
from soccerpredict.errors import ServingError

MAX_BYTES = 4096
BACKUPS = 2
LINE = "x" * 99  # 100 bytes with its newline


def stack(tmp_path: Path) -> LocalStack:
    logs = tmp_path / "logs"
    logs.mkdir()
    return LocalStack(env={}, logs=logs, predictor_port=0, api_port=0, log_max_bytes=MAX_BYTES, log_backups=BACKUPS)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_flood_of_lines_is_capped_and_the_newest_lines_are_kept(tmp_path: Path) -> None:
    with stack(tmp_path) as s:
        s._spawn("flood", python(f"for i in range(10_000): print('{LINE}'[:-6] + f'{{i:06d}}')"))
        s.services[-1].process.wait(timeout=60)  # type: ignore[union-attr]
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["flood.log", "flood.log.1", "flood.log.2"]
    sizes = [(tmp_path / "logs" / f).stat().st_size for f in files]
    assert all(size <= MAX_BYTES for size in sizes), sizes  # 1 MB written, 12 KB kept
    assert (tmp_path / "logs" / "flood.log").read_text().splitlines()[-1].endswith("009999")


def test_the_readiness_marker_is_found_after_rotation(tmp_path: Path) -> None:
    # The marker, then more than one file's worth of lines: it sits in the newest rotated file.
    code = f"import time\nprint('w@h ready.')\nfor _ in range(45): print('{LINE}')\ntime.sleep(60)"
    rotated = tmp_path / "logs" / "svc.log.1"
    with stack(tmp_path) as s:
        s._spawn("svc", python(code))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not rotated.exists():
            time.sleep(0.05)  # until the lines after the marker rotated the file holding it
        assert "ready." in rotated.read_text() and "ready." not in (tmp_path / "logs" / "svc.log").read_text()
        s._wait_log("svc", "ready.", timeout=60)


def test_a_service_that_exits_reports_its_last_lines(tmp_path: Path) -> None:
    code = f"import sys\nfor _ in range(100): print('{LINE}')\nprint('boom: no champion')\nsys.exit(3)"
    with stack(tmp_path) as s:
        s._spawn("svc", python(code))
        with pytest.raises(ServingError, match=r"(?s)svc exited with code 3.*boom: no champion"):
            s._wait_log("svc", "never printed", timeout=60)
