"""MOs in the database: validation, versions, audit, import all-or-nothing, and the index kept in step."""
import json

import pytest
from sqlalchemy import select

from rm_core.errors import PermissionDenied, UserError, ValidationFailed
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import (coverage, create_mo, import_mos, mo_detail, sync_index, update_mo)
from rm_core.store.db import read_session, write_session
from rm_core.store.models import MO, AuditEvent, IndexOutbox, Rule, RuleMO

pytestmark = pytest.mark.postgres

FORGED = {"title": "Forged utility bills at onboarding", "summary": "Sellers pass KYC with edited PDFs.",
          "narrative": "New sellers upload utility bills edited in a PDF tool, then list gift cards.",
          "abuse_family": "Identity fraud", "stage": "onboarding", "marketplaces": "US; IN", "severity": "s2",
          "status": "active"}


@pytest.fixture
def engine(state):
    return MOSearchEngine(state)


def test_create_validates_and_versions_and_indexes(state, backend, editor, engine):
    mo = create_mo(editor, FORGED, engine)
    assert mo.id == "MO-0001" and mo.marketplaces == ["US", "IN"] and mo.severity == "S2"
    assert mo.abuse_family == "identity fraud"
    assert engine.ids() == {"MO-0001"}
    with read_session() as s:
        assert s.scalars(select(IndexOutbox)).all() == []
        assert s.scalars(select(AuditEvent.action)).all() == ["mo.create"]


def test_bad_fields_are_named_and_nothing_is_written(state, backend, editor, engine):
    with pytest.raises(ValidationFailed) as err:
        create_mo(editor, {**FORGED, "title": "x", "stage": "payday", "severity": "S9"}, engine)
    text = str(err.value)
    assert "field 'title'" in text and "field 'stage'" in text and "field 'severity'" in text
    with read_session() as s:
        assert s.scalars(select(MO)).all() == []


def test_a_viewer_cannot_create(state, viewer, engine):
    with pytest.raises(PermissionDenied):
        create_mo(viewer, FORGED, engine)


def test_edit_keeps_history_with_who_changed_what(state, backend, editor, admin, engine):
    create_mo(editor, FORGED, engine)
    update_mo(admin, "MO-0001", {"severity": "S1", "signals": ["same device", "new bank account"]}, engine,
              note="escalated after Sev2")
    detail = mo_detail("MO-0001")
    assert detail.mo.version == 2
    assert [(h.version, h.changed_by, h.changed_fields) for h in detail.history] == [
        (2, "ada", ["severity", "signals"]), (1, "eddie", ["created"])]


def test_a_stale_edit_is_refused(state, editor, engine):
    create_mo(editor, FORGED, engine)
    update_mo(editor, "MO-0001", {"severity": "S1"}, engine, expected_version=1)
    with pytest.raises(UserError, match="changed by eddie while you were editing"):
        update_mo(editor, "MO-0001", {"severity": "S4"}, engine, expected_version=1)


def test_crash_between_database_and_index_is_repaired_on_next_start(state, editor, engine):
    create_mo(editor, FORGED, None)  # the index write never happened (process died after commit)
    with read_session() as s:
        assert s.scalars(select(IndexOutbox.mo_id)).all() == ["MO-0001"]
    assert engine.ids() == set()
    report = sync_index(engine)
    assert report.replayed == 1 and engine.ids() == {"MO-0001"}
    with read_session() as s:
        assert s.scalars(select(IndexOutbox)).all() == []


def test_orphans_in_the_index_are_removed_on_sync(state, editor, engine):
    from rm_core.mos.records import MODoc

    engine.upsert(MODoc("MO-9999", "ghost", "left behind by a deleted row"))
    report = sync_index(engine)
    assert report.orphans_removed == 1 and engine.ids() == set()


def test_import_is_all_or_nothing_with_row_and_field_errors(state, editor, engine, tmp_path):
    f = tmp_path / "mos.csv"
    f.write_text("mo_id,title,description,severity\n"
                 "MO-0100,Refund abuse via empty boxes,Buyers return empty boxes and sellers collude,S2\n"
                 "MO-0101,X,Another,S7\n"
                 "MO-0100,Duplicate,Again,S1\n")
    with pytest.raises(ValidationFailed) as err:
        import_mos(editor, f, engine)
    text = str(err.value)
    assert "mos.csv, row 3, field 'title'" in text and "row 3, field 'severity'" in text
    assert "mos.csv, row 4, field 'mo_id': MO-0100 also on row 2" in text
    with read_session() as s:
        assert s.scalars(select(MO)).all() == []
    assert engine.ids() == set()


