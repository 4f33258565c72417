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
