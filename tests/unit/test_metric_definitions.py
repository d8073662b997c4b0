from prometheus_client import CollectorRegistry, generate_latest

from soccerpredict.monitoring.metrics import METRICS, build, metric_names


def test_every_metric_is_exported_under_its_declared_name() -> None:
    registry = CollectorRegistry()
    metrics = build(registry)
    metrics["predictions_total"].labels(source="cache").inc()
    metrics["prediction_duration_seconds"].labels(source="model").observe(0.002)
    text = generate_latest(registry).decode()
    assert 'predictions_total{source="cache"} 1.0' in text
    assert 'prediction_duration_seconds_bucket{le="0.0025",source="model"} 1.0' in text
    declared = {spec.name for spec in METRICS}
    assert {f"# HELP {name} " in text or f"# HELP {name.removesuffix('_total')}" in text for name in declared} == {True}


def test_names_are_unique_and_follow_prometheus_conventions() -> None:
    names = [spec.name for spec in METRICS]
    assert len(names) == len(set(names))
    for spec in METRICS:
        assert spec.name == spec.name.lower()
        assert (spec.kind == "counter") == spec.name.endswith("_total")
        if spec.kind == "histogram":  # a base unit, plural: seconds, or rows for a size
            assert spec.name.endswith(("_seconds", "_rows")), spec.name
    assert "prediction_duration_seconds_bucket" in metric_names()
