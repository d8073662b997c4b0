"""Grafana dashboards (manifests/grafana/dashboards/) and their provisioning: valid JSON, the provisioned
Prometheus datasource, and queries that use only metrics of the metric table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from promql import promql_metric_names

from soccerpredict.monitoring.metrics import METRICS, metric_names

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "manifests" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "soccerpredict.yml"
TITLES = {
    "serving.json": "SoccerPredict: serving",
    "model-quality.json": "SoccerPredict: model quality and market",
}
BUILTIN_SERIES = frozenset({"up"})
#: What each dashboard must show (by the metric it is computed from).
REQUIRED = {
    "serving.json": {
        "soccerpredict_http_requests_total",
        "soccerpredict_http_request_duration_seconds_bucket",
        "soccerpredict_prediction_cache_hits_total",
        "soccerpredict_prediction_cache_misses_total",
        "soccerpredict_prediction_cache_errors_total",
        "soccerpredict_predictor_errors_total",
        "soccerpredict_async_jobs_total",
        "soccerpredict_async_queue_depth",
        "soccerpredict_model_info",
    },
    "model-quality.json": {
        "soccerpredict_model_eval_rps",
        "soccerpredict_model_calibration_error",
        "soccerpredict_model_feature_drift_score",
        "soccerpredict_model_drifted_features_share",
        "soccerpredict_model_champion_promoted_timestamp_seconds",
        "soccerpredict_pipeline_runs_total",
    },
}


def dashboard(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DASHBOARDS / name).read_text())
    return data


def panels(dash: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dash["panels"]:
        yield panel
        yield from panel.get("panels", [])  # panels inside collapsed rows


def provisioned_uid() -> str:
    sources = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    prometheus = [s for s in sources if s["type"] == "prometheus"]
    assert len(prometheus) == 1
    uid: str = prometheus[0]["uid"]
    return uid


def used_metrics(name: str) -> set[str]:
    return {
        metric
        for panel in panels(dashboard(name))
        for target in panel.get("targets", [])
        for metric in promql_metric_names(target["expr"])
    }


def test_the_two_dashboards_and_nothing_else() -> None:
    assert {p.name for p in DASHBOARDS.glob("*.json")} == set(TITLES)


@pytest.mark.parametrize("name", sorted(TITLES))
def test_dashboard_has_uid_title_and_panels(name: str) -> None:
    dash = dashboard(name)
    assert dash["title"] == TITLES[name]
    assert dash["uid"] and len(dash["uid"]) <= 40
    real = [p for p in panels(dash) if p["type"] != "row"]
    assert len(real) >= 6
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in real:
        assert panel["title"] and panel.get("description"), panel["id"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"


def test_uids_differ() -> None:
    assert len({dashboard(name)["uid"] for name in TITLES}) == len(TITLES)


@pytest.mark.parametrize("name", sorted(TITLES))
def test_every_query_uses_the_provisioned_datasource(name: str) -> None:
    uid = provisioned_uid()
    for panel in panels(dashboard(name)):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
        for target in panel["targets"]:
            assert target.get("datasource", panel["datasource"]) == {"type": "prometheus", "uid": uid}


@pytest.mark.parametrize("name", sorted(TITLES))
def test_every_query_uses_only_defined_metrics(name: str) -> None:
    known = metric_names() | BUILTIN_SERIES
    for panel in panels(dashboard(name)):
        for target in panel.get("targets", []):
            used = promql_metric_names(target["expr"])
            assert used, f"{panel['title']}: no metric in {target['expr']!r}"
            assert used <= known, f"{panel['title']}: metrics nobody defines: {used - known}"


@pytest.mark.parametrize("name", sorted(TITLES))
def test_dashboard_shows_what_it_is_for(name: str) -> None:
    assert REQUIRED[name] <= used_metrics(name)


def test_every_metric_of_the_table_is_on_a_dashboard() -> None:
    shown = set().union(*(used_metrics(name) for name in TITLES))
    for spec in METRICS:
        series = {spec.exported} | (
            {f"{spec.exported}_bucket", f"{spec.exported}_count"} if spec.kind == "histogram" else set()
        )
        assert series & shown, f"{spec.exported} is on no dashboard"


def test_dashboard_provider_loads_the_folder() -> None:
    providers = yaml.safe_load(PROVIDERS.read_text())
    assert providers["apiVersion"] == 1
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]
    assert provider["folder"]


def test_datasource_points_at_prometheus() -> None:
    sources = yaml.safe_load(DATASOURCES.read_text())
    assert sources["apiVersion"] == 1
    (source,) = sources["datasources"]
    assert source["url"].startswith("http://prometheus:9090")
    assert source["access"] == "proxy"
