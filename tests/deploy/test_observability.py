"""The Prometheus alert rules and the Grafana dashboard in deploy/: well formed, and naming only
metrics the code exports (collected from the Prometheus registry after importing every module
that defines metrics), so a renamed metric cannot leave an alert that never fires."""
from __future__ import annotations

import importlib
import json
import re

import pytest
from marshmallow import Schema
from prometheus_client import REGISTRY

from shared.bus.consumer import Subscription
from shared.service import build_worker
from shared.store import ServiceStore

from .helpers import DEPLOY, ROOT, load_yaml

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "alumnet.json"
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
SEVERITIES = {"warning", "critical"}
# What may stand in a PromQL expression beside metric names (functions are followed by "(";
# an aggregation may be followed by its by/without clause instead).
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
                "group_right", "inf", "nan", "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}


def exported_metrics() -> dict[str, set[str]]:
    """Every series name the code can export, with its label names: import each module under
    shared/ and services/ that uses prometheus_client (which registers its metrics), then read
    the default registry."""
    for path in [*ROOT.joinpath("shared").rglob("*.py"), *ROOT.joinpath("services").rglob("*.py")]:
        if "prometheus_client" in path.read_text(encoding="utf-8"):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",), "summary": ("_sum", "_count")}
    names: dict[str, set[str]] = {}
    # The registry's collectors and their label names are private: the public API yields no
    # family for a labelled metric before its first sample, nor any metric's label names.
    for collector in list(REGISTRY._collector_to_names):
        labels = set(getattr(collector, "_labelnames", ()))
        for family in collector.describe() if hasattr(collector, "describe") else collector.collect():
            for suffix in suffixes.get(family.type, ("",)):
                names[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return names


@pytest.fixture(scope="module")
def metrics() -> dict[str, set[str]]:
    return exported_metrics()


def series_in(expr: str) -> list[tuple[str, set[str]]]:
    """The metric names of a PromQL expression with the label names their selectors match on."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals (label values, regexes)
    found = []
    for match in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?", expr):
        name, selector = match.group(1), match.group(2) or ""
        before, after = expr[:match.start()], expr[match.end():]
        if after.lstrip().startswith("(") or name.lower() in PROMQL_WORDS:
            continue  # a function or an operator
        if re.search(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*$", before):
            continue  # a label of a grouping clause
        if re.search(r"\{[^}]*$", before) or re.search(r"\[[^\]]*$", before):
            continue  # a label inside a selector, a duration inside a range
        if re.search(r"\$$", before):
            continue  # a Grafana variable
        found.append((name, set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=~?|!~?", selector)) - {""}))
    return found


def assert_exported(expr: str, metrics: dict[str, set[str]], where: str) -> set[str]:
    names = set()
    for name, labels in series_in(expr):
        assert name in metrics, f"{where}: {name} is not a metric the code exports"
        # instance and job are Prometheus's own, added at scrape time.
        assert labels <= metrics[name] | {"instance", "job"}, f"{where}: {name} has no label {labels - metrics[name]}"
        names.add(name)
    assert names, f"{where}: no metric in {expr!r}"
    return names


def test_the_expression_reader_finds_metrics_and_nothing_else():
    assert series_in('sum by (channel) (rate(x_total{outcome=~"failed|retried"}[15m])) / sum(rate(x_total[15m])) > 0.1') \
        == [("x_total", {"outcome"}), ("x_total", set())]
    assert series_in("histogram_quantile(0.95, sum by (service, le) (rate(y_bucket{service=~\"$service\"}[5m])))") \
        == [("y_bucket", {"service"})]
    assert series_in('max by (service) (g{status="new"}) > 60 and on (service) h') == [("g", {"status"}), ("h", set())]


def test_the_registry_walk_finds_the_bus_and_http_metrics(metrics):
    assert {"alumnet_outbox_published_total", "alumnet_worker_ready", "alumnet_queue_messages",
            "http_request_duration_seconds_bucket", "alumnet_notifications_deliveries_total"} <= set(metrics)
    assert metrics["alumnet_worker_ready"] == {"service", "check"}
    assert "le" in metrics["alumnet_consumer_batch_seconds_bucket"]


# --------------------------------------------------------------------------- alert rules

@pytest.fixture(scope="module")
def rules() -> list[dict]:
    document = load_yaml(ALERTS)
    assert set(document) == {"groups"}
    found = []
    names = set()
    for group in document["groups"]:
        assert set(group) <= {"name", "rules", "interval", "limit"} and group["name"] not in names
        names.add(group["name"])
        assert group["rules"], group["name"]
        found += group["rules"]
    return found


def test_the_rules_file_is_prometheus_rule_groups(rules):
    alerts = set()
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, rule
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"]) and rule["alert"] not in alerts
        alerts.add(rule["alert"])
        assert isinstance(rule["expr"], str) and rule["expr"].strip()
        assert DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]
        assert all(isinstance(v, str) for v in [*rule["labels"].values(), *rule["annotations"].values()])
        # Parentheses balance: a rule Prometheus cannot parse is refused with the whole file.
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_every_alert_watches_metrics_the_code_exports(rules, metrics):
    for rule in rules:
        assert_exported(rule["expr"], metrics, rule["alert"])


def test_the_issue_s_alerts_are_all_there(rules):
    watched = {rule["alert"]: rule["expr"] for rule in rules}
    assert "alumnet_outbox_oldest_unsent_age_seconds" in watched["AlumnetOutboxBacklogOld"]
    assert 'status="new"' in watched["AlumnetRelayBehind"]
    assert 'check="outbox-relay"' in watched["AlumnetRelayNotFollowing"]
    assert 'check="consumer"' in watched["AlumnetConsumerDetached"]
    assert 'queue="dead"' in watched["AlumnetMessagesParked"]
    assert "alumnet_notifications_deliveries_total" in watched["AlumnetDeliveryFailureRate"]


def test_readiness_checks_named_in_rules_are_the_workers_own(rules, make_config):
    # A consuming worker as every service assembles it: its readiness names its checks.
    config = make_config(AMQP_URL="memory://")
    store = ServiceStore(config.mongo_url, config.database_name("probe"))
    subscription = Subscription("probe.thing.happened", Schema(), lambda event, context: None)
    checks = set(build_worker("probe", config, store, subscriptions=[subscription]).readiness())
    named = {check for rule in rules for check in re.findall(r'check="([^"]+)"', rule["expr"])}
    assert {"consumer", "outbox-relay"} <= named <= checks, sorted(named - checks)


# --------------------------------------------------------------------------- the dashboard

@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def _panels(dashboard) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def test_the_dashboard_is_grafana_json(dashboard):
    assert dashboard["uid"] and dashboard["title"] and isinstance(dashboard["schemaVersion"], int)
    ids = [p["id"] for p in _panels(dashboard)]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in _panels(dashboard):
        assert panel["title"] and {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["id"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        # The data source is the variable, so the dashboard imports into any Grafana.
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_every_panel_and_variable_queries_exported_metrics(dashboard, metrics):
    shown = set()
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            shown |= assert_exported(target["expr"], metrics, panel["title"])
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            metric, label = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable["query"]["query"]).groups()
            assert metric in metrics and label in metrics[metric], variable["name"]
    # Every metric of the bus is on the dashboard: the gauges the alerts read above all.
    bus = {name for name in metrics if name.startswith("alumnet_") and not name.endswith(("_sum", "_count"))}
    assert bus <= shown, sorted(bus - shown)
