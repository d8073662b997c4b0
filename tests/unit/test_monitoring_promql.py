"""Metric names out of PromQL: what the rule and dashboard tests check against the metric table."""

from __future__ import annotations

import pytest
from promql import promql_metric_names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("soccerpredict_http_requests_total", {"soccerpredict_http_requests_total"}),
        (
            'sum by (route) (rate(soccerpredict_http_requests_total{status=~"5.."}[5m]))',
            {"soccerpredict_http_requests_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (le) "
            '(rate(soccerpredict_http_request_duration_seconds_bucket{job="api"}[5m])))',
            {"soccerpredict_http_request_duration_seconds_bucket"},
        ),
        ('up{job="soccer-predictor"} == 0 or absent(up{job="soccer-predictor"})', {"up"}),
        ("max(soccerpredict_model_drifted_features_share) > 0.5", {"soccerpredict_model_drifted_features_share"}),
        (
            "time() - max(soccerpredict_predictions_last_refresh_timestamp_seconds) > 2 * 86400",
            {"soccerpredict_predictions_last_refresh_timestamp_seconds"},
        ),
        # Recording-rule names have colons; durations and keywords are not names.
        (
            "soccer_api:slo_miss:ratio_rate1h > (14.4 * 0.01) and x_total offset 1h30m",
            {"soccer_api:slo_miss:ratio_rate1h", "x_total"},
        ),
        ("rate(a[5m:1m]) / ignoring(instance) group_left(version) b", {"a", "b"}),
        ("sum without (instance) (c) > bool 1e3 unless on() d", {"c", "d"}),
        ("max_over_time(rate(e[5m])[1h:5m]) @ end()", {"e"}),
        ("vector(1) + scalar(f) * 0x1F + .5 - Inf", {"f"}),
        # Label values and names never count, even when they look like metrics or functions.
        ('g{route="/predict/{match_id}", rate="sum(h)"}', {"g"}),
        ("sum by (rate, le) (i) / count without (sum) (j)", {"i", "j"}),
        ('count(k{a="{"}) # a comment naming l', {"k"}),
        # Grafana variables in ranges and matchers.
        ('sum(rate(m{job=~"$job"}[$__rate_interval])) / sum(rate(n[${interval}]))', {"m", "n"}),
        ('{__name__="o", job="x"}', {"o"}),
        ('{__name__=~"p.*"}', set()),
        ("label_replace(q, 'dst', '$1', 'src', '(.*)')", {"q"}),
        ("topk(3, sort_desc(r))", {"r"}),
        ("", set()),
    ],
)
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert promql_metric_names(expr) == names


def test_multiline_rule_expressions() -> None:
    expr = """
      sum by (service) (rate(soccerpredict_prediction_cache_errors_total[10m]))
      /
      (
        sum by (service) (rate(soccerpredict_prediction_cache_hits_total[10m]))
        + sum by (service) (rate(soccerpredict_prediction_cache_misses_total[10m]))
      )
      > 0.1
    """
    assert promql_metric_names(expr) == {
        "soccerpredict_prediction_cache_errors_total",
        "soccerpredict_prediction_cache_hits_total",
        "soccerpredict_prediction_cache_misses_total",
    }
