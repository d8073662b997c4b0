"""Every Prometheus metric of SoccerPredict: name, type, labels and help, defined once.

The facade, the predictor, the workers and the pipeline create their metrics from :data:`METRICS`
through :func:`build` (an isolated registry in tests, the default registry in services); the alert
rules and Grafana dashboards are checked against the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["LATENCY_BUCKETS", "METRICS", "MetricSpec", "Metrics", "build", "default_metrics", "metric_names"]

Kind = Literal["counter", "gauge", "histogram"]

#: Seconds; fine at the low end because cache hits take about a millisecond.
LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric's definition."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()


METRICS: Final = (
    MetricSpec("http_requests_total", "counter", "HTTP requests served.", ("service", "route", "method", "status")),
    MetricSpec("http_request_duration_seconds", "histogram", "HTTP request latency.", ("service", "route", "method")),
    MetricSpec("predictions_total", "counter", "Predictions returned, by where they came from.", ("source",)),
    MetricSpec("prediction_duration_seconds", "histogram", "Time to produce one prediction.", ("source",)),
    MetricSpec("prediction_cache_hits_total", "counter", "Prediction cache hits.", ("service",)),
    MetricSpec("prediction_cache_misses_total", "counter", "Prediction cache misses.", ("service",)),
    MetricSpec("prediction_cache_errors_total", "counter", "Prediction cache failures (Redis down).", ("service",)),
    MetricSpec("predictor_errors_total", "counter", "Failed calls from the facade to the predictor.", ("reason",)),
    MetricSpec("model_info", "gauge", "The model version being served (value 1).", ("service", "model", "version")),
    MetricSpec("model_swaps_total", "counter", "Champion hot swaps performed by the predictor.", ()),
    MetricSpec(
        "model_champion_promoted_timestamp_seconds", "gauge", "When the served champion was promoted.", ("model",)
    ),
    MetricSpec("model_feature_drift_score", "gauge", "Evidently drift score per feature.", ("feature", "method")),
    MetricSpec("model_drifted_features_share", "gauge", "Share of features flagged as drifted.", ()),
    MetricSpec(
        "predictions_last_refresh_timestamp_seconds", "gauge", "When precomputed predictions were last loaded.", ()
    ),
    MetricSpec("async_jobs_total", "counter", "Async jobs by task and final state.", ("task", "state")),
    MetricSpec("async_queue_depth", "gauge", "Messages waiting in a Celery queue.", ("queue",)),
    MetricSpec("pipeline_runs_total", "counter", "Training pipeline runs by final status.", ("status",)),
    MetricSpec("pipeline_last_success_timestamp_seconds", "gauge", "When the training pipeline last succeeded.", ()),
)


def metric_names() -> set[str]:
    """Every exported series name, including the suffixes Prometheus adds (_bucket, _count, _sum, _created)."""
    names: set[str] = set()
    for spec in METRICS:
        names.add(spec.name)
        if spec.kind == "histogram":
            names |= {f"{spec.name}_bucket", f"{spec.name}_count", f"{spec.name}_sum"}
    return names


class Metrics:
    """The metric objects of one registry, by name: ``metrics["predictions_total"].labels(source="cache").inc()``."""

    def __init__(self, collectors: dict[str, Any]) -> None:
        self._collectors = collectors

    def __getitem__(self, name: str) -> Any:
        return self._collectors[name]


def build(registry: CollectorRegistry) -> Metrics:
    """Create every metric of :data:`METRICS` in a registry."""
    collectors: dict[str, Any] = {}
    for spec in METRICS:
        # prometheus_client adds _total to counters itself.
        base = spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name
        if spec.kind == "counter":
            collectors[spec.name] = Counter(base, spec.help, spec.labels, registry=registry)
        elif spec.kind == "gauge":
            collectors[spec.name] = Gauge(base, spec.help, spec.labels, registry=registry)
        else:
            collectors[spec.name] = Histogram(base, spec.help, spec.labels, buckets=LATENCY_BUCKETS, registry=registry)
    return Metrics(collectors)


@cache
def default_metrics() -> Metrics:
    """The metrics on the process-wide default registry (created once, on first use)."""
    return build(REGISTRY)
