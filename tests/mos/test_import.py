"""Importing anyone's MO file: external ids kept as given, unknown columns refused with the closest known name
unless mapped or ignored, idempotent re-import, probable duplicates held back, every parse error naming its line
or row."""
import json

import pytest
from sqlalchemy import func, select

from rm_core.errors import ValidationFailed
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import import_mos, mo_detail, plan_columns, suggest_column
from rm_core.store.db import read_session
from rm_core.store.models import MO, MOVersion
from tests.mos.eval.evalset import F3_PATH as F3_CORPUS

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(state):
    return MOSearchEngine(state)


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(exc) -> list[str]:
    return [str(p) for p in exc.value.problems]


def _count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(MO))


def test_external_ids_with_dots_colons_and_underscores_are_kept_as_given_and_searchable(state, editor, engine,
                                                                                       tmp_path):
    f = _file(tmp_path, "f3.jsonl", "\n".join(json.dumps(r) for r in (
        {"mo_id": "F1007.001", "title": "Create fake documents", "description": "Forged identity papers."},
        {"mo_id": "ext:abc_42-b", "title": "Partner technique", "description": "Card testing through a partner."},
        {"title": "No id given", "description": "Gets the next MO number."})))
    report = import_mos(editor, f, engine)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert set(report.created_ids) == {"F1007.001", "ext:abc_42-b", "MO-0001"}
    assert mo_detail("F1007.001").mo.title == "Create fake documents"
    assert engine.search("F1007.001", k=1).hits[0].mo_id == "F1007.001"
    assert engine.search("ext:abc_42-b", k=1).hits[0].mo_id == "ext:abc_42-b"


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "-leading-dash", "semi;colon", "slash/id"])
def test_ids_outside_the_external_id_rule_are_refused_naming_the_row(state, editor, engine, tmp_path, bad):
    f = _file(tmp_path, "in.csv", f'mo_id,title,description\nF1,Fine one,Some text\n"{bad}",Bad id,Some text\n')
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine)
    assert _problems(exc) == [f"in.csv, row 3, field 'mo_id': {bad!r} is not an MO id: use letters, digits, '.', "
                              "'-', '_' and ':', at most 64 characters, starting with a letter or digit"]
    assert _count() == 0


def test_a_64_character_id_fits_and_new_numbers_skip_external_ids(state, editor, engine, tmp_path):
    long_id = "F" + "1" * 63
    f = _file(tmp_path, "in.csv", f"mo_id,title,description\n{long_id},Long id,Text one\nMO-0007,Seven,Text two\n"
                                  ",Next,Text three\n")
    report = import_mos(editor, f, engine)
    assert set(report.created_ids) == {long_id, "MO-0007", "MO-0008"}


def test_an_unknown_column_is_refused_with_the_closest_known_name_and_nothing_is_written(state, editor, engine,
                                                                                        tmp_path):
    f = _file(tmp_path, "in.csv", "title,description,severty,abuse_type,marketplace,colour\nTee one,Some text,S1,x,US,red\n")
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine)
    assert _problems(exc) == [
        "in.csv, field 'severty': `severty` is not a column; did you mean `severity`? Map it to a column or ignore it.",
        "in.csv, field 'abuse_type': `abuse_type` is not a column; did you mean `abuse_family`? Map it to a column "
        "or ignore it.",
        "in.csv, field 'marketplace': `marketplace` is not a column; did you mean `marketplaces`? Map it to a "
        "column or ignore it.",
        "in.csv, field 'colour': `colour` is not a column. Map it to a column or ignore it."]
    assert _count() == 0


def test_mapped_and_ignored_columns_import_with_their_values(state, editor, engine, tmp_path):
    f = _file(tmp_path, "in.csv", "id,title,description,severty,abuse_type,marketplace,colour\n"
                                  "F9.1,Tee one,Some text,S1,Identity fraud,US;IN,red\n")
    report = import_mos(editor, f, engine, mapping={"severty": "severity", "abuse_type": "abuse_family",
                                                    "marketplace": "marketplaces", "id": "mo_id"},
                        ignore=["colour"])
    mo = mo_detail("F9.1").mo
    assert report.created == 1
    assert (mo.severity, mo.abuse_family, mo.marketplaces) == ("S1", "identity fraud", ["US", "IN"])


def test_a_mapping_to_an_unknown_column_or_from_a_missing_one_is_refused(state, editor, engine, tmp_path):
    f = _file(tmp_path, "in.csv", "title,description,sev\nTee one,Some text,S1\n")
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine, mapping={"sev": "severty", "owner_name": "owner"})
    assert _problems(exc) == ["in.csv, field 'sev': cannot be mapped to `severty`: it is not a column; did you mean "
                              "`severity`?",
                              "in.csv, field 'owner_name': is mapped to `owner` but the file has no column "
                              "`owner_name`"]
    with pytest.raises(ValidationFailed, match="`title` and `name` would both become `title`"):
        import_mos(editor, _file(tmp_path, "two.csv", "title,name,description\nA,B,text\n"), engine,
                   mapping={"name": "title"})


