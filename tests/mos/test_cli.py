"""`python -m rm_core mo …` as scripts and the held-out checks use it: import from an empty state folder, stable JSON
for search (one query or a queries file) and for "is this a known MO?", errors as exit 2 with nothing written."""
import json

import pytest

from rm_core.cli import main

MOS_CSV = """mo_id,title,description,abuse_family,site
MO-0101,Gift card cash-out,"New sellers list discounted gift cards, then move the payout bank account to a mule.",payment and gift-card fraud,India
MO-0102,Empty box refunds,"Colluding buyers claim item not received after the seller ships empty parcels with tracking.",refund/return abuse,Costa Rica
MO-0103,Forged utility bills,"Applicants upload utility bills edited in image software to pass identity checks.",identity fraud,India
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    from rm_core.settings import get_settings

    monkeypatch.setenv("RM_HOME", str(tmp_path / "fresh"))  # an empty state folder is a valid start
    monkeypatch.setenv("RM_EMBEDDINGS", "hash")
    monkeypatch.delenv("RM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _imported(home, capsys):
    path = home / "mos.csv"
    path.write_text(MOS_CSV, encoding="utf-8")
    code, _, err = _run(capsys, "mo", "import", str(path))
    assert code == 0, err
    return path


def test_import_then_search_prints_the_stable_json_best_first(home, capsys):
    path = home / "mos.csv"
    path.write_text(MOS_CSV, encoding="utf-8")
    code, out, _ = _run(capsys, "mo", "import", str(path))
    assert code == 0 and "3 MOs created" in out
    code, out, _ = _run(capsys, "mo", "search", "utility bills edited", "--k", "2", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["query"] == "utility bills edited"
    assert result["results"][0]["mo_id"] == "MO-0103" and len(result["results"]) == 2
    assert set(result["results"][0]) == {"mo_id", "title", "score", "snippet"}
    code, out, _ = _run(capsys, "mo", "search", "utility bills", "--where", "site=Costa Rica", "--format", "json")
    assert [r["mo_id"] for r in json.loads(out)["results"]] == ["MO-0102"]


def test_a_queries_file_prints_one_result_object_per_line_in_input_order(home, capsys):
    _imported(home, capsys)
    queries = home / "q.jsonl"
    queries.write_text('{"query": "empty parcels refund"}\n{"query": "gift cards", "where": {"site": "India"}}\n',
                       encoding="utf-8")
    code, out, _ = _run(capsys, "mo", "search", "--queries-file", str(queries), "--k", "1", "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [line["query"] for line in lines] == ["empty parcels refund", "gift cards"]
    assert [line["results"][0]["mo_id"] for line in lines] == ["MO-0102", "MO-0101"]


def test_match_prints_a_verdict_and_the_closest_mos(home, capsys):
    _imported(home, capsys)
    notes = home / "notes.txt"
    notes.write_text("Seller listed gift cards at a discount and changed the payout bank account to a mule account "
                     "the day before disbursement.", encoding="utf-8")
    code, out, _ = _run(capsys, "mo", "match", "--text-file", str(notes), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["verdict"] in ("known", "related", "new")
    assert result["matches"][0]["mo_id"] == "MO-0101"
    assert set(result["matches"][0]) == {"mo_id", "title", "score"}


def test_an_invalid_file_exits_2_naming_row_and_field_and_writes_nothing(home, capsys):
    bad = home / "bad.csv"
    bad.write_text("title,description\nGift card cash-out,Payout moved to a mule\nNo description,\n",
                   encoding="utf-8")
    code, _, err = _run(capsys, "mo", "import", str(bad))
    assert code == 2 and "bad.csv" in err and "row 3" in err and "description" in err
    code, out, _ = _run(capsys, "mo", "search", "gift card", "--format", "json")
    assert code == 0 and json.loads(out)["results"] == []


def test_match_without_a_model_says_the_offline_method_and_has_no_judgement(home, capsys):
    _imported(home, capsys)
    notes = home / "notes.txt"
    notes.write_text("Seller listed gift cards at a discount and moved the payout bank account to a mule.",
                     encoding="utf-8")
    code, out, err = _run(capsys, "mo", "match", "--text-file", str(notes), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["method"].startswith("offline: calibrated evidence")
    assert "judgement" not in result and "note" not in result and err == ""


@pytest.fixture
def chat_endpoint(home, monkeypatch):
    """RM_CHAT_MODEL pointing at the OpenAI-compatible loopback server the AI tests use."""
    from rm_core.settings import get_settings
    from tests.ai.conftest import ChatServer

    with ChatServer() as server:
        for name, value in (("RM_CHAT_MODEL", "openai:test-model"), ("RM_CHAT_BASE_URL", server.url),
                            ("RM_CHAT_API_KEY", "sk-test"), ("RM_CHAT_TIMEOUT_S", "2"), ("RM_CHAT_RETRIES", "0")):
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield server


def test_match_with_a_model_prints_its_judgement_and_falls_back_when_it_fails(home, capsys, chat_endpoint):
    _imported(home, capsys)
    notes = home / "notes.txt"
    notes.write_text("Applicants sent electricity invoices altered in a photo editor to get through identity "
                     "checks.", encoding="utf-8")
    chat_endpoint.replies = [json.dumps({"candidates": [
        {"mo_id": "MO-0103", "verdict": "known", "reason": "Edited utility bills to pass identity checks."}]})]
    code, out, _ = _run(capsys, "mo", "match", "--text-file", str(notes), "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["method"] == "openai:test-model"
    assert result["judgement"]["mo_id"] == "MO-0103" and result["judgement"]["verdict"] == "known"
    assert result["judgement"]["reason"] == "Edited utility bills to pass identity checks."
    assert "[MO-0103] Forged utility bills" in chat_endpoint.requests[0]["messages"][1]["content"]
    chat_endpoint.replies = [json.dumps({"candidates": [{"mo_id": "MO-0103", "verdict": "known", "reason": "Same."}]})]
    code, out, _ = _run(capsys, "mo", "match", "--text-file", str(notes))
    assert "\nmodel: openai:test-model judged it known (MO-0103): Same. [" in out
    chat_endpoint.replies = ["HTTP500"]
    code, out, err = _run(capsys, "mo", "match", "--text-file", str(notes))
    assert code == 0 and out.startswith("verdict: ") and "model:" not in out
    assert "warning: The AI model gave no usable answer" in err and "offline method's result" in err
