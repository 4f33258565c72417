"""Sentences built from parts (lead, clause, qualifier), so the same idea reads differently across write-ups.

A fixed list of whole sentences repeats itself across hundreds of MOs; composing each sentence from several
independent choices gives thousands of wordings for sizing, confidence, status and how a case was found.
"""
from __future__ import annotations

import random


def _pick(rng: random.Random, options: list[str], words: dict) -> str:
    return rng.choice(options).format(**words)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (KYC, ML, ASIN)."""
    first = text.split(" ", 1)[0]
    if text[:1].isupper() and (len(first) == 1 or not first[1].isupper()):
        return text[0].lower() + text[1:]
    return text


def sizing(rng: random.Random, words: dict) -> str:
    lead = _pick(rng, ["", "", "Sizing: ", "Scale: ", "By our count, ", "As of the last data pull, ",
                       "Current estimate: ", "Rough numbers: ", "In total, ", "So far "], words)
    accounts = _pick(rng, ["{acc} accounts", "about {acc} accounts", "at least {acc} accounts",
                           "{acc} seller accounts", "close to {acc} accounts", "some {acc} accounts",
                           "{acc} accounts across several clusters", "{acc} linked accounts"], words)
    exposure = _pick(rng, ["{exp} in exposure", "an exposure of {exp}", "{exp} at risk", "roughly {exp} in losses",
                           "{exp}, mostly refunds and chargebacks", "{exp} in buyer refunds", "losses near {exp}",
                           "{exp} of estimated exposure"], words)
    basis = _pick(rng, ["", "", "", " (last full quarter)", " (sample extrapolated)", ", based on confirmed cases only",
                        " (confirmed-bad accounts times average loss)", ", which is likely an undercount",
                        " over the past six months", ", per the finance reconciliation"], words)
    shape = rng.randrange(4)
    if shape == 0:
        body = f"{accounts} and {exposure}"
    elif shape == 1:
        body = f"{accounts}, {exposure}"
    elif shape == 2:
        body = f"{exposure} across {accounts}"
    else:
        return _cap(f"{lead}{accounts} are involved") + f"; {exposure}{basis}."
    return _cap(f"{lead}{body}{basis}.")


_LEVEL = {
    "high": ["Confidence: high", "High confidence", "We are confident in this one", "Confidence is high",
             "Solid", "Well evidenced"],
    "medium": ["Confidence: medium", "Medium confidence", "Reasonably sure", "Fairly confident",
               "Moderate confidence", "Mostly confirmed"],
    "low": ["Confidence: low", "Low confidence", "Still a hypothesis", "Early and uncertain", "Not yet proven",
            "Tentative"],
}
_REASON = {
    "high": ["test buys confirmed it", "bank records tie the accounts together", "every sampled case matched",
             "the same {medium} links all the accounts", "two investigators reviewed it independently",
             "partner data confirms the link", "the ring's own messages were in the appeal files"],
    "medium": ["the pattern is clear but some links are inferred", "two steps rest on a small sample",
               "the monetization step is partly assumed", "ML has not confirmed the {medium} link yet",
               "most, not all, sampled cases matched", "{team} data covers only part of the period"],
    "low": ["only {n} cases so far", "some of it could be coincidence", "the steps are not yet linked by evidence",
            "we have one investigator's notes and little else", "needs more cases before anyone acts on it",
            "the sample is small and from one marketplace"],
}


def confidence(rng: random.Random, level: str, words: dict) -> str:
    head, reason = rng.choice(_LEVEL[level]), _pick(rng, _REASON[level], words)
    joiner = rng.choice([": ", " — ", "; ", ", since "])
    if joiner == ", since " and head.endswith(("high", "medium", "low")):
        joiner = ": "
    return f"{head}{joiner}{reason}."


_STATUS = {
    "active": (["Still active", "Ongoing", "Active", "Live and growing", "Current", "Not contained yet"],
               ["new cases every week", "last case seen {last}", "volumes are steady",
                "the latest account appeared {last}",
                "weekly counts are up since {month}", "new accounts keep appearing in {mp}"]),
    "mitigated": (["Mitigated", "Contained", "Under control", "Largely mitigated"],
                  ["since {mitigated}, once the detection went live",
                   "as of {mitigated}; residual cases are caught by rules",
                   "volumes dropped sharply after the {mitigated} fix", "on {mitigated}, after the payout hold shipped",
                   "since {mitigated}; we still watch the rules weekly"]),
    "dormant": (["Dormant", "Quiet", "No recent activity", "Gone quiet"],
                ["no new cases since {last}", "last seen {last}; likely moved elsewhere rather than stopped",
                 "nothing since {last}, kept open in case it returns", "the last account we saw was on {last}"]),
    "draft": (["Draft", "Work in progress", "Not yet reviewed", "Unreviewed draft"],
              ["needs a second reviewer before it goes active", "sizing still to be confirmed",
               "pending peer review", "waiting on data from {team}", "the monetization step is still open"]),
    "retired": (["Retired", "No longer relevant", "Closed out", "Archived"],
                ["the product feature it relied on no longer exists", "the policy change made the loophole irrelevant",
                 "kept for reference only", "merged into a broader MO", "the marketplace program it abused has ended"]),
}


def status_line(rng: random.Random, status: str, words: dict) -> str:
    heads, tails = _STATUS[status]
    head, tail = rng.choice(heads), _pick(rng, tails, words)
    joiner = rng.choice([": ", " — ", "; ", ". "])
    return f"{head}{joiner}{_cap(tail) if joiner == '. ' else tail}."


_WHEN = ["In {month}", "Back in {month}", "During {month}", "Early in {month}", "Late in {month}", "In {month}"]
_FOUND = {
    "investigation": ["an investigator working a single complaint found {n} more accounts behind it",
                      "a routine cluster review turned this up", "we were sampling new-seller approvals in {mp}",
                      "unusual payouts led an investigator to the first accounts",
                      "the same {medium} kept appearing in unrelated cases",
                      "{owner} noticed near-identical listings across unrelated sellers"],
    "partner request": ["{team} escalated a cluster of {n} sellers", "{team} asked why these accounts got through",
                        "{team} flagged it after buyer complaints piled up in {mp}",
                        "a {team} referral with {n} example accounts arrived",
                        "{team} raised it in the weekly partner sync"],
    "ML model": ["an anomaly alert from the ML model pointed at a handful of accounts",
                 "the risk model's outlier report listed these sellers together",
                 "ML flagged an unusual score pattern", "a drift alert on the {medium} features fired"],
    "ai_assist": ["AI assist drafted this from {n} case notes", "the first draft came from AI assist summarising "
                  "investigation notes", "AI assist grouped {n} open cases and suggested they were one pattern"],
}
_AFTER = ["", "", "", " Pulling the thread led here.", " This write-up grew out of that.",
          " Our own sample confirmed it.", " {owner} took it from there.",
          " Manual review confirmed a coordinated group."]


def opener(rng: random.Random, source: str, words: dict) -> str:
    found = _pick(rng, _FOUND[source], words)
    shape = rng.randrange(3)
    if shape == 0:
        text = f"{_pick(rng, _WHEN, words)}, {_lower(found)}."
    elif shape == 1:
        text = f"{_cap(found)} ({words['month']})."
    else:
        text = f"{_cap(found)} in {words['month']}."
    return text + _pick(rng, _AFTER, words)


_HEDGES = ["In the cases we sampled, ", "Often, ", "In {mp}, ", "Most of the time, ", "In at least {n} cases, ",
           "Per the case notes, ", "Where we have full data, ", "More recently, "]
_SUFFIXES = [" (seen in most sampled cases)", " — confirmed by {team}", ", though not in every case",
             " (this step varies)", " — the clearest step to detect", ", usually on weekends"]


def hedge(rng: random.Random, sentence: str, words: dict) -> str:
    """Sometimes qualify a step: real write-ups say how sure they are and where it was seen."""
    roll = rng.random()
    if roll < 0.18:
        return _pick(rng, _HEDGES, words) + _lower(sentence)
    if roll < 0.30 and sentence.endswith("."):
        return sentence[:-1] + _pick(rng, _SUFFIXES, words) + "."
    return sentence


_ASK_LEADS = ["", "", "Proposed: ", "Ask: ", "We recommend: ", "Fix: ", "Next step — ", "Suggested control: "]
_ASK_TAILS = ["", "", "", " {owner} owns the follow-up.", " Raised with {team}.", " Sized in the linked gap.",
              " Needs Engineering time."]


def ask(rng: random.Random, mitigation: str, words: dict) -> str:
    """A mitigation as an analyst would put it: sometimes as a proposal, sometimes with who follows up."""
    lead = rng.choice(_ASK_LEADS)
    return (lead + (_lower(mitigation) if lead.endswith(" ") and lead != "Next step — " else mitigation)
            + _pick(rng, _ASK_TAILS, words))


_IMPACT_LEADS = ["", "", "", "Beyond the money, ", "On top of that, ", "Worth noting: ", "Also: "]


def impact(rng: random.Random, sentence: str) -> str:
    lead = rng.choice(_IMPACT_LEADS)
    return lead + (_lower(sentence) if lead else sentence)
