"""What the workbench exports imports back unchanged (export → import → export), whatever text the cells hold:
formula-looking cells, quotes, commas, line breaks. Every exporter/importer pair: roadmap, requests, gaps, SOPs."""
from __future__ import annotations

import contextlib
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rm_core.exports import neutralise, unneutralise
from rm_core.identity import Actor
from rm_core.settings import get_settings
from rm_core.store.db import dispose_engines, read_session
from rm_core.store.migrate import upgrade

EDITOR = Actor("eddie", "editor")
ADMIN = Actor("ada", "admin")
# what a user may type: formula triggers and quotes first, separators and line breaks inside
PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''-", "=HYPERLINK(\"http://x\",\"y\")", "-minus "])
BODY = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs"),
                                      exclude_characters="\x85\u2028\u2029"), min_size=1, max_size=24)
TEXT = st.builds(lambda p, b: (p + b).strip(), PREFIXES, BODY).filter(lambda t: t and not t.isspace())
NOTE = st.one_of(st.just(""), TEXT, st.builds(lambda a, b: f"{a}\n{b}", TEXT, TEXT))
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])


@contextlib.contextmanager
def fresh_state():
    """A new, migrated state folder for one example (hypothesis runs many in one test)."""
    saved = {k: os.environ.get(k) for k in ("RM_HOME", "RM_DATABASE_URL", "RM_EMBEDDINGS")}
    with tempfile.TemporaryDirectory() as home:
        os.environ.update({"RM_HOME": home, "RM_EMBEDDINGS": "hash"})
        os.environ.pop("RM_DATABASE_URL", None)
        get_settings.cache_clear()
        dispose_engines()
        upgrade(get_settings())
        try:
            yield
        finally:
            dispose_engines()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            get_settings.cache_clear()


@given(TEXT)
def test_unneutralise_undoes_neutralise_for_any_text(text):
    assert unneutralise(neutralise(text)) == text


def test_a_formula_is_quoted_once_and_a_typed_quote_survives():
    assert neutralise("=SUM(A1)") == "'=SUM(A1)" and unneutralise("'=SUM(A1)") == "=SUM(A1)"
    assert neutralise("'=x") == "''=x" and unneutralise("''=x") == "'=x"
    assert neutralise("'quoted") == "'quoted" and unneutralise("'quoted") == "'quoted"


@SETTINGS
@given(st.lists(st.tuples(TEXT, NOTE, TEXT), min_size=1, max_size=3))
def test_roadmap_export_imports_back_unchanged(state, rows):
    from rm_core import roadmap as rm
    from rm_core.roadmap.export import initiatives_csv

    with fresh_state():
        for title, note, workstream in rows:
            rm.create_initiative(EDITOR, title=title, workstream=workstream, status_note=note, horizon="next")
        first = initiatives_csv(rm.load_plan())
        result = rm.import_initiatives_csv(EDITOR, first.encode(), file_name="roadmap.csv")
        assert (result.created, result.updated) == ([], []), result.summary()
        assert initiatives_csv(rm.load_plan()) == first
        titles = sorted(i.title for i in rm.load_plan().items)
    assert titles == sorted(t for t, _, _ in rows)  # no quote written into the data
    with fresh_state():  # and into an empty workbench: the same roadmap
        rm.import_initiatives_csv(EDITOR, first.encode(), file_name="roadmap.csv", allow_new_owners=True)
        assert initiatives_csv(rm.load_plan()) == first


def _tracker_round_trip(what: str, import_fn, csv_text: str) -> None:
    from rm_core.trackers.page_data import export_table

    with fresh_state():
        import_fn(ADMIN, csv_text.encode(), f"{what}.csv")
        first = export_table(what)
    with fresh_state():
        import_fn(ADMIN, first.encode(), f"{what}-export.csv")
        assert export_table(what) == first


def _csv(header: list[str], rows: list[list[str]]) -> str:
    from rm_core.exports import safe_csv_rows

    return safe_csv_rows(header, rows)


@SETTINGS
@given(st.lists(st.tuples(TEXT, NOTE, TEXT, TEXT), min_size=1, max_size=3))
def test_requests_export_imports_back_unchanged(state, rows):
    from rm_core.trackers.importing import import_requests

    _tracker_round_trip("requests", import_requests, _csv(
        ["kind", "title", "description", "requester_team", "owner", "opened_at"],
        [["partner_request", t, d, team, owner, "2026-03-02 09:00"] for t, d, team, owner in rows]))


@SETTINGS
@given(st.lists(st.tuples(TEXT, NOTE, TEXT), min_size=1, max_size=3))
def test_gaps_export_imports_back_unchanged(state, rows):
    from rm_core.trackers.importing import import_gaps

    _tracker_round_trip("gaps", import_gaps, _csv(
        ["title", "missing", "owning_team", "identified_at"],
        [[t, m, team, "2026-03-02"] for t, m, team in rows]))


@SETTINGS
@given(st.lists(st.tuples(TEXT, TEXT, st.sampled_from(["BRP EU", "=Ops", "-Trust"])), min_size=1, max_size=3,
                unique_by=lambda r: r[0].lower()))
def test_sops_export_imports_back_unchanged(state, rows):
    from rm_core.trackers.importing import import_sops

    _tracker_round_trip("sops", import_sops, _csv(
        ["title", "owner", "version", "team", "rollout_status"],
        [[t, owner, "1.0", team, "not_started"] for t, owner, team in rows]))
