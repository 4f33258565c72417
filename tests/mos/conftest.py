"""Fixtures for the MO search tests: a fresh state folder and an engine on the fast hash embeddings."""
from __future__ import annotations

import pytest

from rm_core.mos.records import MODoc
from rm_core.settings import load_settings

CORPUS = [
    MODoc("MO-0001", "Gift card listings then payout bank change",
          "New sellers list discounted gift cards, collect sales, then change the payout bank account to a mule "
          "account shortly before the disbursement. Buyers receive invalid codes.",
          {"abuse_family": "payment and gift-card fraud", "stage": "monetization", "marketplaces": ["US"],
           "site": "India", "status": "active", "severity": "S1", "first_seen": "2023-05-02"}),
    MODoc("MO-0002", "Empty box refund abuse",
          "Colluding buyers order expensive items, the seller ships empty parcels with valid tracking, and the "
          "buyers file item not received claims after the payout.",
          {"abuse_family": "refund/return abuse", "stage": "monetization", "marketplaces": ["US", "DE"],
           "site": "Costa Rica", "status": "mitigated", "severity": "S3", "first_seen": "2022-03-09"}),
    MODoc("MO-0003", "Forged utility bills at registration",
          "Applicants upload utility bills edited in image software to match a stolen identity and pass KYC.",
          {"abuse_family": "identity fraud", "stage": "onboarding", "marketplaces": ["UK", "US"],
           "site": "India", "status": "active", "severity": "S2", "first_seen": "2024-02-11"}),
    MODoc("MO-0004", "Brushing with unsolicited parcels",
          "Sellers ship cheap items to strangers so the account can post verified purchase reviews.",
          {"abuse_family": "review manipulation", "stage": "positioning", "marketplaces": ["JP"],
           "site": "Costa Rica", "status": "dormant", "severity": "S3", "first_seen": "2021-12-02"}),
]


@pytest.fixture()
def corpus():
    return list(CORPUS)


@pytest.fixture()
def settings(tmp_path):
    return load_settings({"RM_HOME": str(tmp_path / "state"), "RM_EMBEDDINGS": "hash"})


@pytest.fixture()
def engine(settings):
    from rm_core.mos.engine import MOSearchEngine

    eng = MOSearchEngine(settings)
    eng.index(CORPUS)
    return eng
