from __future__ import annotations

from rm_core.workshops import add_idea, apply_suggestions, load_board, set_phase, suggest_for_session
from rm_core.workshops.themes import cluster, label_from, suggest, tfidf_vectors

IDEAS = [
    "Detect payout bank account changes right after registration",
    "Alert when a seller changes payout bank account twice in a week",
    "Hold disbursements when the payout bank account is new",
    "Verify utility bill documents with an OCR forgery model",
    "Flag forged utility bill uploads during onboarding",
    "Check utility bill addresses against the registration address",
    "Link accounts that share a device fingerprint",
    "Cluster related accounts by shared device and IP",
    "Graph of linked accounts through shared device fingerprints",
]


def test_a_fixed_set_of_ideas_falls_into_its_three_themes_with_readable_names():
    themes = suggest(IDEAS, list(range(1, 10)), tfidf_vectors(IDEAS))
    assert [(t.label, t.idea_ids) for t in themes] == [
        ("Bank account · Payout", [1, 2, 3]),
        ("Utility · Address", [4, 5, 6]),
        ("Accounts · Device", [7, 8, 9]),
    ]
    assert themes[0].keywords[:3] == ["account", "bank", "bank account"]


def test_suggestions_are_the_same_on_every_run():
    first = suggest(IDEAS, list(range(9)), tfidf_vectors(IDEAS))
    assert all(suggest(IDEAS, list(range(9)), tfidf_vectors(IDEAS)) == first for _ in range(3))


def test_a_requested_number_of_themes_is_honoured_and_tiny_boards_make_one_theme():
    assert len(set(cluster(tfidf_vectors(IDEAS), k=2))) == 2
    assert cluster(tfidf_vectors(IDEAS[:2])) == [0, 0]
    assert cluster(tfidf_vectors(IDEAS), k=1) == [0] * 9


def test_a_label_never_repeats_a_word_and_falls_back_when_there_are_no_words():
    assert label_from([("account", 0.5), ("bank account", 0.45), ("bank", 0.4), ("payout", 0.3)]) == \
        "Bank account · Payout"
    assert label_from([]) == "Other ideas"


def test_suggested_themes_for_a_session_cover_its_ungrouped_ideas_and_can_be_applied(workshop):
    ids = [add_idea(workshop.id, workshop.ana, text, workshop.prompt) for text in IDEAS]
    set_phase(workshop.id, "group", workshop.facilitator)
    result = suggest_for_session(workshop.id)
    assert result.vectors == "embeddings (hash)" and "c-TF-IDF" in result.labels
    assert sorted(i for t in result.themes for i in t.idea_ids) == ids
    created = apply_suggestions(workshop.id, result.themes, workshop.facilitator)
    board = load_board(workshop.id, workshop.host)
    assert [t.name for t in board.themes] == [t.label for t in result.themes]
    assert all(t.suggested for t in board.themes) and len(created) == len(result.themes)
    assert board.ideas_in(None) == []
    assert suggest_for_session(workshop.id).themes == []  # nothing left ungrouped
