"""The demo world's people, teams, places and small word lists (shared by every generator in rm_core.demo)."""
from __future__ import annotations

# Analysts per Risk Mining site; owners of MOs, rules and requests come from here.
ANALYSTS = {
    "India": ["ananya.r", "vikram.s", "priya.n", "rahul.k", "deepa.m", "arjun.p", "sneha.t", "karthik.v",
              "meera.j", "rohan.d"],
    "Costa Rica": ["valeria.m", "diego.a", "sofia.c", "andres.v", "camila.r", "jose.q", "mariana.s",
                   "luis.b"],
}
SITES = ("India", "Costa Rica")
PM = "nadia.pm"
MANAGERS = ["harish.mgr", "gabriela.mgr", "tom.lead"]
PARTNER_CONTACTS = ["brp.lakshmi", "brp.carlos", "ml.wen", "ml.oksana", "eng.farid", "eng.julia",
                    "prod.marcus", "prod.aiko", "sellerops.ines"]

MARKETPLACES = ["US", "UK", "DE", "IN", "JP", "MX", "CA", "FR", "IT", "ES", "BR", "AE"]
MARKETPLACE_NAMES = {"US": "the US store", "UK": "the UK store", "DE": "Germany", "IN": "India", "JP": "Japan",
                     "MX": "Mexico", "CA": "Canada", "FR": "France", "IT": "Italy", "ES": "Spain",
                     "BR": "Brazil", "AE": "the UAE"}
# Heavier marketplaces appear in more write-ups.
MARKETPLACE_WEIGHTS = [30, 12, 10, 14, 6, 8, 6, 5, 4, 4, 3, 3]

MO_STATUSES = (("active", 46), ("mitigated", 20), ("dormant", 12), ("draft", 13), ("retired", 9))
SEVERITIES = (("S1", 7), ("S2", 24), ("S3", 44), ("S4", 25))
CONFIDENCES = (("high", 35), ("medium", 45), ("low", 20))
MO_SOURCES = (("investigation", 52), ("partner request", 26), ("ML model", 14), ("ai_assist", 8))

REQUESTER_TEAMS = (("BRP India", 24), ("BRP Costa Rica", 20), ("ML", 12), ("Engineering", 10), ("Product", 12),
                   ("Seller Ops", 14), ("BRP NA", 5), ("BRP EU", 3))
GAP_TEAMS = (("ML", 30), ("Engineering", 28), ("Product", 22), ("Payments Risk (partner)", 8),
             ("Seller Verification (partner)", 7), ("Logistics Ops (partner)", 5))
SOP_TEAMS = ("RM India", "RM Costa Rica", "BRP NA", "BRP EU", "BRP APAC")
WORKSTREAMS = ("Detection & Rules", "MO Intelligence", "Partner Enablement", "AI & Automation")

ROOT_CAUSES = {
    "rule gap": ["No active rule covered this variant; {rule} was written after the review.",
                 "Existing rules keyed on the old {medium} pattern and missed the new one.",
                 "Coverage depended on a retired rule; the catch moved to manual review in the meantime."],
    "model miss": ["The risk model scored these accounts below threshold because tenure looked normal.",
                   "Model features lag 48 h, so the burst completed before any score moved.",
                   "Score drift after the last retrain; ML re-weighted the {medium} features."],
    "upstream data gap": ["The {medium} field is not passed to the decision service at registration.",
                          "Partner feed dropped the field for two weeks; nothing downstream alerted.",
                          "Document metadata is not stored, so template reuse cannot be matched."],
    "process / SOP gap": ["Two teams followed different versions of the SOP and neither escalated.",
                          "No SOP step told reviewers to check linked accounts before reinstating.",
                          "Hand-off between sites lost the case for five days."],
    "tooling defect": ["Review tool collapsed duplicate cases, hiding {n} of them.",
                       "Bulk action timed out silently on large clusters.",
                       "The queue filter excluded the marketplace after a config change."],
    "policy ambiguity": ["Policy did not say whether relisting after a warning counts as circumvention.",
                         "Reviewers disagreed on the threshold; Legal clarified the wording."],
    "known MO, new variant": ["Matches {mo} with a new monetization step; MO updated.",
                              "Same actors as {mo}; they moved to a different {medium}."],
    "no issue found": ["Spike explained by a seasonal sale; no abuse confirmed.",
                       "Sample review found legitimate sellers; requester agreed to close."],
}

SOP_TITLES = [
    "Utility bill and address document verification", "Payout bank account change review",
    "Linked-account cluster investigation", "Counterfeit complaint triage", "Review-abuse cluster takedown",
    "Listing hijack reversal and brand owner notice", "Gift-card listing review", "Refund abuse case review",
    "Promotion abuse reversal", "Suspended seller re-registration check", "Fulfilment fraud escalation",
    "Sales-based laundering referral to Financial Crimes", "Account takeover recovery and lock",
    "Sev2 incident triage for Account Integrity", "COE action item follow-up", "Partner request intake",
    "Deep-dive report template and peer review", "Rule change approval and shadow period",
    "Rule retirement with loss budget", "MO write-up quality checklist", "Evidence retention for appeals",
    "Seller appeal second review", "High-velocity new seller review", "Device and IP sharing analysis",
    "Tax ID reuse investigation", "Brand impersonation takedown", "Phone and email change review",
    "Dormant account reactivation check", "Cross-marketplace expansion review", "Inventory dumping review",
    "Drop-shipping fraud review", "Chargeback cluster analysis", "Manual block quality audit",
    "Weekly metric sign-off and flash report", "Escalation to executive review", "Data request to ML",
    "Label hygiene for confirmed-bad outcomes", "Sample audit of false positives", "Queue prioritisation",
    "Handover between India and Costa Rica shifts",
]

TEMPLATE_NAME = "op1_ideation"
