"""End to end: a real `ChatOpenAI` client (built from RM_CHAT_* settings) over real HTTP to an OpenAI-compatible
server this test starts on 127.0.0.1. Good answers are used; malformed, slow and failing ones fall back."""
import json

from rm_core.ai.ask import OFFLINE_METHOD as ASK_OFFLINE, ask_repository
from rm_core.ai.draft import OFFLINE_METHOD, draft_mo
from rm_core.ai.providers import build_chat_model
from tests.ai.conftest import NOTES, good_draft


def test_the_settings_build_a_chatopenai_client_for_the_endpoint(openai_settings, chat_server):
    from langchain_openai import ChatOpenAI

    model = build_chat_model()
    assert isinstance(model, ChatOpenAI) and model.model_name == "test-model"
    assert model.request_timeout == 1.0 and model.max_retries == 0
    assert chat_server.requests == []  # building the client sends nothing


def test_a_good_structured_answer_is_used_with_the_provider_label_and_tokens(openai_settings, chat_server, engine):
    chat_server.replies = [good_draft()]
    result = draft_mo(NOTES, engine)
    assert result.method == "openai:test-model" and result.message == ""
    assert result.value.title == "Gift card cash-out with a late payout bank change"
    assert (result.input_tokens, result.output_tokens) == (120, 40)
    sent = chat_server.requests[0]
    assert sent["model"] == "test-model" and "<data>" in sent["messages"][1]["content"]


def test_a_malformed_answer_twice_falls_back_with_a_message(openai_settings, chat_server, engine):
    chat_server.replies = ["I think it is gift card fraud.", '{"title": "x"}']
    result = draft_mo(NOTES, engine)
    assert result.method == OFFLINE_METHOD and "malformed" in result.message
    assert len(chat_server.requests) == 2  # the answer and one repair request


def test_a_slow_answer_past_the_timeout_falls_back_with_a_message(openai_settings, chat_server, engine):
    chat_server.replies = ["SLOW:3:" + good_draft()]
    result = draft_mo(NOTES, engine)
    assert result.method == OFFLINE_METHOD and "RM_CHAT_TIMEOUT_S" in result.message


def test_a_500_falls_back_with_a_message(openai_settings, chat_server, engine):
    chat_server.replies = ["HTTP500"]
    result = draft_mo(NOTES, engine)
    assert result.method == OFFLINE_METHOD and "failed" in result.message


def test_an_unreachable_endpoint_falls_back(openai_settings, chat_server, engine, monkeypatch):
    from rm_core.settings import get_settings

    monkeypatch.setenv("RM_CHAT_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: nothing listens
    get_settings.cache_clear()
    result = draft_mo(NOTES, engine)
    assert result.method == OFFLINE_METHOD and "failed" in result.message


def test_the_citation_check_removes_an_invented_id_over_http(openai_settings, chat_server, engine):
    chat_server.replies = [json.dumps({"statements": [
        {"text": "Gift cards are listed cheap and the payout bank is switched.", "citations": ["MO-0001", "MO-0666"]}]})]
    result = ask_repository("gift card payout bank change", engine, k=3)
    assert result.method == "openai:test-model"
    assert result.value.citations == ["MO-0001"] and "MO-0666" in result.message
    chat_server.replies = ["HTTP500"]
    assert ask_repository("gift card payout bank change", engine, k=3).method == ASK_OFFLINE


def test_an_answer_streams_over_http_piece_by_piece_and_the_checked_answer_still_wins(openai_settings, chat_server,
                                                                                      engine):
    from rm_core.ai.calls import streaming

    chat_server.replies = [json.dumps({"statements": [
        {"text": "Gift cards are listed cheap and the payout bank is switched.", "citations": ["MO-0001", "MO-0666"]},
        {"text": "Buyers then report the codes as used.", "citations": ["MO-0001"]}]})]
    pieces: list[str] = []
    with streaming(pieces.append):
        result = ask_repository("gift card cash out", engine)
    assert chat_server.requests[0]["stream"] is True and chat_server.chunks_sent > 20
    assert len(pieces) > 5  # shown as it arrived, not in one piece at the end
    assert "".join(pieces) == ("Gift cards are listed cheap and the payout bank is switched.\n\n"
                               "Buyers then report the codes as used.")
    assert result.method == "openai:test-model" and (result.input_tokens, result.output_tokens) == (120, 40)
    assert result.value.citations == ["MO-0001"] and "MO-0666" in result.message  # checked after streaming


def test_without_a_stream_sink_the_same_call_is_one_plain_request(openai_settings, chat_server, engine):
    chat_server.replies = [json.dumps({"statements": [{"text": "Gift cards are resold.", "citations": ["MO-0001"]}]})]
    result = ask_repository("gift card cash out", engine)
    assert not chat_server.requests[0].get("stream") and chat_server.chunks_sent == 0
    assert result.value.text == "Gift cards are resold. [MO-0001]"
