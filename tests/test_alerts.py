"""docs/alerts.yml: valid rules that name only series /metrics serves, with their own
labels, and only jobs the scheduler has."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

from bot import metrics
from bot.scheduler import SCHEDULE

ROOT = Path(__file__).resolve().parents[1]
SELECTOR = re.compile(r"\b(switchboard_[a-z_]+)\b(\{[^}]*\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def served() -> dict[str, set[str]]:
    """Every series name Prometheus would see → its label names."""
    names: dict[str, set[str]] = {}
    for family in REGISTRY.collect():
        if not family.name.startswith("switchboard_"):
            continue
        labels = set(getattr(REGISTRY._names_to_collectors.get(family.name), "_labelnames", ())
                     or getattr(REGISTRY._names_to_collectors.get(family.name + "_total"),
                                "_labelnames", ()))
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"],
                    "gauge": [""]}[family.type]
        for suffix in suffixes:
            names[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    for gauge in (metrics.OUTBOX_PENDING, metrics.OUTBOX_OLDEST):
        names[gauge] = {"platform"}
    return names


def rules() -> list[dict[str, object]]:
    data = yaml.safe_load((ROOT / "docs" / "alerts.yml").read_text(encoding="utf-8"))
    found = [rule for group in data["groups"] for rule in group["rules"]]
    assert found
    return found


def test_the_rules_cover_what_the_operators_asked_for() -> None:
    text = " ".join(str(rule["expr"]) for rule in rules())
    for series in ("switchboard_outbox_oldest_pending_age_seconds",
                   "switchboard_job_last_success_timestamp_seconds",
                   "switchboard_pbx_errors_total", "switchboard_ami_connected"):
        assert series in text


def test_every_rule_names_served_series_labels_and_jobs() -> None:
    known = served()
    jobs = {job.name for job in SCHEDULE}
    for rule in rules():
        assert re.fullmatch(r"Switchboard[A-Za-z]+", str(rule["alert"]))
        assert rule["labels"]["severity"] in ("page", "ticket")  # type: ignore[index]
        assert rule["annotations"]["summary"]  # type: ignore[index]
        expr = str(rule["expr"])
        used = SELECTOR.findall(expr)
        assert used, rule["alert"]
        names = {name for name, _ in used}
        for name, selector in used:
            assert name in known, f"{rule['alert']}: {name} is not served"
            for label, _, value in MATCHER.findall(selector):
                assert label in known[name], f"{rule['alert']}: {name} has no label {label}"
                if label == "job":
                    assert set(value.split("|")) <= jobs, f"{rule['alert']}: {value}"
        for grouping in GROUPING.findall(expr):
            for label in filter(None, (part.strip() for part in grouping.split(","))):
                assert any(label in known[name] for name in names), (
                    f"{rule['alert']}: no series of it has the label {label}")


def test_the_check_sees_a_wrong_name() -> None:
    assert "switchboard_outbox_depth" not in served()
    assert "switchboard_commands_total" in served()
    assert served()["switchboard_pbx_request_seconds_bucket"] == {"backend", "operation", "le"}
