"""A tiny hand-made workbench for the Risk Mining deck's tests: every number of the week ending Sun 22 Nov 2026
can be worked out by hand from the rows below (the comments give the sums)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from rm_core.store.db import write_session
from rm_core.store.models import (MO, SOP, DemoMeta, Gap, GapEvidence, HitLog, Request, Rule, RuleEvent, RuleMO,
                                  SOPRollout)

WEEK = dt.date(2026, 11, 22)
D = dt.date
T = dt.datetime


def _hits(home: Path) -> Path:
    rows = []
    # R-1 (India, account takeover): 3 confirmed bad, 1 false positive, 2 unlabeled in the week
    for i, label in enumerate(["confirmed_bad"] * 3 + ["false_positive"] + ["unlabeled"] * 2):
        rows.append(("R-1", f"A{i}", T(2026, 11, 17, 10, i), label))
    # R-2 (Costa Rica, account takeover): 1 confirmed bad, 3 false positives
    for i, label in enumerate(["confirmed_bad"] + ["false_positive"] * 3):
        rows.append(("R-2", f"B{i}", T(2026, 11, 18, 11, i), label))
    # the week before: R-1 1 confirmed bad, 1 false positive
    rows += [("R-1", "C1", T(2026, 11, 10, 9), "confirmed_bad"), ("R-1", "C2", T(2026, 11, 11, 9), "false_positive")]
    path = home / "hits" / "test-hits.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows, orient="row", schema={"rule_id": pl.String, "entity_id": pl.String,
                                             "event_time": pl.Datetime("us"), "label": pl.String}).write_parquet(path)
    return path


def seed_risk_world(settings) -> None:
    hits = _hits(Path(settings.home))
    with write_session() as s:
        s.add(DemoMeta(key="demo.anchor", value=WEEK.isoformat()))
        # identification days in the week: MO-1 30, MO-2 10, MO-3 60 -> median 30 (mean 33.3); India 20; account takeover 45
        s.add_all([
            MO(id="MO-1", title="ATO via SIM swap", site="India", abuse_family="account takeover", status="active",
               first_seen=D(2026, 10, 17), documented_at=D(2026, 11, 16)),
            MO(id="MO-2", title="Forged utility bills", site="India", abuse_family="identity fraud", status="draft",
               first_seen=D(2026, 11, 8), documented_at=D(2026, 11, 18)),
            MO(id="MO-3", title="Credential stuffing", site="Costa Rica", abuse_family="account takeover",
               status="active", first_seen=D(2026, 9, 22), documented_at=D(2026, 11, 21)),
            # mitigated in the week after 88 days
            MO(id="MO-4", title="Refund loop", site="Costa Rica", abuse_family="refund/return abuse",
               status="mitigated", first_seen=D(2026, 7, 1), documented_at=D(2026, 8, 24),
               mitigated_at=D(2026, 11, 20)),
        ])
        s.flush()
        s.add_all([
            Rule(id="R-1", name="SIM swap then password reset", status="active", created_at=D(2026, 11, 18)),
            Rule(id="R-2", name="Credential stuffing velocity", status="retired", created_at=D(2026, 1, 1)),
        ])
        s.flush()
        s.add_all([RuleMO(rule_id="R-1", mo_id="MO-1", role="primary"),
                   RuleMO(rule_id="R-2", mo_id="MO-3", role="primary")])
        s.add(RuleEvent(rule_id="R-2", from_status="shadow", to_status="retired", at=T(2026, 11, 19, 12),
                        actor="admin", reason="no unique catches", approver="boss"))
        s.add(HitLog(name="test hits", path=str(hits), rows=12, uploaded_by="tester", current=True))
        s.add_all([
            # open at week end: REQ-1 (52 days old, 31–60) and REQ-2 (2 days, 0–7)
            Request(id="REQ-1", kind="partner_request", title="Exposure for <b>MO-1</b>", requester_team="BRP NA",
                    priority="P2", owner="priya.n", site="India", status="in_progress", opened_at=T(2026, 10, 1, 9),
                    sla_due=T(2026, 10, 15, 9), mo_id="MO-1"),
            Request(id="REQ-2", kind="partner_request", title="Data pull", requester_team="ML", priority="P3",
                    owner="diego.a", site="Costa Rica", status="new", opened_at=T(2026, 11, 20, 9),
                    sla_due=T(2026, 12, 1, 9)),
            # resolved in the week: one within SLA, one late -> 50%
            Request(id="REQ-3", kind="partner_request", title="Second opinion", requester_team="BRP NA",
                    priority="P3", owner="priya.n", site="India", status="resolved", opened_at=T(2026, 11, 10, 9),
                    sla_due=T(2026, 11, 20, 9), resolved_at=T(2026, 11, 17, 9)),
            Request(id="REQ-4", kind="partner_request", title="Deep numbers", requester_team="BRP NA",
                    priority="P3", owner="priya.n", site="India", status="resolved", opened_at=T(2026, 11, 1, 9),
                    sla_due=T(2026, 11, 10, 9), resolved_at=T(2026, 11, 19, 9)),
            # an overdue Sev2 action item (Costa Rica) and an open COE item not yet due (India)
            Request(id="REQ-5", kind="sev2_action", title="Sev2 follow-up", requester_team="Engineering",
                    priority="P1", owner="sofia.c", site="Costa Rica", status="in_progress",
                    opened_at=T(2026, 11, 1, 9), sla_due=T(2026, 11, 10, 9)),
            Request(id="REQ-6", kind="coe_action", title="COE action", requester_team="Product", priority="P3",
                    owner="rohan.d", site="India", status="new", opened_at=T(2026, 11, 15, 9),
                    sla_due=T(2026, 12, 15, 9)),
        ])
        s.add_all([
            Gap(id="GAP-1", title="No SIM swap signal", owning_team="ML", status="quantified",
                identified_at=T(2026, 11, 16, 9), quantified_at=T(2026, 11, 18, 9), impact_usd=50_000.0),
            Gap(id="GAP-2", title="Refund API blind spot", owning_team="Engineering", status="closed",
                identified_at=T(2026, 6, 1, 9), quantified_at=T(2026, 7, 1, 9), impact_usd=20_000.0,
                closed_at=T(2026, 11, 21, 9)),
        ])
        s.flush()
        s.add_all([GapEvidence(gap_id="GAP-1", mo_id="MO-1"), GapEvidence(gap_id="GAP-2", mo_id="MO-4")])
        # SOP parity: 5 cells (retired left out); live on the current version at 22 Nov: 3 (60%); at 15 Nov: 2 (40%)
        s.add_all([SOP(id="SOP-1", title="ATO triage", version="2.0"),
                   SOP(id="SOP-2", title="Refund abuse", version="1.0")])
        s.flush()
        s.add_all([
            SOPRollout(sop_id="SOP-1", team="RM India", status="live", version="2.0", live_date=D(2026, 1, 10)),
            SOPRollout(sop_id="SOP-1", team="RM Costa Rica", status="pilot", version="2.0"),
            SOPRollout(sop_id="SOP-1", team="BRP NA", status="live", version="1.0", live_date=D(2025, 12, 1)),
            SOPRollout(sop_id="SOP-2", team="RM India", status="live", version="1.0", live_date=D(2026, 11, 18)),
            SOPRollout(sop_id="SOP-2", team="RM Costa Rica", status="live", version="1.0", live_date=D(2026, 2, 1)),
            SOPRollout(sop_id="SOP-2", team="BRP NA", status="retired"),
        ])
