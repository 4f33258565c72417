"""MO write-ups in many voices: formal write-ups, analyst notes, timelines, Q&A, numbered flows and case stories.

Each write-up is assembled from its family's moves (several phrasings each), reordered and trimmed, wrapped in
one of several layouts with their own openers, transitions, sizing and status sentences, so no two read alike.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from rm_core.demo import phrasebook
from rm_core.demo.families import CARRIERS, DOCS, FAMILIES, Family
from rm_core.demo.vocab import MARKETPLACE_NAMES


@dataclass(frozen=True)
class MOContext:
    """Facts about one MO that the text must agree with."""

    mo_id: str
    family: Family
    site: str
    marketplaces: list[str]
    first_seen: dt.date
    last_seen: dt.date
    documented_at: dt.date
    mitigated_at: dt.date | None
    status: str
    severity: str
    confidence: str
    source: str
    est_accounts: int
    est_exposure_usd: float
    owner: str
    requester_team: str
    related: list[str]


@dataclass(frozen=True)
class MOText:
    title: str
    aliases: list[str]
    summary: str
    narrative: str
    signals: list[str]


def _money(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"${value / 1000:.0f}k"
    return f"${value:,.0f}"


def _month(day: dt.date) -> str:
    return day.strftime("%B %Y")


def _short(day: dt.date) -> str:
    return day.strftime("%d %b").lstrip("0")


def _mp_list(codes: list[str]) -> str:
    names = [MARKETPLACE_NAMES.get(c, c) for c in codes]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (KYC, ML, ASIN)."""
    first = text.split(" ", 1)[0]
    if text[:1].isupper() and (len(first) == 1 or not first[1].isupper()):
        return text[0].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Slots(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _slots(rng: random.Random, ctx: MOContext) -> _Slots:
    fam = ctx.family
    return _Slots(
        item=rng.choice(fam.items), mp=MARKETPLACE_NAMES.get(ctx.marketplaces[0], ctx.marketplaces[0]),
        n=str(rng.choice([3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 40])), n2=str(rng.choice([60, 120, 180, 250, 400, 700,
                                                                                      900, 1500])),
        days=str(rng.choice([5, 7, 10, 14, 18, 21, 30, 45])), hours=str(rng.choice([2, 6, 12, 24, 36, 48, 72])),
        pct=str(rng.choice([15, 20, 25, 30, 35, 40, 50, 60])),
        limit=_money(rng.choice([250, 500, 1000, 2500, 5000, 10000])),
        **_money_slots(ctx),
        medium=rng.choice(fam.mediums), doc=rng.choice(DOCS), carrier=rng.choice(CARRIERS))


def _money_slots(ctx: MOContext) -> dict[str, str]:
    """Loss figures in the narrative agree with the MO's own sizing (per account, total, per month, per week)."""
    months = max(1.0, (ctx.last_seen - ctx.first_seen).days / 30.4)
    total = ctx.est_exposure_usd
    return dict(amt=_money(total / max(1, ctx.est_accounts)), total=_money(total), monthly=_money(total / months),
                weekly=_money(total / months / 4.35))


def _fill(text: str, slots: _Slots) -> str:
    return text.format_map(slots)


# --- reusable sentences ----------------------------------------------------------------------------------

TRANSITIONS = ["", "", "", "Next, ", "After that, ", "Then ", "From there, ", "At that point ", "Typically, ",
               "In most cases ", "Usually ", "Soon after, ", "Later, "]

RELATED = ["Related: {mos}.", "See also {mos}.", "Overlaps with {mos}; same actors in some cases.",
           "Possibly the same group as {mos}."]

ANALYST_WORDS = [
    (r"\baccounts\b", "accts"), (r"\baccount\b", "acct"), (r"\bwithin\b", "w/in"), (r"\bwith\b", "w/"),
    (r"\babout\b", "~"), (r"\broughly\b", "~"), (r"\bbecause\b", "b/c"), (r"\bregistration\b", "reg"),
    (r"\bnumber\b", "#"), (r"(\d+) days\b", r"\1d"), (r"(\d+) hours\b", r"\1h"), (r"\band\b", "+"),
    (r"\bbefore\b", "pre"), (r"\bapproximately\b", "~"), (r"\bsellers\b", "SAs"),
]

QA_QUESTIONS = [("What happens?", "What is going on?", "The pattern"),
                ("Who is behind it?", "Who does this?", "Actors"),
                ("How big is it?", "How much does it cost?", "Scale"),
                ("What do we do about it?", "What should change?", "Asks")]


def _analyst(sentence: str) -> str:
    text = sentence.rstrip(".")
    for pattern, repl in ANALYST_WORDS:
        text = re.sub(pattern, repl, text)
    return _lower_first(text)


def _pick_moves(rng: random.Random, fam: Family, slots: _Slots) -> list[str]:
    """An ordered subset of the family's moves, each in one phrasing; occasionally two moves swap places."""
    moves = list(range(len(fam.moves)))
    keep = rng.randint(max(3, len(moves) - 2), len(moves))
    chosen = sorted(rng.sample(moves, keep))
    if len(chosen) > 3 and rng.random() < 0.3:
        i = rng.randrange(1, len(chosen) - 1)
        chosen[i], chosen[i + 1] = chosen[i + 1], chosen[i]
    return [_fill(rng.choice(fam.moves[i]), slots) for i in chosen]


def _borrowed_move(rng: random.Random, fam: Family, slots: _Slots) -> str | None:
    """A step from another family: real MOs chain techniques (a takeover that cashes out via gift cards)."""
    if rng.random() > 0.35:
        return None
    other = rng.choice([f for f in FAMILIES if f.name != fam.name])
    move = rng.choice(other.moves[1:] or other.moves)
    lead = rng.choice(["In a variant, ", "Some groups add a twist: ", "A minority of cases also show this: ",
                       "Variant B: ", "One cluster combined it with {other}: "])
    return _fill(lead.replace("{other}", other.name), slots) + _lower_first(_fill(rng.choice(move), slots))


def compose_mo(rng: random.Random, ctx: MOContext, used_titles: set[str]) -> MOText:
    """One MO write-up in a voice picked for this MO; `used_titles` keeps titles unique across the world."""
    fam = ctx.family
    slots = _slots(rng, ctx)
    title = _unique_title(rng, fam, slots, ctx, used_titles)
    moves = _pick_moves(rng, fam, slots)
    borrowed = _borrowed_move(rng, fam, slots)
    signals = rng.sample(list(fam.signals), rng.randint(3, min(6, len(fam.signals))))
    words = {
        "month": _month(ctx.first_seen), "mp": slots["mp"], "n": slots["n"], "medium": slots["medium"],
        "team": ctx.requester_team, "owner": ctx.owner, "acc": f"{ctx.est_accounts:,}",
        "exp": _money(ctx.est_exposure_usd), "last": _short(ctx.last_seen),
        "mitigated": _short(ctx.mitigated_at) if ctx.mitigated_at else "", "mos": ", ".join(ctx.related),
    }
    say = lambda options: rng.choice(options).format_map(_Slots(words))  # noqa: E731
    opener = phrasebook.opener(rng, ctx.source, words)
    sizing = phrasebook.sizing(rng, words)
    confidence = phrasebook.confidence(rng, ctx.confidence, words)
    status = phrasebook.status_line(rng, ctx.status, words)
    moves = [phrasebook.hedge(rng, m, words) for m in moves]
    impact = phrasebook.impact(rng, _fill(rng.choice(fam.impact), slots))
    mitigation = phrasebook.ask(rng, _fill(rng.choice(fam.mitigations), slots), words)
    related = say(RELATED) if ctx.related and rng.random() < 0.6 else ""

    summary = _summary(rng, ctx, moves, slots, words)
    style = rng.choices(["formal", "notes", "prose", "timeline", "qa", "steps"], [24, 20, 20, 12, 10, 14])[0]
    parts = dict(opener=opener, moves=moves, borrowed=borrowed, signals=signals, sizing=sizing,
                 confidence=confidence, status=status, impact=impact, mitigation=mitigation, related=related)
    narrative = globals()[f"_style_{style}"](rng, ctx, parts, words).strip()
    aliases = _aliases(rng, fam, ctx)
    return MOText(title=title, aliases=aliases, summary=summary, narrative=narrative, signals=signals)


def _unique_title(rng: random.Random, fam: Family, slots: _Slots, ctx: MOContext, used: set[str]) -> str:
    for attempt in range(12):
        title = _upper_first(_fill(rng.choice(fam.titles), slots))
        if attempt >= 3:
            title += rng.choice([f" ({slots['mp']})", f" — {slots['item']}", f" via {slots['medium']}",
                                 f", {ctx.first_seen.year} wave", f" ({ctx.site} cluster)"])
        if attempt >= 8:
            title += f" [{ctx.mo_id}]"
        if title not in used:
            used.add(title)
            return title
    used.add(title)
    return title


def _aliases(rng: random.Random, fam: Family, ctx: MOContext) -> list[str]:
    pool = list(fam.aliases)
    codename = rng.choice(["Kestrel", "Marlin", "Juniper", "Basalt", "Orchid", "Tamarind", "Quartz", "Harrier",
                           "Lotus", "Cobalt", "Monsoon", "Volcán", "Ceiba", "Quetzal", "Saffron", "Teak"])
    pool += [f"Operation {codename}", f"{ctx.site[:2].upper()}-{rng.randint(10, 99)} cluster"]
    return rng.sample(pool, rng.randint(0, min(3, len(pool))))


def _summary(rng: random.Random, ctx: MOContext, moves: list[str], slots: _Slots, words: dict) -> str:
    first, money = moves[0], moves[-1] if len(moves) > 1 else moves[0]
    where = _mp_list(ctx.marketplaces[:3])
    shapes = [
        lambda: f"{first} {money}",
        lambda: f"{first} Seen in {where} since {words['month']}.",
        lambda: f"{_upper_first(ctx.family.name)} pattern in {where}: {_lower_first(first)}",
        lambda: f"{money} Roughly {words['acc']} accounts so far.",
        lambda: f"{first} The end goal: {_lower_first(money)}",
        lambda: f"Since {words['month']}, {_lower_first(first)}",
    ]
    return rng.choice(shapes)()


def _join_prose(rng: random.Random, sentences: list[str]) -> str:
    out = []
    for i, sentence in enumerate(sentences):
        lead = rng.choice(TRANSITIONS) if i else ""
        out.append(lead + (_lower_first(sentence) if lead else sentence))
    return " ".join(out)


def _style_formal(rng, ctx, p, w) -> str:
    head = lambda *names: "## " + rng.choice(names)  # noqa: E731
    lines = [head("Summary", "Overview", "Background"), p["opener"] + " " + p["status"], "",
             head("How it works", "Modus operandi", "Attack flow", "Observed behaviour"),
             _join_prose(rng, p["moves"])]
    if p["borrowed"]:
        lines += ["", p["borrowed"]]
    lines += ["", head("Indicators", "Signals", "Red flags", "What to look for")]
    lines += [f"- {_upper_first(s)}" for s in p["signals"]]
    lines += ["", head("Impact", "Exposure", "Scale"), f"{p['sizing']} {p['impact']}", "",
              head("Mitigation", "Recommended actions", "Next steps"), p["mitigation"] + " " + p["confidence"]]
    if p["related"]:
        lines += ["", p["related"]]
    return "\n".join(lines)


def _style_notes(rng, ctx, p, w) -> str:
    bullet = rng.choice(["- ", "* ", "-> "])
    lines = [rng.choice(["notes ({owner}, {date})", "working notes, {date}", "{owner} — case notes",
                         "quick write-up ({date})"]).format(owner=ctx.owner, date=ctx.documented_at.isoformat())]
    lines.append(bullet + rng.choice(["src: ", "origin: ", "how found: "]) + _analyst(p["opener"]))
    for move in p["moves"]:
        lines.append(bullet + _analyst(move))
    if p["borrowed"]:
        lines.append(bullet + "NB " + _analyst(p["borrowed"]))
    lines.append(bullet + rng.choice(["signals: ", "look for: ", "tells: "]) + "; ".join(p["signals"]))
    lines.append(bullet + _analyst(p["sizing"]))
    if rng.random() < 0.6:
        lines.append(bullet + rng.choice([f"conf: {ctx.confidence}", f"confidence {ctx.confidence}",
                                          _analyst(p["confidence"])]))
    lines.append(bullet + rng.choice(["status: ", "state: ", ""]) + _analyst(p["status"]))
    if rng.random() < 0.5:
        lines.append(bullet + rng.choice(["todo: ", "next: ", "ask: "]) + _analyst(p["mitigation"]))
    if rng.random() < 0.3:
        lines.append(bullet + rng.choice(["?? need ML to confirm the {medium} link",
                                          "open q: is {mp} the only marketplace?",
                                          "cc {team} once sized"]).format(medium=w["medium"], mp=w["mp"],
                                                                          team=ctx.requester_team))
    if p["related"]:
        lines.append(bullet + _analyst(p["related"]))
    return "\n".join(lines)


def _style_prose(rng, ctx, p, w) -> str:
    moves = p["moves"]
    cut = rng.randint(1, max(1, len(moves) - 1))
    para1 = p["opener"] + " " + _join_prose(rng, moves[:cut])
    para2 = _join_prose(rng, moves[cut:]) + (" " + p["borrowed"] if p["borrowed"] else "")
    signal_text = rng.choice([
        "The clearest signals are {a} and {b}.", "Two things give it away: {a}, and {b}.",
        "Reviewers should look for {a}; {b} is a strong second signal.",
        "What separates these accounts from honest sellers is {a}, usually together with {b}.",
    ]).format(a=p["signals"][0], b=p["signals"][1])
    para3 = " ".join(x for x in [signal_text, p["sizing"], p["impact"], p["confidence"]] if x)
    para4 = " ".join(x for x in [p["status"], p["mitigation"], p["related"]] if x)
    paras = [para1, para2, para3, para4] if rng.random() < 0.6 else [para1 + " " + para2, para3 + " " + para4]
    return "\n\n".join(paras)


def _style_timeline(rng, ctx, p, w) -> str:
    events = [(ctx.first_seen, rng.choice(["First cases", "Earliest accounts we can tie to it",
                                           "First known account registered"]) + f" ({w['mp']})."),
              (ctx.documented_at, rng.choice(["Documented by ", "Written up by ", "MO opened by "]) + ctx.owner + ".")]
    if ctx.mitigated_at:
        events.append((ctx.mitigated_at, rng.choice(["Detection live; volumes fall.", "Mitigation shipped.",
                                                     "Rules enforced; cluster closed."])))
    events.append((ctx.last_seen, rng.choice(["Last case seen.", "Most recent account.", "Latest hit."])))
    events.sort(key=lambda e: e[0])
    lines = [rng.choice(["### Timeline", "**Timeline**", "Timeline:"])]
    lines += [f"- **{day.isoformat()}** — {text}" for day, text in events]
    lines += ["", rng.choice(["### How it works", "**How it works**", "The flow:"])]
    lines += [f"{i}. {m}" for i, m in enumerate(p["moves"], 1)]
    if p["borrowed"]:
        lines += ["", p["borrowed"]]
    lines += ["", rng.choice(["Signals: ", "Indicators: ", "Watch for: "]) + "; ".join(p["signals"]) + ".",
              "", " ".join([p["sizing"], p["confidence"], p["status"]])]
    return "\n".join(lines)


def _style_qa(rng, ctx, p, w) -> str:
    q = [rng.choice(options) for options in QA_QUESTIONS]
    lines = [f"**{q[0]}** " + _join_prose(rng, p["moves"][:3]),
             "",
             f"**{q[1]}** " + rng.choice([
                 "A small organised group, judging by the shared infrastructure.",
                 "Most likely one operator with helpers; the {medium} overlap is too tight for coincidence.",
                 "Several crews copying the same playbook, sold as a guide in online forums.",
                 "Professional fraud rings, some of them based outside the marketplaces they target.",
             ]).format(medium=w["medium"]) + (" " + _join_prose(rng, p["moves"][3:]) if len(p["moves"]) > 3 else ""),
             "",
             f"**{q[2]}** {p['sizing']} {p['impact']}",
             "",
             f"**{q[3]}** {p['mitigation']} {p['status']}"]
    if p["borrowed"] or p["related"]:
        lines += ["", " ".join(x for x in [p["borrowed"], p["related"]] if x)]
    lines += ["", "_" + p["confidence"] + "_"]
    return "\n".join(lines)


def _style_steps(rng, ctx, p, w) -> str:
    lines = [p["opener"], "", rng.choice(["Steps:", "Attack flow:", "The playbook, in order:", "Sequence:"])]
    lines += [f"{i}. {m}" for i, m in enumerate(p["moves"], 1)]
    if p["borrowed"]:
        lines += ["", p["borrowed"]]
    lines += ["", rng.choice(["Detection notes:", "For reviewers:", "Indicators:"])]
    lines += [f"- {s}" for s in p["signals"]]
    tail = [p["sizing"], p["status"]]
    if rng.random() < 0.5:
        tail.append(p["confidence"])
    lines += ["", " ".join(tail)]
    if p["related"]:
        lines += [p["related"]]
    return "\n".join(lines)
