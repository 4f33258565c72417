"""Intake CSV: export → import round-trips unchanged, formula cells are neutralised, any bad row writes nothing."""
import csv
import io

import pytest
from sqlalchemy import delete

from rm_core.errors import PermissionDenied, ValidationFailed
from rm_core.intake import (export_ideas, get_idea, import_ideas, list_ideas, merge_idea, move_idea,
                            support_idea)
from rm_core.store.db import write_session
from rm_core.store.models import IntakeIdea, IntakeSupporter, StatusChange
from tests.intake.conftest import T0, submit

import datetime as dt

D = dt.timedelta(days=1)
HEADER = "title,problem,proposed_change"


def _world(viewer, editor, admin):
    a = submit(viewer, title="=HYPERLINK(\"http://x\")", problem="+1 formula-looking problem",
               affected_mos=["MO-0142"], ai_based=True)
    b = submit(editor, at=T0 + D, title="Hold payouts after bank changes", affected_rules="R-0031")
    c = submit(viewer, at=T0 + 2 * D, title="Gift-card velocity rule", site="Costa Rica", theme="")
    support_idea(admin, a.id)
    move_idea(editor, a.id, "under_review", at=T0 + 3 * D)
    move_idea(editor, a.id, "accepted", reason="-Good one; OP1.", at=T0 + 4 * D)
    merge_idea(editor, c.id, b.id, at=T0 + 5 * D)
    return a, b, c


def test_export_then_import_round_trips_unchanged(state, viewer, editor, admin, linkables):
    _world(viewer, editor, admin)
    first = export_ideas()
    rows = list(csv.DictReader(io.StringIO(first)))
    assert rows[0]["title"].startswith("'=HYPERLINK") and rows[0]["problem"].startswith("'+1")
    assert rows[0]["reason"] == "'-Good one; OP1." and rows[0]["supporters"] == "ada"
    assert rows[2]["status"] == "merged" and rows[2]["merged_into"] == "IDEA-0002"
    assert rows[1]["supporters"] == "vic"  # the merged idea's submitter carried over
    with write_session() as s:
        s.execute(delete(IntakeSupporter))
        s.execute(delete(IntakeIdea))
        s.execute(delete(StatusChange).where(StatusChange.record_type == "intake_idea"))
    result = import_ideas(admin, first.encode(), "ideas.csv")
    assert result.created == ["IDEA-0001", "IDEA-0002", "IDEA-0003"]
    assert export_ideas() == first
    a = get_idea("IDEA-0001")
    assert a.idea.title == '=HYPERLINK("http://x")' and a.idea.reason == "-Good one; OP1."
    assert [m.to_status for m in a.moves] == ["new", "under_review", "accepted"]
    assert a.idea.triaged_at == T0 + 3 * D and a.idea.decided_at == T0 + 4 * D


def test_rows_without_ids_get_the_next_numbers_and_the_importer_as_submitter(state, viewer, editor):
    submit(viewer)
    out = import_ideas(editor, f"{HEADER},site\nA new idea,Problem,Change,India\nAnother,P,C,\n", "new.csv")
    assert out.created == ["IDEA-0002", "IDEA-0003"]
    assert [(i.id, i.submitter, i.status) for i in list_ideas()][:2] == [("IDEA-0003", "eddie", "new"),
                                                                        ("IDEA-0002", "eddie", "new")]


@pytest.mark.parametrize("body, where", [
    ("Title,P,C,declined,,\n", ("row 2", "triaged_at", "is required when status is declined")),
    ("Title,P,C,accepted,2026-03-02,\n", ("row 2", "decided_at", "is required when status is accepted")),
    ("Title,P,C,new,2026-03-02,\n", ("row 2", "triaged_at", "is given but status is new")),
    ("Title,P,C,maybe,,\n", ("row 2", "status", "'maybe' is not one of")),
    (",P,C,new,,\n", ("row 2", "title", "at least 3 characters")),
])
def test_a_bad_row_names_row_and_field_and_writes_nothing(state, editor, body, where):
    text = f"{HEADER},status,triaged_at,decided_at\nGood idea,P,C,new,,\n" + body
    with pytest.raises(ValidationFailed) as err:
        import_ideas(editor, text.encode(), "bad.csv")
    shown = str(err.value)
    assert "bad.csv, row 3" in shown and f"field '{where[1]}'" in shown and where[2] in shown
    assert list_ideas() == []


def test_unknown_columns_links_and_merge_targets_are_refused(state, editor):
    with pytest.raises(ValidationFailed, match="field 'colour': unknown column"):
        import_ideas(editor, f"{HEADER},colour\nT,P,C,red\n", "c.csv")
    text = (f"{HEADER},affected_mos,status,submitted_at,triaged_at,decided_at,reason,merged_into\n"
            "Title,P,C,MO-9999,merged,2026-03-01,2026-03-02,2026-03-02,dupe,IDEA-0404\n")
    with pytest.raises(ValidationFailed) as err:
        import_ideas(editor, text, "links.csv")
    assert {p.field for p in err.value.problems} == {"affected_mos", "merged_into"}
    with pytest.raises(ValidationFailed, match="has no ideas"):
        import_ideas(editor, HEADER + "\n", "empty.csv")
    assert list_ideas() == []


def test_importing_needs_the_triage_role(state, viewer):
    with pytest.raises(PermissionDenied):
        import_ideas(viewer, f"{HEADER}\nT,P,C\n", "x.csv")
