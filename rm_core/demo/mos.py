"""The demo MOs: who owns them, where and when they were seen, how big they are, and their version history."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from rm_core.demo.families import FAMILIES
from rm_core.demo.mo_text import MOContext, compose_mo
from rm_core.demo.vocab import (ANALYSTS, CONFIDENCES, MARKETPLACE_WEIGHTS, MARKETPLACES, MO_SOURCES, MO_STATUSES,
                                REQUESTER_TEAMS, SEVERITIES, SITES)

SNAPSHOT_FIELDS = ("title", "aliases", "summary", "narrative", "abuse_family", "stage", "signals", "mediums",
                   "marketplaces", "site", "status", "severity", "confidence", "first_seen", "last_seen",
                   "documented_at", "mitigated_at", "est_accounts", "est_exposure_usd", "source", "owner")

_SEVERITY_ACCOUNTS = {"S1": (6.2, 0.7), "S2": (5.2, 0.8), "S3": (4.1, 0.9), "S4": (3.0, 0.9)}


def weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _marketplaces(rng: random.Random) -> list[str]:
    count = rng.choices([1, 2, 3, 4], [45, 30, 17, 8])[0]
    chosen: list[str] = []
    while len(chosen) < count:
        code = rng.choices(MARKETPLACES, MARKETPLACE_WEIGHTS)[0]
        if code not in chosen:
            chosen.append(code)
    return chosen


def _clip(day: dt.date, lo: dt.date, hi: dt.date) -> dt.date:
    return max(lo, min(hi, day))


@dataclass
class DemoMO:
    """One generated MO as a row dict plus what later generators need to know about it."""

    row: dict
    versions: list[dict]


def build_mos(seed: int, anchor: dt.date, count: int) -> list[DemoMO]:
    rng = random.Random(f"mos-{seed}")
    fam_weights = [f.weight for f in FAMILIES]
    used_titles: set[str] = set()
    by_family: dict[str, list[str]] = {}
    out: list[DemoMO] = []
    for i in range(1, count + 1):
        mo_id = f"MO-{i:04d}"
        # Every family gets MOs before weights take over, so even the rare ones have a few write-ups.
        fam = FAMILIES[i - 1] if i <= len(FAMILIES) else rng.choices(FAMILIES, fam_weights)[0]
        site = rng.choices(SITES, [58, 42])[0]
        status = weighted(rng, MO_STATUSES)
        severity = weighted(rng, SEVERITIES)
        confidence = "low" if status == "draft" and rng.random() < 0.5 else weighted(rng, CONFIDENCES)
        source = weighted(rng, MO_SOURCES)
        owner = rng.choice(ANALYSTS[site])

        if status == "draft":
            first_seen = anchor - dt.timedelta(days=rng.randint(6, 120))
        else:
            first_seen = anchor - dt.timedelta(days=int(rng.triangular(40, 760, 420)))
        documented = _clip(first_seen + dt.timedelta(days=rng.randint(2, 75)), first_seen,
                           anchor - dt.timedelta(days=1))
        mitigated = None
        if status in ("mitigated", "retired") or (status == "dormant" and rng.random() < 0.3):
            mitigated = _clip(documented + dt.timedelta(days=rng.randint(10, 220)), documented,
                              anchor - dt.timedelta(days=5))
        if status in ("active", "draft"):
            last_seen = anchor - dt.timedelta(days=rng.randint(0, 12))
        elif status == "dormant":
            last_seen = _clip(anchor - dt.timedelta(days=rng.randint(60, 320)), documented, anchor)
        else:
            last_seen = _clip((mitigated or documented) + dt.timedelta(days=rng.randint(0, 45)), first_seen, anchor)
        last_seen = max(last_seen, first_seen)

        mu, sigma = _SEVERITY_ACCOUNTS[severity]
        accounts = max(3, int(rng.lognormvariate(mu, sigma)))
        per_account = rng.lognormvariate(7.0, 0.9)
        exposure = round(accounts * per_account, -2)
        related = rng.sample(by_family.get(fam.name, []), min(len(by_family.get(fam.name, [])),
                                                                 rng.choice([0, 0, 1, 1, 2])))
        ctx = MOContext(mo_id=mo_id, family=fam, site=site, marketplaces=_marketplaces(rng), first_seen=first_seen,
                        last_seen=last_seen, documented_at=documented, mitigated_at=mitigated, status=status,
                        severity=severity, confidence=confidence, source=source, est_accounts=accounts,
                        est_exposure_usd=exposure, owner=owner, requester_team=weighted(rng, REQUESTER_TEAMS),
                        related=sorted(related))
        text = compose_mo(rng, ctx, used_titles)
        by_family.setdefault(fam.name, []).append(mo_id)
        mediums = rng.sample(list(fam.mediums), rng.randint(2, min(4, len(fam.mediums))))
        row = dict(id=mo_id, title=text.title, aliases=text.aliases, summary=text.summary, narrative=text.narrative,
                   abuse_family=fam.name, stage=rng.choice(fam.stages), signals=text.signals, mediums=mediums,
                   marketplaces=ctx.marketplaces, site=site, status=status, severity=severity,
                   confidence=confidence, first_seen=first_seen, last_seen=last_seen, documented_at=documented,
                   mitigated_at=mitigated, est_accounts=accounts, est_exposure_usd=exposure, source=source,
                   owner=owner, version=1, updated_by=owner,
                   updated_at=dt.datetime.combine(documented, dt.time(9 + rng.randint(0, 8), rng.randint(0, 59))))
        versions = _versions(rng, row, anchor)
        out.append(DemoMO(row=row, versions=versions))
    return out


def _snapshot(row: dict) -> dict:
    snap = {}
    for key in SNAPSHOT_FIELDS:
        value = row[key]
        snap[key] = value.isoformat() if isinstance(value, dt.date) else value
    return snap


def _versions(rng: random.Random, row: dict, anchor: dt.date) -> list[dict]:
    """Version 1 for every MO; about one in ten was revised once or twice (sizing, severity, status)."""
    revisions = rng.choices([0, 1, 2], [88, 8, 4])[0] if row["status"] != "draft" else 0
    first = dict(row)
    if revisions:
        first["narrative"] = row["narrative"].split("\n\n")[0]
        first["est_accounts"] = max(3, row["est_accounts"] // rng.choice([2, 3, 4]))
        first["est_exposure_usd"] = round(row["est_exposure_usd"] / rng.choice([2, 3]), -2)
        first["status"] = "draft" if rng.random() < 0.6 else "active"
        first["mitigated_at"] = None
        first["severity"] = {"S1": "S2", "S2": "S3", "S3": "S3", "S4": "S4"}[row["severity"]]
    t0 = row["updated_at"]
    versions = [dict(mo_id=row["id"], version=1, changed_at=t0, changed_by=row["owner"], snapshot=_snapshot(first),
                     note=rng.choice(["Created.", "First write-up.", "Imported from the investigation notes.",
                                      "Initial version."]))]
    notes = ["Updated sizing after a fresh data pull.", "Added the variant seen in another marketplace.",
             "Severity raised after a Sev2.", "Rewrote the flow after peer review.",
             "Marked mitigated; rules live.", "Added signals from the ML feature review."]
    horizon = (dt.datetime.combine(anchor, dt.time(18)) - t0).total_seconds()
    for v in range(2, revisions + 2):
        when = t0 + dt.timedelta(seconds=horizon * (v - 1) / (revisions + 1.5))
        snap = _snapshot(row) if v == revisions + 1 else _snapshot(dict(first, est_accounts=row["est_accounts"],
                                                                       est_exposure_usd=row["est_exposure_usd"]))
        versions.append(dict(mo_id=row["id"], version=v, changed_at=when.replace(microsecond=0),
                             changed_by=rng.choice([row["owner"], row["owner"], "nadia.pm"]), snapshot=snap,
                             note=rng.choice(notes)))
    row["version"] = len(versions)
    row["updated_at"] = versions[-1]["changed_at"]
    row["updated_by"] = versions[-1]["changed_by"]
    return versions
