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


def test_fusion_lets_keyword_agreement_reorder_close_dense_scores_on_term_queries_only():
    evidence = [Evidence("A", dense=0.50, keyword=1.0, coverage=0.1), Evidence("B", dense=0.48, keyword=9.0,
                                                                                coverage=0.9)]
    assert [m for m, _ in fuse(evidence, "keyword")] == ["B", "A"]
    # a described behaviour with no shared rare words keeps the dense order when coverage is equal
    assert [m for m, _ in fuse([Evidence("A", 0.50, 1.0, 0.1), Evidence("B", 0.48, 9.0, 0.1)], "natural")] == \
        ["A", "B"]


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
