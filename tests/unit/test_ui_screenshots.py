"""`make screenshots` (tools/ui_screenshots.py) pictures every page of the web UI, and docs/ui.md shows each one."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from serving.ui.app import PAGES

REPO = Path(__file__).resolve().parents[2]
#: Committed pictures stay small enough for the repository and the docs site.
MAX_BYTES = 300 * 1024


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ui_screenshots", REPO / "tools" / "ui_screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_every_page_has_a_screenshot_and_docs_show_each_under_its_section() -> None:
    shots = _tool().shots()
    assert [shot.page for shot in shots] == list(PAGES)
    doc = (REPO / "docs" / "ui.md").read_text()
    sections = dict(re.findall(r"^### (\w+)\n(.*?)(?=^#|\Z)", doc, flags=re.MULTILINE | re.DOTALL))
    for shot in shots:
        picture = REPO / "docs" / "ui" / shot.file
        assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size < MAX_BYTES
        assert f"](ui/{shot.file})" in sections[shot.page]
    assert "make screenshots" in doc
