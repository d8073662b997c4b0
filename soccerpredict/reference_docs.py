"""Reference pages of the docs site generated from the code: the API (from the facade's OpenAPI) and the stages.

``soccerpredict docs generate`` writes them; a test fails when the checked-in pages differ from what the
code generates, so the site never documents an endpoint or a stage that is not there.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["api_markdown", "openapi_spec", "stages_markdown", "write_reference_docs"]

_METHODS = ("get", "post", "put", "delete", "patch")


def openapi_spec() -> dict[str, Any]:
    """The facade's OpenAPI document, built offline (no predictor, broker or Redis is contacted)."""
    from prometheus_client import CollectorRegistry

    from serving.api.app import create_app
    from soccerpredict.settings import Settings

    with tempfile.TemporaryDirectory(prefix="soccer-openapi-") as home:
        app = create_app(Settings(home=Path(home)), registry=CollectorRegistry())
        spec: dict[str, Any] = app.openapi()
    return spec


def api_markdown(spec: dict[str, Any]) -> str:
    """One section per endpoint: summary, description, parameters, responses (pure)."""
    lines = [
        "# API reference",
        "",
        f"{spec['info']['title']} {spec['info']['version']}: {spec['info'].get('description', '')}",
        "",
        "Generated from the facade's OpenAPI document by `soccerpredict docs generate` (the raw document is",
        "[openapi.json](openapi.json)); the running facade serves it at `/openapi.json` and the interactive page",
        "at `/docs`. Endpoints under `/predict` and `/monitoring` need the `X-API-Key` header: without it they",
        "answer `401` with `WWW-Authenticate: APIKey`. The operation id of each endpoint is the method name a client",
        "generated from the document gets (`predict_match`, `list_cards`, ...).",
        "",
        "| method | path | operation id | summary |",
        "|---|---|---|---|",
    ]
    operations = [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items() if method in _METHODS
    ]
    lines += [
        f"| {m.upper()} | `{p}` | `{op.get('operationId', '')}` | {op.get('summary', '')} |" for p, m, op in operations
    ]
    for path, method, op in operations:
        lines += ["", f"## {method.upper()} `{path}`", ""]
        if op.get("description"):
            lines += [op["description"].strip(), ""]
        params = op.get("parameters", [])
        if params:
            lines += ["| parameter | in | required | type | description |", "|---|---|---|---|---|"]
            lines += [
                f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | "
                f"{_type(p.get('schema', {}))} | {p.get('description', '').strip()} |"
                for p in params
            ]
            lines.append("")
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            lines += [f"Request body: {_type(body)}", ""]
        lines += ["| status | meaning |", "|---|---|"]
        lines += [f"| {code} | {r.get('description', '')} |" for code, r in op.get("responses", {}).items()]
    return "\n".join(lines) + "\n"


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return f"`{schema.get('type', 'any')}`"


def stages_markdown() -> str:
    """The stage table: order, name, what it does, what it reads and writes, its params sections, its tags (pure)."""
    from components.stages import STAGES

    lines = [
        "# The 22 stages",
        "",
        "Generated from the one stage table (`components/stages.py`) by `soccerpredict docs generate`. The same",
        "table drives `soccerpredict stage NAME`, `dvc.yaml` and the Kubeflow pipeline. Paths are relative to the",
        "work folder (`artifacts/` under DVC); params sections are those of `params.yaml`. Tags name the subsets",
        "the daily Airflow DAGs run (`inference`: `batch_inference_daily`, `drift`: `drift_daily`; listed by",
        "`soccerpredict pipeline stages --tag NAME`).",
        "",
        "| # | stage | what it does | reads | writes | params | tags |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, spec in enumerate(STAGES, start=1):
        reads = "<br>".join(f"`{p}`" for p in spec.inputs.values()) or "the database"
        writes = "<br>".join(f"`{p}`" for p in spec.outputs.values())
        params = ", ".join(spec.params) or "-"
        tags = ", ".join(spec.tags) or "-"
        lines.append(f"| {number} | `{spec.name}` | {spec.description} | {reads} | {writes} | {params} | {tags} |")
    return "\n".join(lines) + "\n"


def write_reference_docs(docs: Path) -> list[Path]:
    """Write ``reference/api.md``, ``reference/openapi.json`` and ``reference/stages.md`` under ``docs``."""
    out = docs / "reference"
    out.mkdir(parents=True, exist_ok=True)
    spec = openapi_spec()
    pages = {
        out / "api.md": api_markdown(spec),
        out / "openapi.json": json.dumps(spec, indent=2, sort_keys=True) + "\n",
        out / "stages.md": stages_markdown(),
    }
    for path, text in pages.items():
        path.write_text(text)
    return list(pages)
