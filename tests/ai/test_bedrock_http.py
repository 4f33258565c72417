"""`RM_CHAT_MODEL=bedrock:MODEL_ID` end to end: a real `ChatBedrockConverse` (langchain-aws, botocore) built from the
settings talks to a Bedrock Converse endpoint this test starts on 127.0.0.1 (`RM_CHAT_BASE_URL` is the endpoint
URL, as a VPC endpoint would be). Plain answers, streamed answers (AWS event-stream framing) and failures."""
import binascii
import urllib.parse
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rm_core.ai.ask import ask_repository
from rm_core.ai.calls import streaming
from rm_core.ai.draft import OFFLINE_METHOD, draft_mo
from rm_core.ai.providers import build_chat_model
from tests.ai.conftest import NOTES, good_draft

MODEL_ID = "anthropic.claude-sonnet-4-test-v1:0"  # a family langchain-aws knows to stream


def _event(event_type: str, payload: dict) -> bytes:
    """One message of the AWS event stream: prelude, CRCs, string headers, JSON payload."""
    headers = b""
    for name, value in ((":event-type", event_type), (":content-type", "application/json"),
                        (":message-type", "event")):
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + headers + body
    return message + struct.pack(">I", binascii.crc32(message))


class ConverseServer:
    """POST /model/<id>/converse and /converse-stream; `replies` are answered in order, "HTTP500" fails."""

    def __init__(self):
        self.replies: list[str] = []
        self.paths: list[str] = []
        self.bodies: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                server.paths.append(urllib.parse.unquote(self.path))
                server.bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}"))
                reply = server.replies.pop(0) if server.replies else "{}"
                if reply == "HTTP500":
                    self._send(500, "application/json", json.dumps({"message": "internal"}).encode(),
                               {"x-amzn-ErrorType": "InternalServerException"})
                    return
                usage = {"inputTokens": 120, "outputTokens": 40, "totalTokens": 160}
                if self.path.endswith("/converse-stream"):
                    events = [_event("messageStart", {"role": "assistant"})]
                    events += [_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": reply[i:i + 9]}})
                               for i in range(0, len(reply), 9)]
                    events += [_event("contentBlockStop", {"contentBlockIndex": 0}),
                               _event("messageStop", {"stopReason": "end_turn"}),
                               _event("metadata", {"usage": usage, "metrics": {"latencyMs": 5}})]
                    self._send(200, "application/vnd.amazon.eventstream", b"".join(events))
                    return
                answer = {"output": {"message": {"role": "assistant", "content": [{"text": reply}]}},
                          "stopReason": "end_turn", "usage": usage, "metrics": {"latencyMs": 5}}
                self._send(200, "application/json", json.dumps(answer).encode())

            def _send(self, code, kind, data, extra=None):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture()
def converse(monkeypatch):
    from rm_core.settings import get_settings

    server = ConverseServer()
    server.thread.start()
    for key, value in {"RM_CHAT_MODEL": f"bedrock:{MODEL_ID}", "RM_CHAT_BASE_URL": server.url,
                       "RM_CHAT_TIMEOUT_S": "2", "RM_CHAT_RETRIES": "0", "AWS_ACCESS_KEY_ID": "AKIDTEST",
                       "AWS_SECRET_ACCESS_KEY": "secret-test", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    get_settings.cache_clear()


def test_the_settings_build_a_bedrock_converse_client_for_the_endpoint(converse):
    from langchain_aws import ChatBedrockConverse

    model = build_chat_model()
    assert isinstance(model, ChatBedrockConverse) and model.model_id == MODEL_ID
    assert model.endpoint_url == converse.url and converse.paths == []  # building sends nothing


def test_a_bedrock_draft_is_used_with_the_provider_label_and_tokens(converse, engine):
    converse.replies = [good_draft()]
    result = draft_mo(NOTES, engine)
    assert result.method == f"bedrock:{MODEL_ID}" and result.message == ""
    assert result.value.title == "Gift card cash-out with a late payout bank change"
    assert (result.input_tokens, result.output_tokens) == (120, 40)
    assert converse.paths == [f"/model/{MODEL_ID}/converse"]
    assert "<data>" in json.dumps(converse.bodies[0]["messages"])


def test_a_bedrock_answer_streams_through_the_event_stream(converse, engine):
    converse.replies = [json.dumps({"statements": [
        {"text": "Gift cards are listed cheap and the payout bank is switched.", "citations": ["MO-0001"]}]})]
    pieces: list[str] = []
    with streaming(pieces.append):
        result = ask_repository("gift card cash out", engine)
    assert converse.paths == [f"/model/{MODEL_ID}/converse-stream"]
    assert len(pieces) > 3 and "".join(pieces) == "Gift cards are listed cheap and the payout bank is switched."
    assert result.method == f"bedrock:{MODEL_ID}" and result.value.citations == ["MO-0001"]
    assert (result.input_tokens, result.output_tokens) == (120, 40)


def test_a_failing_bedrock_endpoint_falls_back_with_a_message(converse, engine):
    converse.replies = ["HTTP500"]
    result = draft_mo(NOTES, engine)
    assert result.method == OFFLINE_METHOD and "failed" in result.message
    assert len(converse.paths) == 1  # RM_CHAT_RETRIES=0: one attempt, not botocore's default retries
