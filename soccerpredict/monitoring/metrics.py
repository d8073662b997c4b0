"""Every Prometheus metric of SoccerPredict: name, type, labels and help, defined once.

The facade, the predictor and the workers create their metrics from :data:`METRICS` through
:func:`build` (an isolated registry in tests, the default registry in services); :data:`SET_BY` says
which code sets each one. The batch pipeline exports nothing itself: what it publishes (drift summary,
predictions, its run record) is exported by the facade through the ``record_*`` functions below. The
alert rules (manifests/prometheus/) and Grafana dashboards (manifests/grafana/) are checked against
this table.

Every exported name carries :data:`PREFIX` (``soccerpredict_``, the application's namespace, as Prometheus
naming asks). The table holds the names without it, which the code uses as keys
(``metrics["predictions_total"]``); :func:`exported_name` is the one rule that adds it, and queries,
dashboards and tests name the exported series (``soccerpredict_predictions_total``).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Literal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from soccerpredict.models.report import EvaluationReport

__all__ = [
    "LATENCY_BUCKETS",
    "METRICS",
    "PREFIX",
    "SET_BY",
    "MetricSpec",
    "Metrics",
    "build",
    "default_metrics",
    "exported_name",
    "metric_names",
    "record_drift",
    "record_evaluation",
    "record_pipeline_runs",
]

Kind = Literal["counter", "gauge", "histogram"]

#: The namespace of every SoccerPredict series (third-party exporters and prometheus_client's own
#: process_/python_ series keep theirs).
PREFIX: Final = "soccerpredict_"

#: Seconds; fine at the low end because cache hits take about a millisecond.
LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Rows per predictor call.
BATCH_BUCKETS: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric's definition; ``name`` is the key in code, :attr:`exported` the name on ``/metrics``."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = LATENCY_BUCKETS  # histograms only

    @property
    def exported(self) -> str:
        """The series name Prometheus scrapes: ``soccerpredict_predictions_total``."""
        return exported_name(self.name)


def exported_name(name: str) -> str:
    """The exported series name of a metric of :data:`METRICS` (or of one of its histogram series)."""
    return f"{PREFIX}{name}"


METRICS: Final = (
    MetricSpec("http_requests_total", "counter", "HTTP requests served.", ("service", "route", "method", "status")),
    MetricSpec("http_request_duration_seconds", "histogram", "HTTP request latency.", ("service", "route", "method")),
    MetricSpec("predictions_total", "counter", "Predictions returned, by where they came from.", ("source",)),
    MetricSpec("prediction_duration_seconds", "histogram", "Time to produce one prediction.", ("source",)),
    MetricSpec("prediction_cache_hits_total", "counter", "Prediction cache hits.", ("service",)),
    MetricSpec("prediction_cache_misses_total", "counter", "Prediction cache misses.", ("service",)),
    MetricSpec("prediction_cache_errors_total", "counter", "Prediction cache failures (Redis down).", ("service",)),
    MetricSpec("predictor_errors_total", "counter", "Failed calls from the facade to the predictor.", ("reason",)),
    MetricSpec(
        "predictor_batch_rows",
        "histogram",
        "Match ids per facade call to the predictor (cache misses that arrived together share a call).",
        buckets=BATCH_BUCKETS,
    ),
    MetricSpec("model_info", "gauge", "The model version being served (value 1).", ("service", "model", "version")),
    MetricSpec("model_swaps_total", "counter", "Champion hot swaps performed by the predictor.", ()),
    MetricSpec(
        "model_champion_promoted_timestamp_seconds",
        "gauge",
        "When the served champion got its alias (its registration time if that was not recorded).",
        ("model",),
    ),
    MetricSpec(
        "model_eval_rps",
        "gauge",
        "Ranked probability score of each forecaster on the served champion's test seasons (lower is better).",
        ("model", "test_seasons"),
    ),
    MetricSpec(
        "model_calibration_error",
        "gauge",
        "Expected calibration error of each forecaster on the served champion's test seasons.",
        ("model", "test_seasons"),
    ),
    MetricSpec("model_feature_drift_score", "gauge", "Evidently drift score per feature.", ("feature", "method")),
    MetricSpec(
        "model_feature_drifted", "gauge", "1 when the feature's drift test flags it as drifted, else 0.", ("feature",)
    ),
    MetricSpec("model_drifted_features_share", "gauge", "Share of features flagged as drifted.", ()),
    MetricSpec(
        "predictions_last_refresh_timestamp_seconds",
        "gauge",
        "When the precomputed predictions in service were produced by batch inference.",
        (),
    ),
    MetricSpec("async_jobs_total", "counter", "Async jobs by task and final state.", ("task", "state")),
    MetricSpec("async_queue_depth", "gauge", "Messages waiting in a Celery queue.", ("queue",)),
    MetricSpec("pipeline_runs_total", "counter", "Training pipeline runs by final status.", ("status",)),
    MetricSpec("pipeline_last_success_timestamp_seconds", "gauge", "When the training pipeline last succeeded.", ()),
    MetricSpec("pipeline_last_failure_timestamp_seconds", "gauge", "When a training pipeline run last failed.", ()),
)

#: Who sets each metric (the alert rules and dashboards rely on every one of them being set by someone).
SET_BY: Final = {
    "http_requests_total": "facade: serving.api.metrics.MetricsMiddleware",
    "http_request_duration_seconds": "facade: serving.api.metrics.MetricsMiddleware",
    "predictions_total": "facade: serving.api.routers.predict; predictor: serving.predictor.model",
    "prediction_duration_seconds": "facade: serving.api.routers.predict; predictor: serving.predictor.model",
    "prediction_cache_hits_total": "facade (service=api), predictor: serving.common.cache",
    "prediction_cache_misses_total": "facade (service=api), predictor: serving.common.cache",
    "prediction_cache_errors_total": "facade (service=api), predictor: serving.common.cache",
    "predictor_errors_total": "facade: serving.common.v2_client",
    "predictor_batch_rows": "facade: serving.api.services.batching",
    "model_info": "facade: serving.common.v2_client; predictor: serving.predictor.champion",
    "model_swaps_total": "predictor: serving.predictor.champion",
    "model_champion_promoted_timestamp_seconds": "predictor: serving.predictor.champion (registry tag)",
    "model_eval_rps": "predictor: serving.predictor.champion (the champion run's evaluation.json)",
    "model_calibration_error": "predictor: serving.predictor.champion (the champion run's evaluation.json)",
    "model_feature_drift_score": "facade: serving.api.services.precomputed (published drift summary)",
    "model_feature_drifted": "facade: serving.api.services.precomputed (published drift summary)",
    "model_drifted_features_share": "facade: serving.api.services.precomputed (published drift summary)",
    "predictions_last_refresh_timestamp_seconds": "facade: serving.api.services.precomputed",
    "async_jobs_total": "facade: serving.api.routers.predict (queued); worker: serving.worker.tasks (outcomes)",
    "async_queue_depth": "worker: serving.worker.metrics (broker sampler)",
    "pipeline_runs_total": "facade: serving.api.services.precomputed (run record the pipeline publishes)",
    "pipeline_last_success_timestamp_seconds": "facade: serving.api.services.precomputed (run record)",
    "pipeline_last_failure_timestamp_seconds": "facade: serving.api.services.precomputed (run record)",
}


def metric_names() -> set[str]:
    """Every exported series name a query may use (prefixed), with the histogram suffixes (_bucket, _count, _sum)."""
    names: set[str] = set()
    for spec in METRICS:
        names.add(spec.exported)
        if spec.kind == "histogram":
            names |= {f"{spec.exported}_bucket", f"{spec.exported}_count", f"{spec.exported}_sum"}
    return names


class Metrics:
    """The metric objects of one registry, by table name (unprefixed).

    ``metrics["predictions_total"].labels(source="cache").inc()`` counts ``soccerpredict_predictions_total``.
    """

    def __init__(self, collectors: dict[str, Any]) -> None:
        self._collectors = collectors

    def __getitem__(self, name: str) -> Any:
        return self._collectors[name]


def build(registry: CollectorRegistry) -> Metrics:
    """Create every metric of :data:`METRICS` in a registry, under its exported (prefixed) name."""
    collectors: dict[str, Any] = {}
    for spec in METRICS:
        # prometheus_client adds _total to counters itself.
        base = spec.exported.removesuffix("_total") if spec.kind == "counter" else spec.exported
        if spec.kind == "counter":
            collectors[spec.name] = Counter(base, spec.help, spec.labels, registry=registry)
        elif spec.kind == "gauge":
            collectors[spec.name] = Gauge(base, spec.help, spec.labels, registry=registry)
        else:
            collectors[spec.name] = Histogram(base, spec.help, spec.labels, buckets=spec.buckets, registry=registry)
    return Metrics(collectors)


@cache
def default_metrics() -> Metrics:
    """The metrics on the process-wide default registry (created once, on first use)."""
    return build(REGISTRY)


# What the services read from the pipeline's published results, set on the metrics above. Pure functions of
# the JSON the pipeline writes, so the services stay thin and the mapping is tested once.


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _drift_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    # The monitor_drift stage writes a list of {feature, score, method, threshold, drifted}; a mapping
    # feature -> {score, method, drifted} is read too.
    features = summary.get("features") or []
    if isinstance(features, Mapping):
        return [{"feature": name, **row} for name, row in features.items() if isinstance(row, Mapping)]
    return [dict(row) for row in features if isinstance(row, Mapping) and row.get("feature")]


def record_drift(metrics: Metrics, summary: Mapping[str, Any]) -> None:
    """Set ``model_feature_drift_score``, ``model_feature_drifted`` and ``model_drifted_features_share``
    from a drift summary (features that left the summary lose their series)."""
    rows = _drift_rows(summary)
    score, flag = metrics["model_feature_drift_score"], metrics["model_feature_drifted"]
    score.clear()
    flag.clear()
    for row in rows:
        feature = str(row["feature"])
        value = _number(row.get("score"))
        if value is not None:
            score.labels(feature=feature, method=str(row.get("method") or "unknown")).set(value)
        if isinstance(row.get("drifted"), bool):
            flag.labels(feature=feature).set(1.0 if row["drifted"] else 0.0)
    share = _number(summary.get("drifted_share", summary.get("drifted_features_share")))
    flags = [row["drifted"] for row in rows if isinstance(row.get("drifted"), bool)]
    if share is None and flags:
        share = sum(flags) / len(flags)
    if share is not None:
        metrics["model_drifted_features_share"].set(share)


def record_evaluation(metrics: Metrics, report: EvaluationReport | None) -> None:
    """Set ``model_eval_rps`` and ``model_calibration_error`` per forecaster from an ``evaluation.json``
    (the ``evaluate`` stage's report). The evaluated model is labelled ``champion``; None clears both."""
    rps, ece = metrics["model_eval_rps"], metrics["model_calibration_error"]
    rps.clear()
    ece.clear()
    if report is None:
        return
    seasons = ",".join(report.data.test_seasons) or "unknown"
    for name, scores in report.metrics.items():
        label = "champion" if name == report.model_key else name
        for gauge, value in ((rps, scores.rps), (ece, scores.ece)):
            if value is not None:
                gauge.labels(model=label, test_seasons=seasons).set(value)


def record_pipeline_runs(metrics: Metrics, record: Mapping[str, Any], seen: MutableMapping[str, int]) -> None:
    """Mirror the pipeline's run record (see :mod:`soccerpredict.monitoring.pipeline_runs`) on the metrics.

    ``pipeline_runs_total`` goes up by what the record gained since the last call (``seen`` keeps the
    counts already counted, per status); the timestamps are set as recorded.
    """
    runs = record.get("runs") or {}
    counter = metrics["pipeline_runs_total"]
    for status, count in runs.items():
        total = int(count) if isinstance(count, int) else 0
        gained = total - seen.get(status, 0)
        if gained > 0:
            counter.labels(status=str(status)).inc(gained)
        seen[status] = max(total, seen.get(status, 0))
    for key, name in (
        ("last_success", "pipeline_last_success_timestamp_seconds"),
        ("last_failure", "pipeline_last_failure_timestamp_seconds"),
    ):
        value = _number(record.get(key))
        if value is not None:
            metrics[name].set(value)
