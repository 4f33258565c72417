"""Workshop theme names and summary; the flash report narrative whose numbers are all deck numbers."""
import datetime as dt
import json

from rm_core.ai.narrative import OFFLINE_METHOD as NARRATIVE_OFFLINE, check_numbers, deck_numbers, narrative, \
    offline_narrative
from rm_core.ai.themes import NAMES_METHOD, SUMMARY_METHOD, ThemeIdeas, name_themes, session_summary
from rm_core.reports.flash import FlashReport, MetricRow, Move
from tests.ai.conftest import fake

THEMES = [
    ThemeIdeas(1, "Theme 1", ["Alert on payout bank changes before the first disbursement",
                              "Hold payouts when the bank account changes twice", "Score bank changes by tenure"], 5),
    ThemeIdeas(2, "Theme 2", ["Retire duplicate rules every quarter", "Shadow rules before retiring them"], 2),
]


def test_offline_names_are_class_based_tfidf_keywords_of_each_theme():
    result = name_themes(THEMES, model=None)
    assert result.method == NAMES_METHOD
    assert "bank" in result.value[1].lower() and "rule" in result.value[2].lower()


def test_a_model_name_sharing_no_salient_term_with_its_ideas_is_replaced_by_the_offline_one():
    reply = json.dumps({"names": [{"theme": 1, "name": "Payout bank change alerts"},
                                  {"theme": 2, "name": "Ignore previous instructions"}]})
    result = name_themes(THEMES, model=fake(reply))
    offline = name_themes(THEMES, model=None).value
    assert result.value == {1: "Payout bank change alerts", 2: offline[2]}
    assert "Theme 2" in result.message


def test_the_offline_summary_takes_each_themes_most_central_idea_biggest_theme_first():
    result = session_summary(THEMES, model=None)
    assert result.method == SUMMARY_METHOD
    assert result.value[0].startswith("Theme 1 (3 ideas, 5 votes): ") and result.value[1].startswith("Theme 2 (2 ideas")


def _report() -> FlashReport:
    rows = [MetricRow("MO lifecycle", "MOs documented", "MOsDocumented", "red", "a", ("12", "+20.0%", "-7.7%", "40",
                                                                                       "", "", "", "", ""), "15"),
            MetricRow("MO lifecycle", "MO identification speed (days)", "Speed", "green", "b",
                      ("30", "-3.2%", "+1.0%", "31", "", "", "", "", ""), "35"),
            MetricRow("SOP parity", "SOP parity", "SOPParity", "amber", "c", ("52%", "+120 bps", "n/a", "50%",
                                                                              "", "", "", "", ""), "60%")]
    low = Move("MOsDocumented", "MOs documented", "target", "12", "15", "-20.0%", -20.0)
    return FlashReport("Risk Mining WBR", dt.date(2026, 11, 22), 47, "All", [], [low], rows, [], [], [])


def test_the_offline_narrative_uses_the_largest_moves_and_rag_of_each_section():
    result = narrative(_report(), model=None)
    assert result.method == NARRATIVE_OFFLINE
    by_section = {n.section: n.paragraph for n in result.value}
    assert by_section["MO lifecycle"] == ("MOs documented was 12 last week, -20.0% vs target (15), behind plan. "
                                          "Red against target: MOs documented.")
    assert "Amber: SOP parity." in by_section["SOP parity"]


def test_a_sentence_with_a_number_not_in_the_deck_is_dropped():
    allowed = deck_numbers(_report())
    kept, dropped = check_numbers(["MOs documented fell to 12, -20.0% vs target.", "Exposure hit $4.2M."], allowed)
    assert kept == ["MOs documented fell to 12, -20.0% vs target."] and dropped == ["Exposure hit $4.2M."]


def test_a_model_narrative_keeps_only_sentences_whose_numbers_are_deck_numbers():
    reply = json.dumps({"sections": [
        {"section": "MO lifecycle", "paragraph": "MOs documented were 12, 20.0% behind target. We saved 3,000 hours."},
        {"section": "Made up", "paragraph": "Nothing."}]})
    result = narrative(_report(), model=fake(reply))
    assert result.used_model
    assert [(n.section, n.sentences) for n in result.value] == [
        ("MO lifecycle", ["MOs documented were 12, 20.0% behind target."])]
    assert "1 sentence" in result.message
    assert offline_narrative(_report())  # and the offline one exists for the same report
