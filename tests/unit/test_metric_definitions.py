from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from soccerpredict.monitoring.metrics import METRICS, PREFIX, build, exported_name, metric_names


def test_every_metric_is_exported_under_its_declared_name() -> None:
    registry = CollectorRegistry()
    metrics = build(registry)
    metrics["predictions_total"].labels(source="cache").inc()
    metrics["prediction_duration_seconds"].labels(source="model").observe(0.002)
    text = generate_latest(registry).decode()
    assert 'soccerpredict_predictions_total{source="cache"} 1.0' in text
    assert 'soccerpredict_prediction_duration_seconds_bucket{le="0.0025",source="model"} 1.0' in text
    for spec in METRICS:
        assert f"# HELP {spec.exported} " in text or f"# HELP {spec.exported.removesuffix('_total')} " in text


def test_every_exported_series_carries_the_application_prefix() -> None:
    assert PREFIX == "soccerpredict_"
    registry = CollectorRegistry()
    build(registry)
    families = list(text_string_to_metric_families(generate_latest(registry).decode()))
    assert {spec.exported.removesuffix("_total") for spec in METRICS} <= {family.name for family in families}
    for family in families:
        assert family.name.startswith(PREFIX), family.name
        assert all(sample.name.startswith(PREFIX) for sample in family.samples)
    assert {spec.exported for spec in METRICS} == {exported_name(spec.name) for spec in METRICS}
    assert not any(name.startswith(PREFIX) for name in (spec.name for spec in METRICS))  # added once, by the rule


def test_names_are_unique_and_follow_prometheus_conventions() -> None:
    names = [spec.name for spec in METRICS]
    assert len(names) == len(set(names))
    for spec in METRICS:
        assert spec.name == spec.name.lower()
        assert (spec.kind == "counter") == spec.name.endswith("_total")
        if spec.kind == "histogram":  # a base unit, plural: seconds, or rows for a size
            assert spec.name.endswith(("_seconds", "_rows")), spec.name
    assert "soccerpredict_prediction_duration_seconds_bucket" in metric_names()
    assert "prediction_duration_seconds_bucket" not in metric_names()
