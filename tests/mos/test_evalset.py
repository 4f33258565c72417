"""Keeps the search evaluation set honest (labels point at real MOs, every query kind is represented) and holds the
search to its guarantees on it with the real model: fused at least as good as the better single method on every
corpus and query type, better on id/keyword queries, and a verdict that calls no note without a true MO known."""
from collections import Counter, defaultdict

import pytest

from rm_core.mos.match import match_signals, verdict_for
from tests.mos.eval import evalset

METRICS = ("recall@5", "MRR@10", "nDCG@10")


def test_every_labelled_answer_exists_in_its_corpus_and_every_kind_is_covered():
    ids = {"seller": {d.mo_id for d in evalset.seller_docs()}, "f3": {d.mo_id for d in evalset.f3_docs()}}
    assert len(ids["seller"]) >= 40 and len(ids["f3"]) == 123
    queries = evalset.queries()
    for q in queries:
        assert set(q.relevant) <= ids[q.corpus], q.query
        assert (q.kind == "nomatch" or q.verdict == "new") == (not q.relevant), q.query
    kinds = Counter((q.corpus, q.kind) for q in queries)
    for corpus in ("seller", "f3"):
        for kind in ("paraphrase", "keyword", "id", "notes", "nomatch"):
            assert kinds[(corpus, kind)] >= 3, (corpus, kind)
    verdicts = Counter(q.verdict for q in queries if q.kind == "notes")
    assert verdicts["new"] >= 8 and verdicts["known"] >= 15 and verdicts["related"] >= 3


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    from rm_core.mos.embeddings import MiniLMEmbeddings

    return evalset.build_engines(MiniLMEmbeddings(), tmp_path_factory.mktemp("evalset"))


@pytest.fixture(scope="module")
def retrieval(engines):
    """(corpus, kind, method) -> mean (recall@5, MRR@10, nDCG@10) over the queries with a true match."""
    scores = defaultdict(list)
    for q in evalset.queries():
        if q.relevant:
            for method in ("keyword", "dense", "fused"):
                hits = engines[q.corpus].search(q.query, k=10, where=q.where, method=method).hits
                scores[(q.corpus, q.kind, method)].append(evalset.metrics([h.mo_id for h in hits], set(q.relevant)))
    return {key: [sum(col) / len(col) for col in zip(*rows)] for key, rows in scores.items()}, scores


def test_fused_search_is_at_least_as_good_as_the_better_single_method_on_every_corpus_and_query_type(retrieval):
    means, _ = retrieval
    for corpus in ("seller", "f3"):
        for kind in ("paraphrase", "keyword", "id", "notes"):
            fused, dense, keyword = (means[(corpus, kind, m)] for m in ("fused", "dense", "keyword"))
            for i, name in enumerate(METRICS):
                assert fused[i] >= max(dense[i], keyword[i]) - 1e-9, (corpus, kind, name, fused, dense, keyword)


def test_fused_search_beats_both_single_methods_on_id_and_keyword_queries(retrieval):
    _, scores = retrieval
    mrr = {m: [row[1] for c in ("seller", "f3") for k in ("id", "keyword") for row in scores[(c, k, m)]]
           for m in ("fused", "dense", "keyword")}
    mean = {m: sum(v) / len(v) for m, v in mrr.items()}
    assert mean["fused"] > mean["keyword"] and mean["fused"] > mean["dense"], mean
    assert mean["fused"] >= 0.98


def test_the_verdict_calls_most_no_match_queries_new_no_note_without_a_true_mo_known_and_keeps_true_matches(engines):
    outcomes = Counter()
    for q in evalset.queries():
        if q.kind != "id":
            _, _, signals = match_signals(engines[q.corpus], q.query)
            outcomes[(evalset.verdict_group(q), evalset.expected_verdict(q), verdict_for(signals)[0])] += 1
    total = sum(outcomes.values())
    correct = sum(n for (_, expected, given), n in outcomes.items() if expected == given)
    assert correct / total >= 0.80, outcomes
    assert outcomes[("notes", "new", "known")] == 0, outcomes
    matches = sum(n for (_, e, _), n in outcomes.items() if e != "new")
    kept = sum(n for (_, e, g), n in outcomes.items() if e != "new" and g != "new")
    assert kept / matches >= 0.84, outcomes       # 0.86 when set (0.96 before, at 0.29 of no-match seller queries new)
    no_match = sum(n for (grp, _, _), n in outcomes.items() if grp == "no-match")
    assert outcomes[("no-match", "new", "new")] / no_match >= 0.85, outcomes   # 0.88 when set (0.43 before)


def test_the_issues_ad_click_query_is_new_and_a_true_paraphrase_names_its_mo(engines):
    # the query issue #14 was filed over: judged Known at 0.56 before; no MO of the seller set describes ad clicks
    ad_clicks = engines["seller"].match("bots repeatedly click a rival seller's sponsored product ads to drain its "
                                        "advertising budget")
    assert ad_clicks.verdict == "new" and ad_clicks.named == [], ad_clicks.reason
    paraphrase = engines["seller"].match("storefront sells discounted prepaid vouchers then swaps where its earnings "
                                         "are deposited right before getting paid")
    assert paraphrase.verdict in ("known", "related"), paraphrase.reason
    assert "MO-0102" in [m.mo_id for m in paraphrase.named]
    assert paraphrase.evidence.startswith("shares: ")


def test_long_notes_are_judged_on_their_own_weights_true_notes_kept_and_no_match_notes_new(engines):
    # the notes path weighs the MO's exact terms (coverage) over 50-120 words: before it, F3's true notes were 4/7
    # known or related (seller 12/14); tuned on the seller notes alone, F3 held out: 5/7 (seller 14/14)
    outcomes = Counter()
    for q in evalset.queries():
        if q.kind == "notes":
            ranked, _, signals = match_signals(engines[q.corpus], q.query)
            top3 = bool({m for m, _ in ranked[:3]} & set(q.relevant))
            given = verdict_for(signals)[0]
            right = given == "new" if not q.relevant else given != "new" and top3
            outcomes[(q.corpus, bool(q.relevant), right)] += 1
    assert outcomes[("seller", True, False)] == 0 and outcomes[("seller", False, False)] == 0, outcomes
    assert outcomes[("f3", True, True)] >= 5 and outcomes[("f3", False, False)] == 0, outcomes
