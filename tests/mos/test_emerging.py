"""Emerging patterns on the demo world: the planted patterns no MO describes come out on top, notes of known MOs
do not; and the case-note import that feeds it is all or nothing, naming row and field."""
from __future__ import annotations

import collections
import datetime as dt
import json

import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, ValidationFailed
from rm_core.mos.case_notes import import_case_notes
from rm_core.mos.emerging import emerging_patterns, unlinked_notes
from rm_core.store.db import read_session, write_session
from rm_core.store.models import CaseNote, Request


def _truth(summary) -> dict[str, str]:
    from rm_core.demo.case_notes import build_case_notes
    from rm_core.demo.mos import build_mos

    mos = build_mos(summary.seed, summary.anchor, summary.counts["mos"])
    return {n.row["case_id"]: n.about for n in build_case_notes(summary.seed, summary.anchor, mos)}


def test_planted_patterns_are_the_top_clusters_and_notes_of_known_mos_are_not(state, capsys):
    from rm_core.cli import main
    from rm_core.demo.case_notes import PLANTED
    from rm_core.demo.world import seed_demo
    from rm_core.mos.engine import MOSearchEngine
    from rm_core.mos.repository import sync_index

    summary = seed_demo(state, scale="small")
    engine = MOSearchEngine(state)
    sync_index(engine)
    truth = _truth(summary)
    report = emerging_patterns(engine)
    assert report.since.date() == summary.anchor - dt.timedelta(weeks=12)

    def about(cluster) -> tuple[str, float]:
        kinds = collections.Counter(truth.get(ref, "request") for ref in cluster.members)
        kind, n = kinds.most_common(1)[0]
        return kind, n / cluster.size

    top = report.clusters[:len(PLANTED)]
    found = {about(c)[0] for c in top}
    assert found == set(PLANTED), [(c.label, about(c)) for c in report.clusters]
    for cluster in top:
        kind, purity = about(cluster)
        planted = sum(1 for v in truth.values() if v == kind)
        assert purity >= 0.8 and cluster.size >= 0.7 * planted, (cluster.label, kind, purity, cluster.size)
        assert cluster.growth > 0.3 and sum(w.notes for w in cluster.weeks) == cluster.size
        assert len(cluster.nearest) == 3 and cluster.verdict in ("known", "related", "new")
        assert cluster.draft_notes == "\n\n".join(n.text for n in cluster.examples)
        assert len({n.text for n in cluster.examples}) == len(cluster.examples) >= 3
    about_known_mos = {ref for ref, kind in truth.items() if kind.startswith("MO-")}
    assert not about_known_mos & {ref for c in top for ref in c.members}
    # where notes of one known MO form a cluster of their own, it sits closer to the MOs than any planted pattern
    known = [c for c in report.clusters if about(c)[0].startswith("MO-")]
    assert all(c.distance < min(t.distance for t in top) for c in known)

    assert main(["mo", "emerging", "--since", (summary.anchor - dt.timedelta(weeks=12)).isoformat(),
                 "--format", "json", "--limit", "3"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [c["label"] for c in printed["clusters"]] == [c.label for c in top]
    assert printed["clusters"][0]["weeks"][-1]["week_start"] <= summary.anchor.isoformat()


CASES = ("case_id,opened_at,text,marketplace,site\n"
         "C-1,2026-11-02,Bots click the sponsored ads of a rival seller,us,India\n"
         "C-2,2026-11-03T09:30,Parcel locker codes resold in chat groups,,\n")


def test_a_case_file_imports_once_and_re_imports_as_unchanged(state, editor):
    report = import_case_notes(editor, CASES.encode(), "cases.csv")
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    again = import_case_notes(editor, CASES.replace("chat groups", "chat channels").encode(), "cases.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    with read_session() as s:
        first = s.get(CaseNote, "C-1")
        assert first.marketplace == "US" and first.opened_at == dt.datetime(2026, 11, 2)
    refs = [n.ref for n in unlinked_notes(dt.datetime(2026, 11, 1))]
    assert refs == ["C-1", "C-2"]


def test_requests_linked_to_an_mo_are_not_emerging(state, editor):
    from rm_core.mos.repository import create_mo

    create_mo(editor, {"title": "Gift card payout change", "narrative": "Sellers list gift cards."})
    opened = dt.datetime(2026, 11, 10)
    with write_session() as s:
        for rid, mo in (("REQ-1", None), ("REQ-2", "MO-0001")):
            s.add(Request(id=rid, kind="deep_dive", title=f"Deep dive {rid}", requester_team="ML", opened_at=opened,
                          sla_due=opened, mo_id=mo))
    assert [n.ref for n in unlinked_notes(dt.datetime(2026, 11, 1))] == ["REQ-1"]


@pytest.mark.parametrize("content, name, expected", [
    ("case_id,opened_at,text\nC-1,2026-11-02,\n", "cases.csv", "row 2, field 'text'"),
    ("case_id,opened_at,text\nC-1,yesterday,Bots\n", "cases.csv", "row 2, field 'opened_at'"),
    ("case_id,opened_at,text\nC-1,2026-11-02,Bots\nC-1,2026-11-03,Again\n", "cases.csv", "row 3, field 'case_id'"),
    ("case_id,opened_at,text,severty\nC-1,2026-11-02,Bots,S1\n", "cases.csv", "field 'severty'"),
    ("case_id,opened_at\nC-1,2026-11-02\n", "cases.csv", "field 'text'"),
    ("case_id,opened_at,text,site\nC-1,2026-11-02,Bots,Mars\n", "cases.csv", "row 2, field 'site'"),
    ("case_id,opened_at,text\nC-1,2026-11-02,Bots,extra\n", "cases.csv", "row 2"),
    ('{"case_id": "C-1", "opened_at": "2026-11-02", "text": "Bots"}\n{"case_id": "C-2",\n', "cases.jsonl",
     "line 2"),
])
def test_a_bad_case_file_names_row_and_field_and_writes_nothing(state, editor, content, name, expected):
    with pytest.raises(ValidationFailed) as err:
        import_case_notes(editor, content.encode(), name)
    assert expected in str(err.value) and name in str(err.value)
    with read_session() as s:
        assert s.scalars(select(CaseNote)).all() == []


def test_viewers_cannot_import_case_notes(state, viewer):
    with pytest.raises(PermissionDenied):
        import_case_notes(viewer, CASES.encode(), "cases.csv")


def test_the_cli_imports_a_case_file_and_lists_its_cluster_as_json(state, tmp_path, capsys):
    from rm_core.cli import main

    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,opened_at,text\nC-1,2026-11-02,\n")
    assert main(["mo", "import-notes", str(bad)]) == 2
    assert "bad.csv, row 2, field 'text'" in capsys.readouterr().err
    good = tmp_path / "cases.csv"
    good.write_text("case_id,opened_at,text\n" + "".join(
        f'C-{i},2026-11-{i + 2:02d},"Bots click the sponsored product ads of a rival seller, variant {i}"\n'
        for i in range(7)))
    assert main(["mo", "import-notes", str(good)]) == 0
    assert "7 case notes created" in capsys.readouterr().out
    assert main(["mo", "import-notes", str(good)]) == 0
    assert "0 case notes created, 0 updated, 7 unchanged" in capsys.readouterr().out
    assert main(["mo", "emerging", "--since", "2026-10-01", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["since"] == "2026-10-01" and printed["notes"] == 7
    (cluster,) = printed["clusters"]
    assert cluster["size"] >= 5 and cluster["verdict"] == "" and cluster["nearest_mos"] == []
    assert sum(w["notes"] for w in cluster["weeks"]) == cluster["size"]
    with pytest.raises(SystemExit) as bad_date:
        main(["mo", "emerging", "--since", "yesterday"])
    assert bad_date.value.code == 2 and "is not a date like" in capsys.readouterr().err