def test_common_synonyms_are_offered_as_mappings():
    assert suggest_column("abuse_type") == "abuse_family"
    assert suggest_column("marketplace") == "marketplaces"
    assert suggest_column("id") == "mo_id"
    assert suggest_column("severty") == "severity"
    assert suggest_column("colour") is None
    plan = plan_columns(["ID", "Title", "description", "abuse_type", "colour"], ignore=["colour"])
    assert plan.unknown == ("id", "abuse_type") and plan.suggestions == {"id": "mo_id", "abuse_type": "abuse_family"}


def test_importing_the_same_file_twice_reports_every_row_unchanged_and_creates_nothing(state, editor, engine,
                                                                                      tmp_path):
    f = _file(tmp_path, "in.csv", "mo_id,title,description,severity\nF1.1,One,Text one,S2\nF1.2,Two,Text two,S3\n")
    first = import_mos(editor, f, engine)
    again = import_mos(editor, f, engine)
    assert (first.created, first.unchanged) == (2, 0)
    assert (again.created, again.updated, again.unchanged, again.indexed) == (0, 0, 2, 0)
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(MOVersion)) == 2
    f.write_text("mo_id,title,description,severity\nF1.1,One,Text one,S1\nF1.2,Two,Text two,S3\n", encoding="utf-8")
    changed = import_mos(editor, f, engine)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)


def test_rows_without_an_id_matching_an_mo_are_probable_duplicates_skipped_unless_allowed(state, editor, engine,
                                                                                         tmp_path):
    f = _file(tmp_path, "in.csv", "title,description\nGift card cash-out,New sellers list gift cards.\n"
                                  "Empty boxes,Parcels ship empty.\n")
    assert import_mos(editor, f, engine).created_ids == ("MO-0001", "MO-0002")
    # same title and text (whitespace and case aside), plus one new row
    f.write_text("title,description\ngift card  cash-out,New sellers list  gift cards.\nFresh one,Other text.\n",
                 encoding="utf-8")
    report = import_mos(editor, f, engine)
    assert report.created_ids == ("MO-0003",)
    assert [(d.row, d.title, d.existing) for d in report.duplicates] == [(2, "gift card  cash-out", "MO-0001")]
    allowed = import_mos(editor, f, engine, allow_duplicates=True)
    assert allowed.created == 2 and allowed.duplicates == ()


def test_a_broken_jsonl_line_is_named_by_its_line_number(state, editor, engine, tmp_path):
    f = _file(tmp_path, "in.jsonl", '{"title": "One", "description": "Text"}\n\n{"title": "Two", "descr\n')
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine)
    assert _problems(exc) == ["in.jsonl, row 3: line 3 is not valid JSON (unterminated string starting at "
                              "column 18)"]
    f.write_text('{"title": "One", "description": "Text"}\n["not", "an object"]\n', encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"row 2: line 2 is not a JSON object"):
        import_mos(editor, f, engine)
    assert _count() == 0


def test_a_ragged_csv_row_and_an_unclosed_quote_are_named_by_row_and_line(state, editor, engine, tmp_path):
    f = _file(tmp_path, "in.csv", 'title,description\nOne,"Text over\ntwo lines"\nTwo,Text,extra\nThree\n')
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine)
    assert _problems(exc) == ["in.csv, row 3: row 3 (line 4) has 3 cells, the header has 2",
                              "in.csv, row 4: row 4 (line 5) has 1 cells, the header has 2"]
    f.write_text('title,description\nOne,Text\nTwo,"never closed\nThree,Text\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        import_mos(editor, f, engine)
    assert _problems(exc) == ["in.csv, row 3: row 3 (from line 3): a quoted cell is opened and never closed"]
    assert _count() == 0


def test_validation_errors_after_a_multiline_cell_name_the_csv_row(state, editor, engine, tmp_path):
    f = _file(tmp_path, "in.csv", 'title,description,severity\nOne,"two\nlines",S1\nTwo,Text,S9\n')
    with pytest.raises(ValidationFailed, match=r"row 3, field 'severity': must be one of S1, S2, S3, S4"):
        import_mos(editor, f, engine)


@pytest.mark.skipif(not F3_CORPUS.is_file(), reason="the MITRE F3 records are read from ../shared, not copied")
def test_mitre_f3_records_import_with_their_ids_and_a_mapping(state, editor, engine, tmp_path):
    rows = [json.loads(line) for line in F3_CORPUS.read_text().splitlines() if line.strip()]
    # as another tool exports them: `id`, `name`, `text`
    f = _file(tmp_path, "f3.jsonl", "\n".join(json.dumps({"id": r["mo_id"], "name": r["title"],
                                                         "text": r["description"]}) for r in rows))
    with pytest.raises(ValidationFailed, match="`id` is not a column; did you mean `mo_id`?"):
        import_mos(editor, f, engine)
    mapping = {"id": "mo_id", "name": "title", "text": "description"}
    report = import_mos(editor, f, engine, mapping=mapping)
    assert report.created == len(rows) == 123 and "F1007.001" in report.created_ids
    assert mo_detail("F1007.001").mo.title == next(r["title"] for r in rows if r["mo_id"] == "F1007.001")
    assert import_mos(editor, f, engine, mapping=mapping).unchanged == 123
