"""Prometheus alert rules, their unit tests, the scrape config and Alertmanager routing (manifests/prometheus/).

promtool (Debian's ``prometheus`` package) checks and unit-tests the rules; a missing promtool fails these
tests. amtool (``prometheus-alertmanager``) checks the Alertmanager config when installed; the routing tree is
also checked here in Python, so that part holds without it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from needs import missing
from promql import promql_metric_names

from soccerpredict.monitoring.metrics import metric_names

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "manifests" / "prometheus"
ALERTS = PROMETHEUS / "alerts.yml"
ALERTS_TEST = PROMETHEUS / "alerts_test.yml"
CONFIG = PROMETHEUS / "prometheus.yml"
ALERTMANAGER = PROMETHEUS / "alertmanager.yml"
RUNBOOKS = REPO / "docs" / "runbooks"
#: Series Prometheus makes itself, not our code.
BUILTIN_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
SEVERITIES = ("critical", "warning")
SCRAPE_JOBS = ("soccer-api", "soccer-predictor", "soccer-worker")


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's prometheus package (make system-deps)")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=PROMETHEUS, capture_output=True, text=True, timeout=120, check=False)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rules() -> list[dict[str, Any]]:
    return [rule for group in load(ALERTS)["groups"] for rule in group["rules"]]


def alert_rules() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def test_promtool_checks_the_rules() -> None:
    result = run(promtool(), "check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_promtool_unit_tests_of_every_alert_pass() -> None:
    result = run(promtool(), "test", "rules", ALERTS_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout


def test_promtool_checks_the_scrape_config_and_its_rule_files() -> None:
    result = run(promtool(), "check", "config", CONFIG.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
    assert "is valid prometheus config file syntax" in result.stdout


def test_every_alert_fires_and_stays_silent_in_some_test_case() -> None:
    suite = load(ALERTS_TEST)
    assert suite["rule_files"] == [ALERTS.name]
    firing: dict[str, int] = defaultdict(int)
    silent: dict[str, int] = defaultdict(int)
    for case in suite["tests"]:
        for check in case.get("alert_rule_test", []):
            (firing if check.get("exp_alerts") else silent)[check["alertname"]] += 1
    names = {rule["alert"] for rule in alert_rules()}
    assert names, "alerts.yml has no alerts"
    assert {n for n in names if not firing[n]} == set(), "alerts never expected to fire"
    assert {n for n in names if not silent[n]} == set(), "alerts never expected to stay silent"
    assert set(firing) | set(silent) <= names, "tests of alerts that do not exist"


def test_firing_cases_expect_severity_and_every_annotation() -> None:
    by_name = defaultdict(list)
    for rule in alert_rules():
        by_name[rule["alert"]].append(rule)
    for case in load(ALERTS_TEST)["tests"]:
        for check in case.get("alert_rule_test", []):
            for expected in check.get("exp_alerts") or []:
                assert expected["exp_labels"]["severity"] in SEVERITIES, (case["name"], expected)
                annotations = set(by_name[check["alertname"]][0]["annotations"])
                assert set(expected["exp_annotations"]) == annotations, case["name"]


def test_every_alert_has_severity_summary_description_and_a_runbook() -> None:
    index = (RUNBOOKS / "index.md").read_text()
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        annotations = rule["annotations"]
        assert annotations["summary"].strip() and annotations["description"].strip(), name
        assert annotations["runbook_url"] == f"docs/runbooks/{name}.md", name
        runbook = REPO / annotations["runbook_url"]
        assert runbook.is_file(), f"{name}: no runbook at {runbook}"
        text = runbook.read_text()
        assert text.startswith(f"# {name}\n"), name
        for section in ("## Impact", "## Diagnosis", "## Fix"):
            assert section in text, f"{runbook.name} has no {section!r}"
        assert f"({name}.md)" in index, f"{name} is not listed in docs/runbooks/index.md"


def test_runbooks_are_only_for_existing_alerts() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    pages = {path.stem for path in RUNBOOKS.glob("*.md")} - {"index"}
    assert pages == names


def test_rules_use_only_defined_metrics() -> None:
    known = metric_names()
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        used = promql_metric_names(rule["expr"])
        assert used, f"{rule.get('alert') or rule.get('record')}: no metric found in {rule['expr']!r}"
        unknown = used - known - BUILTIN_SERIES - recorded
        assert not unknown, f"{rule.get('alert') or rule.get('record')} uses metrics nobody defines: {unknown}"
        if "record" in rule:  # recording rules read raw metrics only
            assert not used & recorded, rule["record"]


def test_scrape_config_has_the_three_jobs_and_alertmanager() -> None:
    config = load(CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(SCRAPE_JOBS) <= set(jobs)
    for name in SCRAPE_JOBS:
        job = jobs[name]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        names = [n for sd in job["dns_sd_configs"] for n in sd["names"]]
        assert names == [f"{name}.soccerpredict.svc.cluster.local"], name
    assert config["rule_files"] == [ALERTS.name]
    targets = [t for am in config["alerting"]["alertmanagers"] for sc in am["static_configs"] for t in sc["targets"]]
    assert targets, "no Alertmanager to send alerts to"


def _route_receivers(route: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """Alertmanager's routing for equality and regex matchers (enough for our tree)."""
    import re

    def matches(child: dict[str, Any]) -> bool:
        for matcher in child.get("matchers", []):
            match = re.fullmatch(r'\s*(\w+)\s*(=~|!=|=)\s*"([^"]*)"\s*', matcher)
            assert match, f"matcher {matcher!r} not understood"
            name, op, value = match.groups()
            actual = labels.get(name, "")
            ok = re.fullmatch(value, actual) is not None if op == "=~" else (actual == value) == (op == "=")
            if not ok:
                return False
        return True

    found: list[str] = []
    for child in route.get("routes", []):
        if matches(child):
            found += _route_receivers(child, labels) if child.get("routes") else [child["receiver"]]
            if not child.get("continue"):
                return found
    return found or [route["receiver"]]


