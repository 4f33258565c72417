"""CSV exports of requests, gaps and SOPs in the import's own columns, text cells neutralised against formulas."""
from __future__ import annotations

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from rm_core.exports import safe_csv
from rm_core.store.models import SOP, Gap, GapEvidence, Request, SOPRollout
from rm_core.trackers.importing import GAP_COLUMNS, REQUEST_COLUMNS, SOP_COLUMNS

REQUEST_EXPORT = ("id", *REQUEST_COLUMNS["required"], *[c for c in REQUEST_COLUMNS["optional"] if c != "id"])
GAP_EXPORT = ("id", *GAP_COLUMNS["required"], *[c for c in GAP_COLUMNS["optional"] if c != "id"])
SOP_EXPORT = ("id", *SOP_COLUMNS["required"], *[c for c in SOP_COLUMNS["optional"] if c != "id"])


def _fmt(value):
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="minutes") if hasattr(value, "hour") else value.isoformat()
    return value


def requests_table(session: Session) -> pl.DataFrame:
    """Every request in REQUEST_EXPORT columns (what `import requests` reads back)."""
    cols = [getattr(Request, c) for c in REQUEST_EXPORT]
    rows = session.execute(select(*cols).order_by(Request.id)).all()
    return pl.DataFrame([[_fmt(v) for v in r] for r in rows], schema=list(REQUEST_EXPORT), orient="row")


def gaps_table(session: Session) -> pl.DataFrame:
    evidence: dict[str, tuple[list[str], list[str]]] = {}
    for e in session.scalars(select(GapEvidence).order_by(GapEvidence.id)):
        reqs, mos = evidence.setdefault(e.gap_id, ([], []))
        if e.request_id:
            reqs.append(e.request_id)
        if e.mo_id:
            mos.append(e.mo_id)
    rows = []
    for g in session.scalars(select(Gap).order_by(Gap.id)):
        reqs, mos = evidence.get(g.id, ([], []))
        row = {c: _fmt(getattr(g, c)) for c in GAP_EXPORT if hasattr(Gap, c)}
        row["evidence_requests"], row["evidence_mos"] = "; ".join(reqs), "; ".join(mos)
        rows.append([row.get(c) for c in GAP_EXPORT])
    return pl.DataFrame(rows, schema={c: pl.String for c in GAP_EXPORT}, orient="row")


def sops_table(session: Session) -> pl.DataFrame:
    """One row per SOP × team with a rollout row (an SOP without any gets one row with no team)."""
    rollouts: dict[str, list[SOPRollout]] = {}
    for r in session.scalars(select(SOPRollout).order_by(SOPRollout.sop_id, SOPRollout.team)):
        rollouts.setdefault(r.sop_id, []).append(r)
    rows = []
    for sop in session.scalars(select(SOP).order_by(SOP.id)):
        base = [sop.id, sop.title, sop.version, sop.owner, _fmt(sop.last_review), _fmt(sop.next_review)]
        for r in rollouts.get(sop.id) or [None]:
            rows.append(base + ([r.team, r.status, r.version, _fmt(r.planned_date), _fmt(r.live_date)] if r
                                else [None] * 5))
    return pl.DataFrame(rows, schema={c: pl.String for c in SOP_EXPORT}, orient="row")


TABLES = {"requests": requests_table, "gaps": gaps_table, "sops": sops_table}


def export_csv(session: Session, what: str) -> str:
    """CSV text of `requests`, `gaps` or `sops`; a cell starting with = + - @ is prefixed with a quote."""
    return safe_csv(TABLES[what](session).with_columns(pl.all().cast(pl.String)))
