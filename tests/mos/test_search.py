import json

import pytest

from rm_core.errors import UserError, ValidationFailed
from rm_core.mos.search import (Evidence, SearchHit, SearchResults, chroma_where, fuse, parse_where, query_type,
                                read_queries_file, snippet, where_matches)


def test_query_types_follow_the_shape_of_the_query():
    ids = {"MO-0142", "F1001"}
    assert query_type("MO-0142", ids) == "id"
    assert query_type("what is f1001 about", ids) == "id"
    assert query_type("credential stuffing", ids) == "keyword"
    assert query_type("3DS bypass on checkout", ids) == "keyword"
    assert query_type("sellers change where their money goes right before getting paid", ids) == "natural"
    assert query_type(" ".join(["word"] * 60), ids) == "notes"


def test_on_term_queries_bm25_weighs_as_much_as_coverage_and_can_overturn_a_dense_lead():
    # "buy box": the MO whose text has both words beats the one that is only about boxes in meaning
    evidence = [Evidence("A", dense=0.50, keyword=1.0, coverage=0.1), Evidence("B", dense=0.40, keyword=9.0,
                                                                                coverage=0.9)]
    ranked = dict(fuse(evidence, "keyword"))
    assert ranked["B"] == pytest.approx((0.40 + 0.6 * 0.9 + 0.6 * 1.0) / 2.2, abs=1e-6)
    assert ranked["A"] == pytest.approx((0.50 + 0.6 * 0.1 + 0.6 * 1 / 9) / 2.2, abs=1e-6)
    assert [m for m, _ in fuse(evidence, "keyword")] == ["B", "A"]


def test_on_described_behaviour_bm25_only_nudges_so_a_clear_dense_lead_stands():
    # same keyword evidence, equal coverage: relative BM25 (weight 0.1) cannot undo a 0.12 cosine lead ...
    lead = [Evidence("A", 0.62, 1.0, 0.1), Evidence("B", 0.50, 9.0, 0.1)]
    ranked = fuse(lead, "natural")
    assert [m for m, _ in ranked] == ["A", "B"]
    assert ranked[0][1] == pytest.approx((0.62 + 0.4 * 0.1 + 0.1 / 9) / 1.5, abs=1e-6)
    # ... but breaks a near tie, and shared rare words (coverage) count on every query type
    assert [m for m, _ in fuse([Evidence("A", 0.50, 1.0, 0.1), Evidence("B", 0.48, 9.0, 0.1)], "natural")] == \
        ["B", "A"]
    assert [m for m, _ in fuse([Evidence("A", 0.50, 0.0, 0.0), Evidence("B", 0.45, 0.0, 0.3)], "natural")] == \
        ["B", "A"]


def test_pasted_notes_are_fused_by_rank_with_bm25_leading():
    evidence = [Evidence("A", dense=0.60, keyword=5.0), Evidence("B", dense=0.50, keyword=30.0),
                Evidence("C", dense=0.55, keyword=10.0), Evidence("D", dense=0.58)]
    ranked = fuse(evidence, "notes")
    # dense ranks A1 D2 C3 B4, BM25 ranks B1 C2 A3 (D none): score = (1/(2+dense) + 3/(2+bm25)) / (4/3)
    expected = {"A": (1 / 3 + 3 / 5) * 0.75, "B": (1 / 6 + 3 / 3) * 0.75, "C": (1 / 5 + 3 / 4) * 0.75,
                "D": (1 / 4) * 0.75}
    assert [m for m, _ in ranked] == ["B", "C", "A", "D"]
    assert dict(ranked) == pytest.approx(expected, abs=1e-6)
    # an MO first on both sides scores exactly 1
    assert fuse([Evidence("A", 0.9, 9.0), Evidence("B", 0.1, 1.0)], "notes")[0] == ("A", 1.0)


def test_fusion_weights_can_be_overridden_for_the_cross_corpus_check():
    evidence = [Evidence("A", 0.50, 1.0, 0.1), Evidence("B", 0.48, 9.0, 0.1)]
    assert [m for m, _ in fuse(evidence, "natural", {"natural": (0.0, 0.0)})] == ["A", "B"]
    notes = [Evidence("A", 0.60, 5.0), Evidence("B", 0.50, 30.0)]
    assert [m for m, _ in fuse(notes, "notes", {"notes": (0.0, 2.0)})] == ["A", "B"]


def test_fusion_puts_an_mo_named_by_id_first_and_keeps_scores_between_0_and_1():
    ranked = fuse([Evidence("A", dense=0.9, keyword=5, coverage=1.0), Evidence("B", dense=0.1, named=True)], "id")
    assert ranked[0][0] == "B"
    assert all(0 <= s <= 1 for _, s in ranked)


def test_fusion_with_no_keyword_evidence_ranks_by_dense_similarity():
    ranked = fuse([Evidence("A", 0.3), Evidence("B", 0.7), Evidence("C", 0.5)], "natural")
    assert [m for m, _ in ranked] == ["B", "C", "A"]


def test_where_pairs_become_chroma_clauses_and_python_checks_that_agree():
    where = parse_where(["site=India", "marketplaces=US,DE", "first_seen_from=2023-01-01"])
    assert where == {"site": "India", "marketplaces": ["US", "DE"], "first_seen_from": "2023-01-01"}
    assert chroma_where(where) == {"$and": [
        {"site": "India"},
        {"$or": [{"marketplaces": {"$contains": "US"}}, {"marketplaces": {"$contains": "DE"}}]},
        {"first_seen": {"$gte": 20230101}}]}
    assert where_matches(where, {"site": "India", "marketplaces": ["DE"], "first_seen": 20240101})
    assert not where_matches(where, {"site": "India", "marketplaces": ["JP"], "first_seen": 20240101})
    assert not where_matches(where, {"site": "India", "marketplaces": ["US"], "first_seen": 20220101})
    assert chroma_where({}) is None


def test_unknown_filter_fields_and_bad_dates_are_refused_with_the_fix():
    with pytest.raises(UserError, match="use one of"):
        parse_where(["colour=red"])
    with pytest.raises(UserError, match="FIELD=VALUE"):
        parse_where(["site"])
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        parse_where(["first_seen_to=last week"])


def test_snippet_shows_the_sentence_sharing_most_query_terms():
    passage = "Sellers register with stolen identities. They list gift cards at a discount. Later they vanish."
    assert snippet(passage, "gift card discount").startswith("…They list gift cards")
    assert snippet(passage, "nothing in common") .startswith("Sellers register")
    assert len(snippet("word " * 200, "word")) <= 240


def test_results_print_in_the_stable_cli_shape():
    results = SearchResults("gift cards", "keyword", {}, [SearchHit("MO-1", "Gift cards", 0.123456, "…cards")])
    assert json.loads(results.to_json()) == {"query": "gift cards", "results": [
        {"mo_id": "MO-1", "title": "Gift cards", "score": 0.1235, "snippet": "…cards"}]}


def test_a_queries_file_is_read_in_order_and_bad_lines_are_reported_by_row():
    lines = ['{"query": "a"}', "", '{"query": "b", "where": {"site": "India"}}']
    assert read_queries_file(lines) == [("a", {}), ("b", {"site": "India"})]
    with pytest.raises(ValidationFailed) as failed:
        read_queries_file(['{"query": "a"}', "not json", '{"query": "c", "where": {"colour": "red"}}'], "q.jsonl")
    assert [(p.row, p.file) for p in failed.value.problems] == [(2, "q.jsonl"), (3, "q.jsonl")]
