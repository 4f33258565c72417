"""Ideas page: empty state, submit with the duplicate check before saving, my ideas with the triage reason,
triage moves and merges, the viewer rule."""
from rm_core.identity import Actor
from rm_core.intake import get_idea, list_ideas, move_idea, submit_idea
from tests.intake.conftest import idea_fields
from tests.pages.conftest import app_test

PAGE = "pages/ideas.py"


def _fill(at, **kw):
    fields = idea_fields(**kw)
    at.text_input(key="s-title").input(fields["title"])
    at.text_area(key="s-problem").input(fields["problem"])
    at.text_area(key="s-change").input(fields["proposed_change"])
    at.selectbox(key="s-site").set_value(fields["site"])
    return at


def test_an_empty_intake_tells_a_new_user_what_to_do(state):
    at = app_test(PAGE).run()
    assert not at.exception
    infos = [i.value for i in at.info]
    assert any("No ideas yet" in i for i in infos) and any("You have not raised an idea yet" in i for i in infos)


def test_submitting_checks_for_similar_ideas_first_then_saves_on_confirm(state, editor):
    planted = submit_idea(editor, idea_fields())
    at = _fill(app_test(PAGE).run(), title="Flag payout bank changes after gift-card listings").run()
    assert not [b for b in at.button if b.key == "s-confirm"]  # nothing to confirm before the check
    at.button(key="s-check").click().run()
    assert not at.exception
    assert any("say much the same thing" in w.value for w in at.warning)
    assert any(planted.id in m.value for m in at.markdown)
    assert len(list_ideas()) == 1  # the check saves nothing
    at.button(key="s-confirm").click().run()
    assert not at.exception
    assert any("Submitted IDEA-0002" in s.value for s in at.success)
    saved = get_idea("IDEA-0002").idea
    assert saved.submitter == "tester" and saved.site == "India" and saved.status == "new"
    assert at.text_input(key="s-title").value == ""


def test_backing_a_suggested_duplicate_instead_of_submitting(state, editor):
    planted = submit_idea(editor, idea_fields())
    at = _fill(app_test(PAGE).run()).run()
    at.button(key="s-check").click().run()
    at.button(key=f"s-support-{planted.id}").click().run()
    assert not at.exception
    assert get_idea(planted.id).supporters == ["tester"] and len(list_ideas()) == 1


def test_a_changed_idea_must_be_checked_again_and_bad_input_names_the_field(state):
    at = app_test(PAGE).run()
    at.button(key="s-check").click().run()
    assert any("title" in e.value and "at least 3 characters" in e.value for e in at.error)
    at = _fill(at).run()
    at.button(key="s-check").click().run()
    assert any("No similar idea" in s.value for s in at.success)
    at.text_input(key="s-title").input("Something else entirely now").run()
    assert not [b for b in at.button if b.key == "s-confirm"]
    assert list_ideas() == []


def test_my_ideas_shows_status_and_the_reason_triage_gave(state, editor):
    at = app_test(PAGE).run()  # registers "tester" (admin of an empty workbench)
    mine = submit_idea(Actor("tester", "admin"), idea_fields())
    submit_idea(editor, idea_fields(title="Someone else's idea"))
    move_idea(editor, mine.id, "under_review")
    move_idea(editor, mine.id, "declined", reason="Covered by R-0031 already.")
    at.run()
    table = at.dataframe[0].value  # My ideas comes before All ideas
    assert list(table["id"]) == [mine.id] and list(table["status"]) == ["Declined"]
    assert list(table["reason"]) == ["Covered by R-0031 already."]


def test_triage_moves_an_idea_with_its_reason(state, viewer):
    idea = submit_idea(viewer, idea_fields())
    at = app_test(PAGE).run()
    k = f"{idea.id}-new"
    at.selectbox(key=f"t-to-{k}").set_value("under_review")
    at.button(key=f"t-move-{k}").click().run()
    assert get_idea(idea.id).idea.status == "under_review"
    k = f"{idea.id}-under_review"
    at.selectbox(key=f"t-to-{k}").set_value("accepted")
    at.button(key=f"t-move-{k}").click().run()
    assert any("needs a reason" in e.value for e in at.error)
    at.text_area(key=f"t-reason-{k}").input("Yes: plan it for OP1.")
    at.button(key=f"t-move-{k}").click().run()
    assert not at.exception
    got = get_idea(idea.id).idea
    assert (got.status, got.reason, got.triaged_by) == ("accepted", "Yes: plan it for OP1.", "tester")


def test_triage_merges_a_duplicate_into_the_idea_it_repeats(state, viewer, editor):
    first = submit_idea(editor, idea_fields())
    dupe = submit_idea(viewer, idea_fields(title="Flag payout bank changes after gift cards"))
    at = app_test(PAGE).run()
    at.selectbox(key=[s.key for s in at.selectbox if s.key and s.key.startswith("t-pick")][0]).set_value(dupe.id).run()
    k = f"{dupe.id}-new"
    assert at.selectbox(key=f"t-into-{k}").options[0] == first.id  # the similar idea is offered first
    at.selectbox(key=f"t-into-{k}").set_value(first.id)
    at.button(key=f"t-merge-{k}").click().run()
    assert not at.exception
    assert get_idea(dupe.id).idea.merged_into == first.id and get_idea(first.id).supporters == ["vic"]


def test_a_viewer_submits_but_does_not_triage_and_reads_only_when_the_team_says_so(state, monkeypatch, editor):
    submit_idea(editor, idea_fields())
    at = app_test(PAGE)
    at.session_state["actor"] = Actor("vic", "viewer", "Vic Viewer")
    at.run()
    assert not at.exception
    assert [b for b in at.button if b.key == "s-check"]
    assert any("triage needs the editor or admin role" in i.value for i in at.info)
    monkeypatch.setenv("RM_INTAKE_VIEWERS", "read")
    from rm_core.settings import get_settings

    get_settings.cache_clear()
    at.run()
    assert not [b for b in at.button if b.key == "s-check"]
    assert any("cannot submit ideas here" in i.value for i in at.info)