def test_import_jsonl_with_html_keeps_text_as_typed(state, editor, engine, tmp_path):
    f = tmp_path / "mos.jsonl"
    rows = [{"title": "<script>alert(1)</script> listing hijack", "description": "Hijack <b>ASIN</b> pages",
             "marketplaces": ["DE"]}, {"title": "Gift card laundering", "description": "Cash out via gift cards"}]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    report = import_mos(editor, f, engine)
    assert (report.created, report.indexed) == (2, 2)
    with read_session() as s:
        assert s.get(MO, "MO-0001").title == "<script>alert(1)</script> listing hijack"


@pytest.mark.parametrize("content,message", [
    (b"", "is empty: it has no rows"),
    (b"title,description\n", "has a header but no rows"),
    (b"title,summary\nA title,x\n", "field 'description': required column is missing"),
    (b"title,description\nCaf\xe9 fraud,latin-1 text\n", "is not UTF-8"),
])
def test_unreadable_import_files_are_refused(state, editor, engine, tmp_path, content, message):
    f = tmp_path / "in.csv"
    f.write_bytes(content)
    with pytest.raises(ValidationFailed, match=message):
        import_mos(editor, f, engine)


def test_coverage_lists_mos_without_an_active_rule(state, editor, engine):
    for title in ("Covered MO here", "Uncovered MO here", "Only candidates here"):
        create_mo(editor, {**FORGED, "title": title}, engine)
    with write_session() as s:
        s.add_all([Rule(id="R-1", name="a", status="active"), Rule(id="R-2", name="b", status="candidate")])
        s.flush()
        s.add_all([RuleMO(rule_id="R-1", mo_id="MO-0001"), RuleMO(rule_id="R-2", mo_id="MO-0003")])
    gaps = {(r.mo_id, r.gap) for r in coverage()}
    assert gaps == {("MO-0002", "no rule"), ("MO-0003", "only candidates for retirement")}


def test_a_50_mb_file_with_one_bad_last_row_imports_nothing(state, editor, engine, tmp_path):
    f = tmp_path / "big.csv"
    filler = "Sellers rotate payout accounts across a ring of storefronts. " * 60
    with f.open("w") as out:
        out.write("title,description,severity\n")
        row = 0
        while out.tell() < 50 * 1024 * 1024:
            row += 1
            out.write(f"Payout rotation ring {row},{filler},S2\n")
        out.write("Last row,broken,S9\n")
    with pytest.raises(ValidationFailed) as err:
        import_mos(editor, f, engine)
    assert f"row {row + 2}, field 'severity'" in str(err.value)
    with read_session() as s:
        assert s.scalars(select(MO)).first() is None
    assert engine.ids() == set()


def test_an_import_row_for_an_existing_mo_changes_only_the_fields_it_sets(state, editor, engine, tmp_path):
    create_mo(editor, FORGED, engine)
    f = tmp_path / "update.csv"
    f.write_text("mo_id,title,description,severity\n"
                 "MO-0001,Forged utility bills (v2),Edited bills now come as phone photos,\n")
    report = import_mos(editor, f, engine)
    assert (report.created, report.updated) == (0, 1)
    detail = mo_detail("MO-0001")
    mo = detail.mo
    assert (mo.title, mo.narrative) == ("Forged utility bills (v2)", "Edited bills now come as phone photos")
    assert (mo.status, mo.severity, mo.stage, mo.marketplaces) == ("active", "S2", "onboarding", ["US", "IN"])
    assert detail.history[0].changed_fields == ["narrative", "title"]
    with read_session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "mo.update")).one()
        assert ev.before["title"] == "Forged utility bills at onboarding"


def test_new_ids_never_clash_with_ids_named_later_in_the_file(state, editor, engine, tmp_path):
    create_mo(editor, FORGED, engine)  # MO-0001
    f = tmp_path / "mixed.csv"
    f.write_text("mo_id,title,description\n,Unnamed first,gets a fresh id\nMO-0002,Named second,keeps its id\n")
    report = import_mos(editor, f, engine)
    assert report.created == 2
    assert engine.ids() == {"MO-0001", "MO-0002", "MO-0003"}
    with read_session() as s:
        assert s.get(MO, "MO-0003").title == "Unnamed first"
