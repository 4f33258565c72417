"""CSV import: all rows or none, with problems naming the line and the field."""
from __future__ import annotations

import datetime as dt

import pytest

from rm_core.errors import ValidationFailed
from rm_core.roadmap.export import initiatives_csv
from rm_core.roadmap.importing import import_initiatives_csv
from rm_core.roadmap.initiatives import load_plan

D = dt.date

GOOD = """id,title,workstream,owner,horizon,start,end,status,AI-based,Expected ROI,depends_on,milestones
INI-010,Seller identity graph,Detection,Priya,now,2026-01-05,2026-03-31,on track,yes,"1,200,000",,2026-02-15: Graph in shadow
INI-011,Payout bank-change alerts,Detection,carlos,next,2026-04-01,2026-06-30,not_started,no,,INI-010,
INI-012,SOP parity with BRP,Operations,,later,2026-07-01,2026-09-30,,,,INI-010; INI-011,
,Refund abuse model,ML,,later,,,,,,,
"""


@pytest.mark.postgres
def test_a_valid_file_creates_initiatives_dependencies_and_milestones(owners, editor):
    result = import_initiatives_csv(editor, GOOD, file_name="plan.csv")
    assert result.created == ["INI-010", "INI-011", "INI-012", "INI-013"]  # a blank id continues after the file's
    assert (result.dependencies_added, result.milestones_added) == (3, 1)
    plan = load_plan()
    by_id = plan.by_id()
    assert (by_id["INI-010"].owner, by_id["INI-010"].ai_based, by_id["INI-010"].expected_roi_usd) == \
        ("priya", True, 1_200_000.0)
    assert by_id["INI-011"].title == "Payout bank-change alerts"
    assert sorted(plan.dependencies) == [("INI-010", "INI-011"), ("INI-010", "INI-012"), ("INI-011", "INI-012")]


@pytest.mark.postgres
def test_one_invalid_row_writes_nothing_and_every_problem_names_its_line(owners, editor):
    bad = """title,workstream,owner,start,end,status
Fine one,Detection,priya,2026-01-01,2026-02-01,on_track
Backwards,Detection,priya,2026-05-01,2026-04-01,on_track
Nobody owns it,Detection,ghost,2026-01-01,2026-02-01,on_track
,Detection,priya,2026-01-01,2026-02-01,amber
Bad date,Detection,priya,01/02/2026,2026-02-01,on_track
"""
    with pytest.raises(ValidationFailed) as err:
        import_initiatives_csv(editor, bad, file_name="plan.csv")
    messages = [str(p) for p in err.value.problems]
    assert "plan.csv, row 3, field 'end': end 2026-04-01 is before start 2026-05-01" in messages
    assert any(m.startswith("plan.csv, row 4, field 'owner': unknown owner 'ghost'") for m in messages)
    assert "plan.csv, row 5, field 'title': title is required" in messages
    assert any(m.startswith("plan.csv, row 5, field 'status': status 'amber' is not one of") for m in messages)
    assert any(m.startswith("plan.csv, row 6, field 'start'") for m in messages)
    assert load_plan().items == []


def test_a_dependency_cycle_in_the_file_writes_nothing(owners, editor):
    cyclic = """id,title,workstream,depends_on
INI-001,A,Detection,INI-002
INI-002,B,Detection,INI-001
"""
    with pytest.raises(ValidationFailed, match="cycle in dependencies"):
        import_initiatives_csv(editor, cyclic)
    assert load_plan().items == []


def test_unknown_columns_and_missing_required_ones_are_reported_before_any_row(owners, editor):
    with pytest.raises(ValidationFailed) as err:
        import_initiatives_csv(editor, "name,team\nA,B\n", file_name="x.csv")
    text = str(err.value)
    assert "unknown column(s) name, team" in text and "the column 'title' is missing" in text


def test_new_owners_are_accepted_only_when_asked(state, editor):
    text = "title,workstream,owner\nGraph,Detection,Partner Lead\n"
    with pytest.raises(ValidationFailed, match="unknown owner 'Partner Lead'"):
        import_initiatives_csv(editor, text)
    import_initiatives_csv(editor, text, allow_new_owners=True)
    assert load_plan().items[0].owner == "Partner Lead"


def test_an_exported_file_imports_back_without_changes(small_roadmap, editor):
    exported = initiatives_csv(load_plan())
    result = import_initiatives_csv(editor, exported.encode("utf-8"), file_name="roadmap.csv")
    assert result.unchanged == ["INI-001", "INI-002", "INI-003"]
    assert (result.created, result.updated, result.dependencies_added, result.milestones_added) == ([], [], 0, 0)


def test_a_row_with_an_existing_id_updates_only_the_filled_cells(small_roadmap, editor):
    result = import_initiatives_csv(editor, "id,title,workstream,end\nINI-003,,,2026-10-31\n")
    assert result.updated == ["INI-003"]
    item = load_plan().by_id()["INI-003"]
    assert (item.title, item.end) == ("SOP parity with BRP", D(2026, 10, 31))


def test_a_ragged_row_is_refused_with_its_row_and_column_and_nothing_is_written(owners, editor):
    ragged = ("title,workstream,owner\nFine one,Detection,priya\n"
              "Extra cell,Detection,priya,stray text\n")
    with pytest.raises(ValidationFailed) as err:
        import_initiatives_csv(editor, ragged, file_name="plan.csv")
    (problem,) = err.value.problems
    assert (problem.file, problem.row, problem.field) == ("plan.csv", 3, "column 4")
    assert "4 cells but the header names 3 columns" in problem.message
    assert load_plan().items == []


def test_an_exported_formula_cell_imports_back_as_typed_not_with_the_quote(owners, editor):
    from rm_core.roadmap.initiatives import create_initiative

    create_initiative(editor, title='=HYPERLINK("http://x","y")', workstream="-minus start", horizon="next")
    exported = initiatives_csv(load_plan())
    assert "'=HYPERLINK" in exported  # neutralised in the file a spreadsheet opens
    result = import_initiatives_csv(editor, exported, file_name="roadmap.csv")
    assert (result.created, result.updated) == ([], [])
    [item] = load_plan().items
    assert (item.title, item.workstream) == ('=HYPERLINK("http://x","y")', "-minus start")
