"""A scripted fake of the OpenAI, Anthropic, Gemini and Cohere v2 chat APIs on loopback, for agent
runs: each request gets the next step of ``fake.script`` (the last one repeats): a tool call, a
text answer, an HTTP error status, or a delay first. Every request is recorded; answers come
called or streamed (SSE), as the SDK asked, with usage of ``IN`` input and ``OUT`` output tokens.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.runtime.fake_llm import FakeHandler, FakeServer, Recorded, cohere_text_events

IN, OUT = 10, 5

Events = list[tuple[str | None, Any]]


@dataclass(frozen=True)
class Call:
    """Answer with one call of tool ``name``."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Say:
    """Answer with text."""

    text: str


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error status."""

    status: int


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds``, then answer ``then``."""

    seconds: float
    then: Call | Say | Fail


Step = Call | Say | Fail | Slow


def _openai(step: Call | Say, model: str, n: int) -> tuple[Any, Events]:
    usage = {"prompt_tokens": IN, "completion_tokens": OUT, "total_tokens": IN + OUT}
    head = {"id": f"c{n}", "created": 0, "model": model}
    if isinstance(step, Call):
        call = {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": step.name, "arguments": json.dumps(step.args)},
        }
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        delta: dict[str, Any] = {"role": "assistant", "tool_calls": [{"index": 0, **call}]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": step.text}
        delta = {"role": "assistant", "content": step.text}
        finish = "stop"
    reply = {
        **head,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }
    chunk = {**head, "object": "chat.completion.chunk"}
    events: Events = [
        (None, {**chunk, "choices": [{"index": 0, "delta": delta}]}),
        (None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}),
        (None, {**chunk, "choices": [], "usage": usage}),
        (None, "[DONE]"),
    ]
    return reply, events


def _anthropic(step: Call | Say, model: str, n: int) -> tuple[Any, Events]:
    if isinstance(step, Call):
        block: dict[str, Any] = {
            "type": "tool_use",
            "id": f"toolu_{n}",
            "name": step.name,
            "input": step.args,
        }
        start: dict[str, Any] = {**block, "input": {}}
        delta = {"type": "input_json_delta", "partial_json": json.dumps(step.args)}
        stop = "tool_use"
    else:
        block = {"type": "text", "text": step.text}
        start = {"type": "text", "text": ""}
        delta = {"type": "text_delta", "text": step.text}
        stop = "end_turn"
    message = {
        "id": f"msg_{n}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": IN, "output_tokens": OUT},
    }
    opening = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": IN, "output_tokens": 0},
    }
    events: Events = [
        ("message_start", {"type": "message_start", "message": opening}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": start},
        ),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": OUT},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def _google(step: Call | Say, model: str, n: int) -> tuple[Any, Events]:
    if isinstance(step, Call):
        part: dict[str, Any] = {"functionCall": {"name": step.name, "args": step.args}}
    else:
        part = {"text": step.text}
    answer = {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
        "usageMetadata": {
            "promptTokenCount": IN,
            "candidatesTokenCount": OUT,
            "totalTokenCount": IN + OUT,
        },
        "modelVersion": model,
    }
    return answer, [(None, answer)]


def _cohere(step: Call | Say, model: str, n: int) -> tuple[Any, Events]:
    usage = {
        "billed_units": {"input_tokens": IN, "output_tokens": OUT},
        "tokens": {"input_tokens": IN, "output_tokens": OUT},
    }
    if isinstance(step, Call):
        encoded = json.dumps(step.args)
        call: dict[str, Any] = {
            "id": f"tc_{n}",
            "type": "function",
            "function": {"name": step.name, "arguments": encoded},
        }
        message: dict[str, Any] = {"role": "assistant", "tool_plan": "", "tool_calls": [call]}
        finish = "TOOL_CALL"
        opening = {**call, "function": {"name": step.name, "arguments": ""}}
        arguments = {"function": {"arguments": encoded}}
        body: Events = [
            (
                "tool-call-start",
                {
                    "type": "tool-call-start",
                    "index": 0,
                    "delta": {"message": {"tool_calls": opening}},
                },
            ),
            (
                "tool-call-delta",
                {
                    "type": "tool-call-delta",
                    "index": 0,
                    "delta": {"message": {"tool_calls": arguments}},
                },
            ),
            ("tool-call-end", {"type": "tool-call-end", "index": 0}),
        ]
    else:
        message = {"role": "assistant", "content": [{"type": "text", "text": step.text}]}
        finish = "COMPLETE"
        body = cohere_text_events(step.text)
    reply = {"id": f"c{n}", "finish_reason": finish, "message": message, "usage": usage}
    events: Events = [
        (
            "message-start",
            {"id": f"c{n}", "type": "message-start", "delta": {"message": {"role": "assistant"}}},
        ),
        *body,
        (
            "message-end",
            {"type": "message-end", "delta": {"finish_reason": finish, "usage": usage}},
        ),
    ]
    return reply, events


def _route(path: str) -> tuple[Any, bool | None]:
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


@dataclass
class FakeAgentLlm(FakeServer):
    """``with FakeAgentLlm.running() as fake``: set ``fake.script``; read ``fake.requests``."""

    script: list[Step] = field(default_factory=lambda: [Say("done")])
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        fake = self

        class Handler(FakeHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                with fake._lock:
                    n = len(fake.requests)
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    fake.requests.append(Recorded("POST", self.path, headers, body))
                    step = fake.script[min(n, len(fake.script) - 1)]
                while isinstance(step, Slow):
                    time.sleep(step.seconds)
                    step = step.then
                if isinstance(step, Fail):
                    error = {"error": {"message": "fake failure", "type": "fake", "code": "fake"}}
                    self._send(step.status, error)
                    return
                handler, path_stream = _route(self.path)
                if handler is None:
                    self._send(404, {"error": f"no such fake endpoint: {self.path}"})
                    return
                model = str(body.get("model") or self.path.split("models/")[-1].split(":")[0])
                reply, events = handler(step, model, n)
                stream = path_stream if path_stream is not None else bool(body.get("stream"))
                if stream:
                    self._sse(events)
                else:
                    self._send(200, reply)

        self._listen(Handler)

    @classmethod
    @contextmanager
    def running(cls, *script: Step) -> Iterator[FakeAgentLlm]:
        fake = cls(list(script) or [Say("done")])
        with fake._serving():
            yield fake