def test_alertmanager_routes_critical_to_the_pager_and_warnings_to_chat() -> None:
    config = load(ALERTMANAGER)
    receivers = {r["name"]: r for r in config["receivers"]}
    assert {"pager", "chat"} <= set(receivers)
    route = config["route"]
    assert _route_receivers(route, {"severity": "critical", "alertname": "SoccerPredictorDown"}) == ["pager", "chat"]
    assert _route_receivers(route, {"severity": "warning", "alertname": "SoccerFeatureDrift"}) == ["chat"]
    for rule in alert_rules():  # every alert reaches someone
        assert _route_receivers(route, {"severity": rule["labels"]["severity"], "alertname": rule["alert"]})


def test_alertmanager_holds_no_secret_and_inhibits_error_alerts_while_the_predictor_is_down() -> None:
    config = load(ALERTMANAGER)
    text = ALERTMANAGER.read_text()
    for receiver in config["receivers"]:
        for kind, entries in receiver.items():
            if kind == "name":
                continue
            for entry in entries:
                inline = {"url", "api_url", "routing_key", "service_key"} & set(entry)
                assert not inline, f"{receiver['name']}: {inline} inline; read secrets from files (*_file)"
                assert any(key.endswith("_file") for key in entry), receiver["name"]
    assert "hooks.slack.com" not in text and "events.pagerduty.com" not in text
    inhibit = config["inhibit_rules"]
    assert any(
        'alertname = "SoccerPredictorDown"' in rule["source_matchers"]
        and any("SoccerApiHighErrorRate" in m for m in rule["target_matchers"])
        for rule in inhibit
    )
    alerts = {rule["alert"] for rule in alert_rules()}
    for rule in inhibit:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            if matcher.startswith("alertname"):
                named = matcher.split('"')[1].split("|")
                assert set(named) <= alerts, f"inhibit rule names unknown alerts: {named}"


def test_amtool_checks_the_alertmanager_config_and_routes() -> None:
    amtool = shutil.which("amtool")
    if amtool is None:
        missing("amtool not installed (Debian's prometheus-alertmanager); the routing is checked above in Python")
    checked = run(amtool, "check-config", ALERTMANAGER.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    for labels, receivers in (
        (["severity=critical", "alertname=SoccerPredictorDown"], "pager,chat"),
        (["severity=warning", "alertname=SoccerCacheErrors"], "chat"),
    ):
        routed = run(
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER.name}",
            "--verify.receivers",
            receivers,
            *labels,
        )
        assert routed.returncode == 0, routed.stdout + routed.stderr
        assert routed.stdout.strip() == receivers


def test_a_missing_promtool_fails_and_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"install Debian's prometheus package \(make system-deps\)"):
        promtool()
