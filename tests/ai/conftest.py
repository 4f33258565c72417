"""Fixtures for the AI assist tests: a small MO index on the hash embeddings, fake chat models, and an
OpenAI-compatible HTTP server on 127.0.0.1 that a real `ChatOpenAI` client talks to."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from rm_core.mos.records import MODoc
from rm_core.settings import load_settings

CORPUS = [
    MODoc("MO-0001", "Gift card listings then payout bank change",
          "New sellers list discounted gift cards, collect sales, then change the payout bank account to a mule "
          "account shortly before the disbursement. Buyers receive invalid codes.",
          {"abuse_family": "payment and gift-card fraud", "stage": "monetization", "severity": "S1"}),
    MODoc("MO-0002", "Gift card resale with stolen cards",
          "Sellers buy gift cards with stolen credit cards and list them at a discount; the payout bank account "
          "changes just before the first settlement.",
          {"abuse_family": "payment and gift-card fraud", "stage": "monetization", "severity": "S2"}),
    MODoc("MO-0003", "Empty box refund abuse",
          "Colluding buyers order expensive items, the seller ships empty parcels with valid tracking, and the "
          "buyers file item not received claims after the payout.",
          {"abuse_family": "refund/return abuse", "stage": "monetization", "severity": "S3"}),
    MODoc("MO-0004", "Forged utility bills at registration",
          "Applicants upload utility bills edited in image software to match a stolen identity and pass KYC.",
          {"abuse_family": "identity fraud", "stage": "onboarding", "severity": "S2"}),
    MODoc("MO-0005", "Brushing with unsolicited parcels",
          "Sellers ship cheap items to strangers so the account can post verified purchase reviews.",
          {"abuse_family": "review manipulation", "stage": "positioning", "severity": "S3"}),
]

NOTES = ("Investigation 77. A new storefront listed discounted gift cards in the US store. Buyers report the codes "
         "as invalid. Two hours before the first disbursement the payout bank account was changed to a neobank "
         "account. The same device was seen on two closed accounts.")


@pytest.fixture()
def engine(tmp_path):
    from rm_core.mos.engine import MOSearchEngine

    eng = MOSearchEngine(load_settings({"RM_HOME": str(tmp_path / "index"), "RM_EMBEDDINGS": "hash"}))
    eng.index(CORPUS)
    return eng


def fake(*replies: str) -> FakeListChatModel:
    """A LangChain fake chat model answering `replies` in order."""
    return FakeListChatModel(responses=list(replies))


def good_draft(**changes) -> str:
    draft = {"title": "Gift card cash-out with a late payout bank change",
             "summary": "Discounted gift cards, invalid codes, payout bank changed before disbursement.",
             "abuse_family": "payment and gift-card fraud", "stage": "monetization", "severity": "S1",
             "signals": ["payout bank change before disbursement"], "mediums": ["bank account"],
             "marketplaces": ["US"],
             "evidence": {"abuse_family": ["Buyers report the codes as invalid."]}}
    draft.update(changes)
    return json.dumps(draft)


class ChatServer:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1: `replies` (content strings) are answered in order;
    a reply "HTTP500" answers 500, "SLOW:<s>:<content>" waits s seconds first."""

    def __init__(self):
        self.replies: list[str] = []
        self.requests: list[dict] = []
        self.chunks_sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                reply = server.replies.pop(0) if server.replies else "{}"
                if reply == "HTTP500":
                    self._send(500, {"error": {"message": "internal error", "type": "server_error"}})
                    return
                if reply.startswith("SLOW:"):
                    _, seconds, reply = reply.split(":", 2)
                    time.sleep(float(seconds))
                if body.get("stream"):
                    self._stream(body["model"], reply)
                    return
                self._send(200, {"id": "cmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": reply}}],
                                 "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}})

            def _stream(self, model, reply):
                """Server-sent events as OpenAI streams them: the reply in 7-character pieces, then usage."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model}
                pieces = [reply[i:i + 7] for i in range(0, len(reply), 7)]
                for n, piece in enumerate(pieces):
                    delta = {"content": piece} | ({"role": "assistant"} if n == 0 else {})
                    chunk = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    server.chunks_sent += 1
                done = base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                usage = base | {"choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 40,
                                                         "total_tokens": 160}}
                for chunk in (done, usage):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _send(self, code, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture()
def chat_server():
    with ChatServer() as server:
        yield server


@pytest.fixture()
def openai_settings(chat_server, monkeypatch):
    """RM_CHAT_* pointing at the loopback server (1 s timeout, no retries); settings reloaded."""
    from rm_core.settings import get_settings

    monkeypatch.setenv("RM_CHAT_MODEL", "openai:test-model")
    monkeypatch.setenv("RM_CHAT_BASE_URL", chat_server.url)
    monkeypatch.setenv("RM_CHAT_API_KEY", "sk-test")
    monkeypatch.setenv("RM_CHAT_TIMEOUT_S", "1")
    monkeypatch.setenv("RM_CHAT_RETRIES", "0")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
