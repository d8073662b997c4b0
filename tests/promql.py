"""Metric names in a PromQL expression, to check alert rules and dashboards against the metric table.

A test helper: nothing in the product reads PromQL (the rules and dashboards are checked here, and by promtool).

Not a parser: the expression is reduced step by step (strings, label matchers, ranges, grouping label
lists, numbers and durations, Grafana variables go), and what remains of each identifier is a metric name
unless it calls a function (``rate(``) or is an operator keyword (``and``, ``by``, ``offset``…).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["KEYWORDS", "promql_metric_names"]

#: Words that are PromQL syntax, not series (functions are recognised by the parenthesis that follows them).
KEYWORDS: Final = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "atan2",
        "inf",
        "nan",
        "start",
        "end",
    }
)

_NAME_MATCHER = re.compile(r"""__name__\s*=~?\s*(?:"([^"\\]*)"|'([^'\\]*)')""")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_COMMENT = re.compile(r"#[^\n]*")
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w:])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"(?:(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*)?(?![\w:])"
)
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?")
_PLAIN_NAME = re.compile(r"[A-Za-z_:][\w:]*")


def promql_metric_names(expr: str) -> set[str]:
    """The metric (series) names an expression selects, e.g. ``{"soccerpredict_http_requests_total"}`` for
    ``sum by (route) (rate(soccerpredict_http_requests_total{status=~"5.."}[5m]))``.

    Names given as ``{__name__="…"}`` count too (regular expressions there are left out).
    """
    names = {
        a or b
        for a, b in _NAME_MATCHER.findall(expr)
        if _PLAIN_NAME.fullmatch(a or b)  # a regex (__name__=~"foo.*") names no one series
    }
    text = _STRING.sub('""', expr)
    text = _COMMENT.sub(" ", text)
    text = _GRAFANA_VARIABLE.sub(" ", text)
    for pattern in (_BRACES, _BRACKETS):
        while True:  # innermost first: subqueries nest ranges
            reduced = pattern.sub(" ", text)
            if reduced == text:
                break
            text = reduced
    text = _GROUPING.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names
