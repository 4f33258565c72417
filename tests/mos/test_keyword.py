import numpy as np

from rm_core.mos.keyword import KeywordIndex, stem, tokenize


def test_word_forms_meet_on_one_stem():
    assert {stem(w) for w in ("refund", "refunds", "refunded", "refunding")} == {"refund"}
    assert stem("shipping") == stem("ship") == "ship"
    assert tokenize("The sellers forged THE bills") == ["seller", "forg", "bill"]


def test_best_chunk_ranks_its_mo_once_and_filters_mask_scores():
    index = KeywordIndex.build([
        ("a::0", "a", "refund abuse with empty boxes", {"site": "India"}),
        ("b::0", "b", "gift card fraud with stolen cards", {"site": "Costa Rica"}),
        ("b::1", "b", "more gift cards sold", {"site": "Costa Rica"}),
    ])
    hits = index.search("gift cards")
    assert [h.mo_id for h in hits] == ["b"]
    mask = index.mask("india", lambda m: m["site"] == "India")
    assert index.search("gift cards", weight_mask=mask) == []
    assert index.chunks_of("b") == ["b::0", "b::1"]
    assert index.idf("gift") < index.idf("never-seen")


def test_an_empty_index_finds_nothing():
    assert KeywordIndex.build([]).search("anything") == []
    assert np.isfinite(KeywordIndex.build([]).idf("x"))
