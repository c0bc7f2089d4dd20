"""A fake LLM provider on loopback: just enough of the OpenAI, Anthropic, Google Gemini and
Cohere v2 chat APIs for one call and one streamed call of each provider's official SDK.

Every request is recorded (method, path with query, headers, JSON body). ``delay`` makes each
answer wait that many seconds first (to test that the SDKs honour the resolved timeout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY = "Hello from the fake"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lowercase names
    body: Any


def _openai(body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str | None, Any]]]:
    model = body.get("model", "m")
    reply = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model}
    events: list[tuple[str | None, Any]] = [
        (None, {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
        *[
            (None, {**chunk, "choices": [{"index": 0, "delta": {"content": part}}]})
            for part in REPLY.split(" ")[:1] + [" " + p for p in REPLY.split(" ")[1:]]
        ],
        (None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        (None, "[DONE]"),
    ]
    return reply, events


def _anthropic(body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str | None, Any]]]:
    model = body.get("model", "m")
    usage = {"input_tokens": 1, "output_tokens": 2}
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": REPLY}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }
    start = {**message, "content": [], "stop_reason": None}
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": REPLY},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 2},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def _google(body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str | None, Any]]]:
    def answer(text: str, finish: str | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
        if finish:
            candidate["finishReason"] = finish
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": 1,
                "candidatesTokenCount": 2,
                "totalTokenCount": 3,
            },
        }

    head, _, tail = REPLY.partition(" ")
    return answer(REPLY, "STOP"), [(None, answer(head, None)), (None, answer(" " + tail, "STOP"))]


def cohere_text_events(text: str) -> list[tuple[str | None, Any]]:
    """Cohere's stream events of one text content block (shared with the agent fake)."""
    return [
        (
            "content-start",
            {
                "type": "content-start",
                "index": 0,
                "delta": {"message": {"content": {"type": "text", "text": ""}}},
            },
        ),
        (
            "content-delta",
            {
                "type": "content-delta",
                "index": 0,
                "delta": {"message": {"content": {"text": text}}},
            },
        ),
        ("content-end", {"type": "content-end", "index": 0}),
    ]


def _cohere(body: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str | None, Any]]]:
    usage = {
        "billed_units": {"input_tokens": 1, "output_tokens": 2},
        "tokens": {"input_tokens": 1, "output_tokens": 2},
    }
    reply = {
        "id": "c-1",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": REPLY}]},
        "usage": usage,
    }
    events: list[tuple[str | None, Any]] = [
        (
            "message-start",
            {"id": "c-1", "type": "message-start", "delta": {"message": {"role": "assistant"}}},
        ),
        *cohere_text_events(REPLY),
        (
            "message-end",
            {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
        ),
    ]
    return reply, events


def _route(path: str) -> Any:
    bare = path.split("?")[0]
    if bare.endswith("/chat/completions"):
        return _openai, None
    if bare.endswith("/v1/messages"):
        return _anthropic, None
    if bare.endswith(":generateContent"):
        return _google, False
    if bare.endswith(":streamGenerateContent"):
        return _google, True
    if bare.endswith("/v2/chat"):
        return _cohere, None
    return None, None


class QuietServer(ThreadingHTTPServer):
    """A loopback server of the fakes: a client that timed out and hung up is what the
    timeout tests expect, so no traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class FakeHandler(BaseHTTPRequestHandler):
    """What the fakes' request handlers share: HTTP/1.1, no access log, JSON and SSE answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: Any) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _sse(self, events: list[tuple[str | None, Any]]) -> None:
        chunks = []
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            head = f"event: {name}\n" if name else ""
            chunks.append(f"{head}data: {text}\n\n".encode())
        payload = b"".join(chunks)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeServer:
    """What the fakes share around their handler: the loopback server, the requests it
    recorded (``take``), and serving for the length of a ``with`` block."""

    requests: list[Recorded]
    url: str
    _lock: threading.Lock
    _server: QuietServer

    def _listen(self, handler: type[FakeHandler]) -> None:
        self._server = QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def take(self) -> list[Recorded]:
        """The requests recorded so far; forgets them."""
        with self._lock:
            out, self.requests = self.requests, []
        return out

    @contextmanager
    def _serving(self) -> Iterator[None]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)


class FakeLlm(FakeServer):
    """``with FakeLlm.running() as fake``: ``fake.url``, ``fake.requests``, ``fake.delay``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(FakeHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake._lock:
                    fake.requests.append(
                        Recorded(
                            "POST",
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    delay = fake.delay
                if delay:
                    time.sleep(delay)
                handler, path_stream = _route(self.path)
                if handler is None:
                    self._send(404, {"error": f"no such fake endpoint: {self.path}"})
                    return
                reply, events = handler(body or {})
                stream = (
                    path_stream if path_stream is not None else bool((body or {}).get("stream"))
                )
                if stream:
                    self._sse(events)
                else:
                    self._send(200, reply)

        self._listen(Handler)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[FakeLlm]:
        fake = cls()
        with fake._serving():
            yield fake
