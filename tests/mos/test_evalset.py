"""Keeps the search evaluation set honest: labels point at real MOs, every query kind is represented."""
from collections import Counter

from tests.mos.eval import evalset


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
