"""RAG per metric and its path to green (kept with history, editors only, audited), and the PM's flash note."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, ValidationFailed
from rm_core.metrics import compute_deck, parse_deck
from rm_core.metrics.results import MetricInfo, MetricSeries
from rm_core.metrics.status import (flash_note, latest_paths, metric_rag, metric_statuses, path_history,
                                    save_flash_note, save_path_to_green)
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent

DUE = dt.date(2026, 12, 4)


def _series(value, **info) -> MetricSeries:
    return MetricSeries(name="M", legend="M", line_style="primary",
                        info=MetricInfo(name="M", kind="column", aggregation="sum", comparison="pct", **info),
                        weekly_cy=[value] * 6, weekly_py=[None] * 6, monthly_cy=[None] * 12,
                        monthly_py=[None] * 12, boxes=[value] + [None] * 8)


@pytest.mark.parametrize(("value", "rag"), [(0.80, "green"), (0.75, "green"), (0.70, "amber"), (0.55, "red")])
def test_a_higher_is_better_metric_is_judged_on_its_thresholds(value, rag):
    assert metric_rag(_series(value, direction="higher", rag_green=0.75, rag_amber=0.6)) == rag


@pytest.mark.parametrize(("value", "rag"), [(30, "green"), (35, "green"), (40, "amber"), (43, "red")])
def test_a_lower_is_better_metric_is_judged_on_its_thresholds(value, rag):
    assert metric_rag(_series(value, direction="lower", rag_green=35, rag_amber=42)) == rag


@pytest.mark.parametrize(("value", "rag"), [(10, "green"), (10.4, "amber"), (10.6, "red")])
def test_without_thresholds_a_metric_is_amber_within_five_percent_of_its_target(value, rag):
    assert metric_rag(_series(value, direction="lower", target=10)) == rag


def test_a_metric_without_target_or_value_has_no_rag():
    assert metric_rag(_series(5, direction="higher")) is None
    assert metric_rag(_series(None, direction="higher", target=4)) is None


def test_metric_statuses_follow_the_deck_order_with_their_section():
    deck = parse_deck({
        "setup": {"week_ending": "2024-01-13"},
        "metrics": {"A": {"column": "a", "aggf": "sum", "direction": "higher", "target": 100, "owner": "ann"},
                    "B": {"column": "b", "aggf": "sum", "direction": "lower", "target": 5}},
        "deck": [{"block": {"ui_type": "section", "title": "First"}},
                 {"block": {"ui_type": "6_12Graph", "title": "Chart B", "metrics": {"B": {}}}},
                 {"block": {"ui_type": "6_12Graph", "title": "Chart A", "metrics": {"A": {}}}}]})
    days = pl.date_range(dt.date(2023, 1, 1), dt.date(2024, 1, 13), eager=True)
    frame = pl.DataFrame({"Date": days, "a": [10.0] * len(days), "b": [1.0] * len(days)})
    statuses = metric_statuses(compute_deck(deck, frame))
    assert [(s.title, s.section, s.value, s.rag) for s in statuses] == [
        ("Chart B", "First", 7.0, "red"), ("Chart A", "First", 70.0, "red")]
    assert statuses[1].owner == "ann" and statuses[1].target_text == "100"


@pytest.mark.postgres
def test_an_editor_saves_a_path_to_green_and_every_version_is_kept(state, editor):
    first = save_path_to_green(editor, "RulePrecision", rag="red", actions="Retire 12 noisy rules", owner="ml.wen",
                               due=DUE)
    second = save_path_to_green(editor, "RulePrecision", rag="amber", actions="Shadow 5 more", owner="ml.wen",
                                due=DUE + dt.timedelta(days=7), blockers="Labels lag 2 weeks")
    assert latest_paths()["RulePrecision"].actions == "Shadow 5 more"
    history = path_history("RulePrecision")
    assert [h.id for h in history] == [second.id, first.id]
    assert [h.rag for h in history] == ["amber", "red"]
    with read_session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "metrics.path_to_green")
                           .order_by(AuditEvent.id)).all()
    assert [e.record_id for e in events] == ["RulePrecision", "RulePrecision"]
    assert events[0].before is None and events[0].after["actions"] == "Retire 12 noisy rules"
    assert events[1].before["rag"] == "red" and events[1].after["rag"] == "amber"
    assert events[1].after["due"] == "2026-12-11" and events[1].actor == editor.name


def test_a_viewer_cannot_write_a_path_to_green(state, viewer):
    with pytest.raises(PermissionDenied):
        save_path_to_green(viewer, "RulePrecision", rag="red", actions="x", owner="y", due=DUE)
    assert latest_paths() == {}


def test_a_red_path_to_green_needs_actions_an_owner_and_a_due_date(state, editor):
    with pytest.raises(ValidationFailed) as err:
        save_path_to_green(editor, "RulePrecision", rag="red", actions=" ", owner="", due=None)
    assert sorted(p.field for p in err.value.problems) == ["actions", "due", "owner"]
    with pytest.raises(ValidationFailed):
        save_path_to_green(editor, "RulePrecision", rag="purple", actions="a", owner="b", due=DUE)
    assert path_history("RulePrecision") == []


@pytest.mark.postgres
def test_the_pm_note_is_replaced_for_the_same_week_and_audited(state, editor, viewer):
    week = dt.date(2026, 11, 22)
    save_flash_note(editor, week, "First draft")
    save_flash_note(editor, week, "  Precision is back above 55%.  ")
    assert flash_note(week).note == "Precision is back above 55%."
    assert flash_note(week - dt.timedelta(days=7)) is None
    with pytest.raises(PermissionDenied):
        save_flash_note(viewer, week, "nope")
    with read_session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "metrics.flash_note")).all()
    assert [(e.before or {}).get("note") for e in events] == [None, "First draft"]
