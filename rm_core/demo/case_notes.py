"""The demo's investigation case notes: notes about known MOs, and three planted patterns no MO describes.

The planted patterns grow week by week over the last two months (what "emerging" looks like); the notes about
known MOs arrive evenly over the same weeks and paraphrase their MO. Emerging patterns should surface the first
and not the second (tests/mos/test_emerging.py checks it on this world).
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from rm_core.demo.mos import DemoMO
from rm_core.demo.vocab import MARKETPLACES, SITES

WEEKS = 10  # the notes span the ten weeks up to the anchor date

# Each pattern: (opening, what they do, what we saw, the damage); a note takes one of each, so no two read alike.
PLANTED: dict[str, tuple[tuple[str, ...], ...]] = {
    "ad-click bots": (
        ("Seller complains that", "A brand owner reports that", "Case opened because", "Escalated by the seller:"),
        ("bots keep clicking its sponsored product ads", "automated clicks hit the seller's sponsored ads all day",
         "a rival runs a click farm against this seller's sponsored product ads",
         "scripted browsers click the sponsored ad placements of a competing seller"),
        ("the clicks come from rotating residential proxies and never add anything to the cart",
         "click-through rate tripled overnight with zero ad-attributed sales",
         "hundreds of ad clicks per hour from headless browsers, no purchases",
         "the ad clicks cluster on the seller's top keywords at night"),
        ("its daily advertising budget is drained by noon", "the campaign budget runs out before real shoppers see it",
         "ad spend wasted and the rival's ads take the top slot", "the advertising budget is exhausted every morning"),
    ),
    "parcel-locker codes": (
        ("Buyer reports that", "Courier partner flags that", "Case opened because", "Logistics team notes that"),
        ("parcel locker pickup codes are read from order messages and resold",
         "someone collects high-value parcels from lockers with pickup codes the buyer never shared",
         "locker pickup codes leak through a compromised messaging integration and are sold in chat groups",
         "pickup codes for parcel lockers are harvested and used before the buyer arrives"),
        ("the locker is empty when the buyer arrives with the code",
         "lockers opened minutes after the delivery notification, always phones and consoles",
         "the same few locker stations, parcels collected within ten minutes of drop-off",
         "pickup happens from a different city than the buyer's usual logins"),
        ("buyer files item-not-received and we refund the order", "losses on electronics delivered to lockers",
         "refunds for locker deliveries doubled", "the seller loses the item and the buyer is refunded"),
    ),
    "fake eco certificates": (
        ("Policy team flags that", "Complaint from a certification body:", "Case opened because", "Audit found that"),
        ("sellers upload forged sustainability certificates to earn the eco-friendly badge",
         "fake carbon-neutral certificates are attached to listings to get the green badge",
         "certificates from a non-existent eco-label authority unlock the sustainability badge",
         "the same forged recycled-materials certificate is reused by many sellers for the eco badge"),
        ("the certificate numbers do not exist in the issuer's registry",
         "identical certificate PDFs with edited company names",
         "the issuing body's stamp is copied from its website",
         "the certificates list factories that closed years ago"),
        ("badged listings rank higher in the eco filter and charge a premium",
         "buyers pay more for products that are not sustainable",
         "the green badge lifts conversion and pushes honest sellers down",
         "the eco filter is full of badged listings with fake claims"),
    ),
}
PLANTED_NOTES = (18, 16, 14)   # notes per planted pattern over the window, rising week on week
KNOWN_MOS = 12                 # known MOs that get case notes ...
NOTES_PER_KNOWN_MO = 6         # ... this many each, evenly over the weeks


@dataclass(frozen=True)
class DemoCaseNote:
    row: dict
    about: str  # a planted pattern's name, or the MO id the note paraphrases (ground truth for tests)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text or "") if len(s.split()) >= 5]


def _rising_day(rng: random.Random, anchor: dt.date) -> dt.date:
    """A day in the window, later weeks more likely (weight = week number): a pattern that is growing."""
    week = rng.choices(range(1, WEEKS + 1), weights=[w * w for w in range(1, WEEKS + 1)])[0]
    return anchor - dt.timedelta(days=(WEEKS - week) * 7 + rng.randint(0, 6))


def build_case_notes(seed: int, anchor: dt.date, mos: list[DemoMO]) -> list[DemoCaseNote]:
    rng = random.Random(f"case-notes-{seed}")
    notes: list[tuple[dt.date, str, str]] = []
    for (name, parts), count in zip(PLANTED.items(), PLANTED_NOTES):
        for _ in range(count):
            opening, act, seen, damage = (rng.choice(p) for p in parts)
            notes.append((_rising_day(rng, anchor), f"{opening} {act}; {seen}, and {damage}.", name))
    live = [m for m in mos if m.row["status"] in ("active", "draft") and len(_sentences(m.row["narrative"])) >= 3]
    for mo in rng.sample(live, min(KNOWN_MOS, len(live))):
        sentences = _sentences(mo.row["summary"]) + _sentences(mo.row["narrative"])
        signals = list(mo.row.get("signals") or [])
        for _ in range(NOTES_PER_KNOWN_MO):
            picked = rng.sample(sentences, min(2, len(sentences)))
            if signals:
                picked.append(f"Seen: {rng.choice(signals)}.")
            day = anchor - dt.timedelta(days=rng.randint(0, WEEKS * 7 - 1))
            notes.append((day, " ".join(picked), mo.row["id"]))
    notes.sort(key=lambda n: (n[0], n[1]))
    out = []
    for number, (day, text, about) in enumerate(notes, start=1):
        opened = dt.datetime.combine(day, dt.time(8 + rng.randint(0, 9), rng.randint(0, 59)))
        out.append(DemoCaseNote(dict(case_id=f"CASE-{anchor.year % 100}{number:05d}", opened_at=opened, text=text,
                                     marketplace=rng.choice(MARKETPLACES), site=rng.choice(SITES),
                                     source_file="demo world", imported_by="demo", imported_at=opened), about))
    return out
