"""ResolvedConfig.client() / async_client() / request_params() with each provider's real SDK,
against a fake provider on loopback (tests/runtime/fake_llm.py).

A product, a model per provider and an agent go into a real store (a SQLite file) and are
resolved with ``llmreg.resolve``, so what reaches the wire went through all four override
layers: model < agent < env < runtime.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from llmreg.errors import LlmregError
from llmreg.runtime import ResolvedConfig, clear_cache, resolve
from llmreg.sealing import PrivateKey
from llmreg.store.sql import SqlStore
from tests.runtime.fake_llm import REPLY, FakeLlm, Recorded
from tests.runtime.seed import (
    ESCALATE,
    LOOKUP,
    PROVENANCE,
    RUNTIME_LAYER,
    SYSTEM,
    ModelSeed,
    seed_shop,
)

QUESTION = "Where is my order?"

CHAT_TOOLS = [  # openai, custom and cohere
    {"type": "function", "function": LOOKUP},
    {"type": "function", "function": ESCALATE},
]
ANTHROPIC_TOOLS = [
    {
        "name": "lookup_order",
        "description": "Find an order by id",
        "input_schema": LOOKUP["parameters"],
    },
    {"name": "escalate", "input_schema": ESCALATE["parameters"]},
]
GOOGLE_TOOLS = [
    {
        "functionDeclarations": [
            {
                "name": "lookup_order",
                "description": "Find an order by id",
                "parameters_json_schema": LOOKUP["parameters"],
            },
            {"name": "escalate", "parameters_json_schema": ESCALATE["parameters"]},
        ]
    }
]
SYSTEM_MESSAGE = {"role": "system", "content": SYSTEM}
USER_MESSAGE = {"role": "user", "content": QUESTION}
GOOGLE_USER = {"role": "user", "parts": [{"text": QUESTION}]}

Sync = Callable[[Any, dict[str, Any]], str]
Async = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True)
class Case:
    """One provider: its model, where its fake lives, and how its SDK makes the calls."""

    provider: str
    model: str
    prefix: str  # the base URL is the fake's URL + prefix
    messages: list[dict[str, Any]]
    path: str  # of a call; the streamed call's may differ
    stream_path: str
    auth: Callable[[str | None], tuple[str, str]]  # opened key -> (header, value)
    body: dict[str, Any]
    stream_body: dict[str, Any]
    call: Sync
    stream: Sync
    acall: Async
    astream: Async
    no_retry: dict[str, Any]
    long_timeout: dict[str, Any]
    minimal: Callable[[str], dict[str, Any]]  # model id -> the fewest arguments of a call
    with_key: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _bearer(key: str | None) -> tuple[str, str]:
    return "authorization", f"Bearer {key}"


# -- how each SDK makes one call and one streamed call, returning the text -----------------


def _openai_call(client: Any, params: dict[str, Any]) -> str:
    return str(client.chat.completions.create(**params).choices[0].message.content)


def _openai_stream(client: Any, params: dict[str, Any]) -> str:
    chunks = client.chat.completions.create(stream=True, **params)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


async def _openai_acall(client: Any, params: dict[str, Any]) -> str:
    return str((await client.chat.completions.create(**params)).choices[0].message.content)


async def _openai_astream(client: Any, params: dict[str, Any]) -> str:
    chunks = await client.chat.completions.create(stream=True, **params)
    return "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])


def _anthropic_call(client: Any, params: dict[str, Any]) -> str:
    return str(client.messages.create(**params).content[0].text)


def _anthropic_stream(client: Any, params: dict[str, Any]) -> str:
    with client.messages.stream(**params) as stream:
        return "".join(stream.text_stream)


async def _anthropic_acall(client: Any, params: dict[str, Any]) -> str:
    return str((await client.messages.create(**params)).content[0].text)


async def _anthropic_astream(client: Any, params: dict[str, Any]) -> str:
    async with client.messages.stream(**params) as stream:
        return "".join([t async for t in stream.text_stream])


def _google_call(client: Any, params: dict[str, Any]) -> str:
    return str(client.models.generate_content(**params).text)


def _google_stream(client: Any, params: dict[str, Any]) -> str:
    return "".join(c.text or "" for c in client.models.generate_content_stream(**params))


async def _google_acall(client: Any, params: dict[str, Any]) -> str:
    return str((await client.models.generate_content(**params)).text)


async def _google_astream(client: Any, params: dict[str, Any]) -> str:
    chunks = await client.models.generate_content_stream(**params)
    return "".join([c.text or "" async for c in chunks])


def _cohere_call(client: Any, params: dict[str, Any]) -> str:
    return str(client.chat(**params).message.content[0].text)


def _cohere_stream(client: Any, params: dict[str, Any]) -> str:
    events = client.chat_stream(**params)
    return "".join(e.delta.message.content.text for e in events if e.type == "content-delta")


async def _cohere_acall(client: Any, params: dict[str, Any]) -> str:
    return str((await client.chat(**params)).message.content[0].text)


async def _cohere_astream(client: Any, params: dict[str, Any]) -> str:
    events = client.chat_stream(**params)
    return "".join(
        [e.delta.message.content.text async for e in events if e.type == "content-delta"]
    )


def _chat_body(max_tokens_name: str, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [SYSTEM_MESSAGE, USER_MESSAGE],
        "temperature": 0.2,
        max_tokens_name: 1000,
        "top_p": 0.8,
        "stop": ["STOP"],
        "tools": CHAT_TOOLS,
    }


def _openai_case(provider: str, model: str, max_tokens_name: str, with_key: bool) -> Case:
    body = _chat_body(max_tokens_name, model)
    return Case(
        provider=provider,
        model=model,
        prefix=f"/{provider}/v1",
        messages=[USER_MESSAGE],
        path=f"/{provider}/v1/chat/completions",
        stream_path=f"/{provider}/v1/chat/completions",
        auth=_bearer if with_key else lambda _key: _bearer("llmreg-no-key"),
        body=body,
        stream_body={**body, "stream": True},
        call=_openai_call,
        stream=_openai_stream,
        acall=_openai_acall,
        astream=_openai_astream,
        no_retry={"max_retries": 0},
        long_timeout={"timeout": 30, "max_retries": 0},
        minimal=lambda m: {"model": m, "messages": [USER_MESSAGE]},
        with_key=with_key,
    )


ANTHROPIC_BODY = {
    "model": "claude-sonnet-4-20250514",
    "messages": [USER_MESSAGE],
    "system": SYSTEM,
    "max_tokens": 1000,
    "stop_sequences": ["STOP"],
    "temperature": 0.2,
    "top_p": 0.8,
    "tools": ANTHROPIC_TOOLS,
}
GOOGLE_BODY = {
    "contents": [GOOGLE_USER],
    "systemInstruction": {"role": "user", "parts": [{"text": SYSTEM}]},
    "generationConfig": {
        "temperature": 0.2,
        "maxOutputTokens": 1000,
        "topP": 0.8,
        "stopSequences": ["STOP"],
    },
    "tools": GOOGLE_TOOLS,
}
COHERE_BODY = {
    "model": "command-a-03-2025",
    "messages": [SYSTEM_MESSAGE, USER_MESSAGE],
    "temperature": 0.2,
    "max_tokens": 1000,
    "p": 0.8,
    "stop_sequences": ["STOP"],
    "tools": CHAT_TOOLS,
    "stream": False,
}
GOOGLE_NO_RETRY = {"http_options": {"retry_options": {"attempts": 1}}}

CASES = {
    "openai": _openai_case("openai", "gpt-4.1", "max_completion_tokens", with_key=True),
    # An OpenAI-compatible endpoint whose env has no key: the SDK sends a placeholder.
    "custom": _openai_case("custom", "llama-3-8b", "max_tokens", with_key=False),
    "anthropic": Case(
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        prefix="/anthropic",
        messages=[USER_MESSAGE],
        path="/anthropic/v1/messages",
        stream_path="/anthropic/v1/messages",
        auth=_bearer,
        body=ANTHROPIC_BODY,
        stream_body={**ANTHROPIC_BODY, "stream": True},
        call=_anthropic_call,
        stream=_anthropic_stream,
        acall=_anthropic_acall,
        astream=_anthropic_astream,
        no_retry={"max_retries": 0},
        long_timeout={"timeout": 30, "max_retries": 0},
        minimal=lambda m: {"model": m, "messages": [USER_MESSAGE], "max_tokens": 10},
    ),
    "google": Case(
        provider="google",
        model="gemini-2.5-pro",
        prefix="/google",
        messages=[GOOGLE_USER],
        path="/google/v1/models/gemini-2.5-pro:generateContent",
        stream_path="/google/v1/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        auth=lambda key: ("x-goog-api-key", str(key)),
        body=GOOGLE_BODY,
        stream_body=GOOGLE_BODY,
        call=_google_call,
        stream=_google_stream,
        acall=_google_acall,
        astream=_google_astream,
        no_retry=GOOGLE_NO_RETRY,
        long_timeout={"http_options": {"timeout": 30000, "retry_options": {"attempts": 1}}},
        minimal=lambda m: {"model": m, "contents": [GOOGLE_USER]},
    ),
    "cohere": Case(
        provider="cohere",
        model="command-a-03-2025",
        prefix="/cohere",
        messages=[USER_MESSAGE],
        path="/cohere/v2/chat",
        stream_path="/cohere/v2/chat",
        auth=_bearer,
        body=COHERE_BODY,
        stream_body={**COHERE_BODY, "stream": True},
        call=_cohere_call,
        stream=_cohere_stream,
        acall=_cohere_acall,
        astream=_cohere_astream,
        no_retry={"max_retries": 0},
        long_timeout={"timeout": 30, "max_retries": 0},
        minimal=lambda m: {"model": m, "messages": [USER_MESSAGE]},
    ),
}


@dataclass
class World:
    store: SqlStore
    fake: FakeLlm
    key: PrivateKey
    plain: str

    def resolve(self, provider: str, **overrides: Any) -> ResolvedConfig:
        return resolve(
            "shop",
            "prd",
            f"support-{provider}",
            {**RUNTIME_LAYER, **overrides},
            private_key=self.key,
            store=self.store,
            ttl=0,
        )


def seeds(fake_url: str) -> list[ModelSeed]:
    return [
        ModelSeed(c.provider, c.model, fake_url + c.prefix, f"support-{c.provider}", c.with_key)
        for c in CASES.values()
    ]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """Product ``shop`` (dev, prd), per provider a model whose env base URLs point at the fake
    and an agent ``support-<provider>`` with a system prompt, two tools and the layers of
    tests/runtime/seed.py."""
    clear_cache()
    with FakeLlm.running() as fake:
        store = SqlStore(f"sqlite:///{tmp_path / 'registry.db'}")
        try:
            seeded = seed_shop(store, seeds(fake.url))
            yield World(store, fake, seeded.keys["prd"], seeded.plain)
        finally:
            store.close()


def _check(case: Case, seen: Recorded, key: str | None, *, stream: bool) -> None:
    assert seen.method == "POST"
    assert seen.path == (case.stream_path if stream else case.path)
    header, value = case.auth(key)
    assert seen.headers.get(header) == value
    assert seen.body == (case.stream_body if stream else case.body)


@pytest.mark.parametrize("provider", list(CASES))
def test_resolved_config_carries_agent_and_layers(world: World, provider: str) -> None:
    cfg = world.resolve(provider)
    assert cfg.provenance == PROVENANCE
    assert cfg.system_prompt == SYSTEM
    assert [t.name for t in cfg.tools] == ["lookup_order", "escalate"]
    data = cfg.to_dict()
    assert data["systemPrompt"] == SYSTEM
    assert data["tools"] == [LOOKUP, ESCALATE]
    assert data["provenance"] == {
        "temperature": "runtime",
        "maxTokens": "agent",
        "topP": "env",
        "stopSequences": "env",
        "timeout": "model",
    }


@pytest.mark.parametrize("provider", list(CASES))
def test_client_call_and_stream(world: World, provider: str) -> None:
    case = CASES[provider]
    cfg = world.resolve(provider)
    key = world.plain if case.with_key else None
    assert cfg.api_key == key
    client = cfg.client()
    params = cfg.request_params(messages=case.messages)
    assert case.call(client, params) == REPLY
    assert case.stream(client, cfg.request_params(messages=case.messages)) == REPLY
    first, second = world.fake.take()
    _check(case, first, key, stream=False)
    _check(case, second, key, stream=True)


@pytest.mark.parametrize("provider", list(CASES))
def test_async_client_call_and_stream(world: World, provider: str) -> None:
    case = CASES[provider]
    cfg = world.resolve(provider)
    key = world.plain if case.with_key else None

    async def run() -> tuple[str, str]:
        client = cfg.async_client()
        one = await case.acall(client, cfg.request_params(messages=case.messages))
        two = await case.astream(client, cfg.request_params(messages=case.messages))
        return one, two

    assert asyncio.run(run()) == (REPLY, REPLY)
    first, second = world.fake.take()
    _check(case, first, key, stream=False)
    _check(case, second, key, stream=True)


TIMEOUT_MS = 300
DELAY = 10.0  # seconds the fake waits before answering: an unbounded call would succeed
BOUND = 8.0  # seconds: below the delay, with room for a loaded machine


def _times_out(run: Callable[[], object]) -> float:
    start = time.monotonic()
    with pytest.raises(Exception) as caught:
        run()
    elapsed = time.monotonic() - start
    assert "timeout" in type(caught.value).__name__.lower(), repr(caught.value)
    return elapsed


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("via", ["client", "params"])
@pytest.mark.parametrize("provider", list(CASES))
def test_timeout_is_honoured(world: World, provider: str, via: str, is_async: bool) -> None:
    """``timeout`` (ms, here from the runtime layer) bounds a call through the client's own
    setting (``via=client``: bare call arguments) and through the per-request parameter
    (``via=params``: a client built with a long timeout). SDK retries are off."""
    case = CASES[provider]
    cfg = world.resolve(provider, timeout=TIMEOUT_MS)
    assert cfg.timeout == TIMEOUT_MS and cfg.provenance["timeout"] == "runtime"
    world.fake.delay = DELAY
    if via == "client":
        options, params = case.no_retry, case.minimal(case.model)
    else:
        options, params = case.long_timeout, cfg.request_params(messages=case.messages)
    if is_async:
        client = cfg.async_client(**options)
        elapsed = _times_out(lambda: asyncio.run(case.acall(client, params)))
    else:
        client = cfg.client(**options)
        elapsed = _times_out(lambda: case.call(client, params))
    assert TIMEOUT_MS / 1000 * 0.8 <= elapsed < BOUND
    assert len(world.fake.take()) == 1  # no retry


_SDK_MODULES = {
    "openai": ("openai", "openai"),
    "custom": ("openai", "openai"),
    "anthropic": ("anthropic", "anthropic"),
    "google": ("google.genai", "google"),
    "cohere": ("cohere", "cohere"),
}


@pytest.mark.parametrize("provider", list(CASES))
def test_missing_sdk_names_the_extra(
    world: World, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, extra = _SDK_MODULES[provider]
    cfg = world.resolve(provider)
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    for make in (cfg.client, cfg.async_client):
        with pytest.raises(LlmregError) as caught:
            make()
        message = str(caught.value)
        assert f"pip install 'llmreg[{extra}]'" in message
        assert "\n" not in message and world.plain not in message
        assert f"agent 'support-{provider}' (shop/prd)" in message
    # request parameters need no SDK
    assert cfg.request_params()["model"] == CASES[provider].model


def test_client_options_win(world: World) -> None:
    cfg = world.resolve("openai")
    client = cfg.client(base_url="http://127.0.0.1:9/elsewhere/", max_retries=5)
    assert str(client.base_url) == "http://127.0.0.1:9/elsewhere/"
    assert client.max_retries == 5 and client.timeout == 30.0
