"""The AI usage log: saving a draft records source ai_assist, the method and the outcome; the CLI contract."""
import json

import pytest

from rm_core.ai.draft import discard_draft, draft_mo, save_drafted_mo
from rm_core.ai.usage import log_assist, record_outcome
from rm_core.cli import main
from rm_core.errors import UserError
from rm_core.store.db import read_session
from rm_core.store.models import MO, AIUsage, AuditEvent
from tests.ai.conftest import NOTES


def test_a_draft_saved_as_drafted_is_accepted_and_the_mo_says_ai_assist(state, engine, editor):
    result = draft_mo(NOTES, engine, model=None)
    mo = save_drafted_mo(editor, result, result.value.form_values(), engine)
    with read_session() as s:
        saved = s.get(MO, mo.id)
        usage = s.get(AIUsage, result.usage_id)
        assert (saved.source, saved.drafted_by) == ("ai_assist", result.method)
        assert (usage.outcome, usage.record_id, usage.feature) == ("accepted", mo.id, "mo_draft")
        assert usage.minutes is not None and usage.minutes >= 0
        assert s.query(AuditEvent).filter(AuditEvent.record_type == "ai_usage").count() == 2


def test_a_draft_changed_before_saving_is_edited_and_a_discarded_one_says_so(state, engine, editor):
    first = draft_mo(NOTES, engine, model=None)
    save_drafted_mo(editor, first, {**first.value.form_values(), "title": "My own title"}, engine)
    second = draft_mo(NOTES, engine, model=None)
    discard_draft(editor, second)
    with read_session() as s:
        assert s.get(AIUsage, first.usage_id).outcome == "edited"
        assert s.get(AIUsage, second.usage_id).outcome == "discarded"


def test_only_the_person_who_asked_decides_the_outcome(state, editor, admin):
    usage = log_assist(editor, "ask", "offline: retrieved passages")
    with pytest.raises(UserError, match="Only the person"):
        record_outcome(admin, usage, "accepted")
    with pytest.raises(UserError, match="Unknown outcome"):
        record_outcome(editor, usage, "loved")


@pytest.fixture
def home(tmp_path, monkeypatch):
    from rm_core.settings import get_settings

    monkeypatch.setenv("RM_HOME", str(tmp_path / "fresh"))
    monkeypatch.setenv("RM_EMBEDDINGS", "hash")
    monkeypatch.delenv("RM_DATABASE_URL", raising=False)
    monkeypatch.delenv("RM_CHAT_MODEL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


MOS_CSV = """mo_id,title,description,abuse_family,stage,severity
MO-0101,Gift card cash-out,"New sellers list discounted gift cards, then move the payout bank account to a mule.",payment and gift-card fraud,monetization,S1
MO-0102,Empty box refunds,"Colluding buyers claim item not received after the seller ships empty parcels with tracking.",refund/return abuse,monetization,S3
"""


def test_the_cli_drafts_and_answers_as_json_with_existing_citations(home, capsys):
    (home / "mos.csv").write_text(MOS_CSV)
    (home / "notes.txt").write_text(NOTES)
    assert main(["mo", "import", str(home / "mos.csv")]) == 0
    capsys.readouterr()
    assert main(["ai", "draft", "--text-file", str(home / "notes.txt"), "--format", "json"]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["abuse_family"] == "payment and gift-card fraud" and draft["method"].startswith("offline")
    assert set(draft) >= {"title", "summary", "stage", "signals", "mediums", "marketplaces", "severity", "evidence"}
    assert main(["ai", "ask", "How are gift cards cashed out?", "--k", "2", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"answer", "citations", "method"} and answer["citations"][0] == "MO-0101"
    assert set(answer["citations"]) <= {"MO-0101", "MO-0102"}


def test_the_cli_falls_back_with_a_warning_and_exits_2_on_bad_input(home, capsys, monkeypatch):
    (home / "mos.csv").write_text(MOS_CSV)
    main(["mo", "import", str(home / "mos.csv")])
    (home / "empty.txt").write_text("  \n")
    capsys.readouterr()
    assert main(["ai", "draft", "--text-file", str(home / "empty.txt")]) == 2
    assert "empty" in capsys.readouterr().err
    monkeypatch.setenv("RM_CHAT_MODEL", "openai:nobody")
    monkeypatch.setenv("RM_CHAT_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RM_CHAT_RETRIES", "0")
    from rm_core.settings import get_settings

    get_settings.cache_clear()
    assert main(["ai", "ask", "gift cards", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["method"] == "offline: retrieved passages" and err.startswith("warning: ")
