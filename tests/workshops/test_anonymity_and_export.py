from __future__ import annotations

import csv
import io

from sqlalchemy import select

from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent
from rm_core.workshops import add_idea, cast_vote, create_theme, load_board, set_phase
from rm_core.workshops.export import ideas_csv, summary, to_html, to_markdown
from tests.workshops.conftest import open_workshop


def board_with_votes(w):
    a = add_idea(w.id, w.ana, "=HYPERLINK(\"http://x\") device <b>graph</b>", w.prompt)
    b = add_idea(w.id, w.ben, "Payout holds", w.prompt)
    set_phase(w.id, "group", w.facilitator)
    create_theme(w.id, "Linked accounts", w.facilitator, [a])
    set_phase(w.id, "vote", w.facilitator)
    cast_vote(w.id, w.cai, a)
    cast_vote(w.id, w.ana, a)
    return a, b


def test_in_an_anonymous_session_nobody_sees_who_wrote_an_idea_except_its_author(state, facilitator):
    w = open_workshop(facilitator, anonymous=True)
    a, b = board_with_votes(w)
    for viewer in (w.host, w.cai, None):
        assert {c.author for c in load_board(w.id, viewer).ideas} == {None}
    ana_view = {c.id: c.author for c in load_board(w.id, w.ana).ideas}
    assert ana_view == {a: "you", b: None}


def test_anonymous_results_stay_hidden_until_the_vote_phase_ends(state, facilitator):
    w = open_workshop(facilitator, anonymous=True)
    a, _ = board_with_votes(w)
    during = load_board(w.id, w.host)
    assert not during.results_visible and {c.votes for c in during.ideas} == {None}
    assert during.themes[0].votes is None
    assert load_board(w.id, w.cai).ideas[0].my_votes == 1  # your own dots are always shown
    set_phase(w.id, "score", facilitator)
    after = load_board(w.id, w.cai)
    assert after.results_visible and after.ideas[0].votes == 2


def test_named_sessions_show_authors_and_live_tallies(workshop):
    a, b = board_with_votes(workshop)
    board = load_board(workshop.id, workshop.cai)
    assert {c.id: (c.author, c.votes) for c in board.ideas} == {a: ("Ana", 2), b: ("Ben", 0)}


def test_the_export_of_an_anonymous_session_names_no_author(state, facilitator):
    w = open_workshop(facilitator, anonymous=True)
    board_with_votes(w)
    sm = summary(w.id)
    for text in (to_markdown(sm), to_html(sm), ideas_csv(sm)):
        assert "Ana" not in text and "Ben" not in text and "Cai" not in text
    assert "author" not in ideas_csv(sm).splitlines()[0]
    with read_session() as s:  # the audit log (listed on the home page) does not name them either
        actors = set(s.scalars(select(AuditEvent.actor)))
    assert actors == {"fran", "anonymous participant"}


def test_the_export_lists_ideas_by_theme_with_votes_and_keeps_user_text_inert(workshop):
    a, b = board_with_votes(workshop)
    sm = summary(workshop.id)
    md, html = to_markdown(sm), to_html(sm)
    assert [(t, [i.idea_id for i in lines]) for t, lines in sm.by_theme()] == [("Linked accounts", [a]),
                                                                               ("Ungrouped", [b])]
    assert "### Linked accounts" in md and "\\<b\\>graph\\</b\\>" in md
    assert "&lt;b&gt;graph&lt;/b&gt;" in html and "<b>graph</b>" not in html
    rows = list(csv.DictReader(io.StringIO(ideas_csv(sm))))
    assert rows[0]["text"].startswith("'=HYPERLINK")
    assert (rows[0]["author"], rows[0]["votes"], rows[0]["theme"]) == ("Ana", "2", "Linked accounts")
