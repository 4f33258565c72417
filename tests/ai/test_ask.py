"""Ask the repository: retrieved passages offline, a model's answer only with citations of retrieved MOs."""
import json

import pytest

from rm_core.ai.ask import OFFLINE_METHOD, ask_repository
from rm_core.errors import UserError
from tests.ai.conftest import fake

QUESTION = "How do sellers cash out gift cards before the payout?"


def test_offline_the_answer_is_the_ranked_passages_each_citing_its_mo(engine):
    result = ask_repository(QUESTION, engine, k=3)
    answer = result.value
    assert result.method == OFFLINE_METHOD and len(answer.statements) == 3
    assert answer.citations[0] in ("MO-0001", "MO-0002")
    assert all(len(s.citations) == 1 and s.citations[0] in answer.sources for s in answer.statements)
    assert answer.statements[0].text.startswith(answer.sources[answer.citations[0]])


def test_a_model_answer_keeps_only_citations_of_retrieved_mos_and_says_what_it_removed(engine):
    reply = json.dumps({"statements": [
        {"text": "They list discounted gift cards and switch the payout bank.", "citations": ["MO-0001", "MO-9999"]},
        {"text": "Every MO in the repository is listed here.", "citations": ["MO-4242"]}]})
    result = ask_repository(QUESTION, engine, k=3, model=fake(reply))
    assert result.used_model
    assert [s.citations for s in result.value.statements] == [["MO-0001"]]
    assert "MO-9999" in result.message and "MO-4242" in result.message and "dropped" in result.message


def test_an_answer_citing_nothing_retrieved_falls_back_to_the_passages(engine):
    reply = json.dumps({"statements": [{"text": "Trust me.", "citations": ["MO-7777"]}]})
    result = ask_repository(QUESTION, engine, k=3, model=fake(reply))
    assert result.method == OFFLINE_METHOD and "MO-7777" in result.message
    assert result.value.citations and set(result.value.citations) <= {"MO-0001", "MO-0002", "MO-0003", "MO-0004",
                                                                      "MO-0005"}


@pytest.mark.parametrize("question,k,words", [("", 8, "empty"), ("x" * 2001, 8, "limit"), ("ok?", 0, "--k")])
def test_bad_questions_are_refused_with_a_sentence(engine, question, k, words):
    with pytest.raises(UserError, match=words):
        ask_repository(question, engine, k=k)
