"""The docs' generated reference pages match the code (regenerate with `soccerpredict docs generate`)."""

from __future__ import annotations

import json
from pathlib import Path

from soccerpredict.reference_docs import api_markdown, openapi_spec, stages_markdown

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
STALE = "stale: run `soccerpredict docs generate` and commit docs/reference/"


def test_api_reference_is_current() -> None:
    spec = openapi_spec()
    assert json.loads((REFERENCE / "openapi.json").read_text()) == spec, STALE
    assert (REFERENCE / "api.md").read_text() == api_markdown(spec), STALE


def test_stage_reference_is_current() -> None:
    assert (REFERENCE / "stages.md").read_text() == stages_markdown(), STALE


def test_api_reference_lists_every_route_of_the_facade() -> None:
    spec = openapi_spec()
    page = api_markdown(spec)
    for path, operations in spec["paths"].items():
        assert f"`{path}`" in page
        for operation in operations.values():
            assert f"| `{operation['operationId']}` |" in page, "the method name of generated clients"
    assert "## GET `/predict/{match_id}`" in page
