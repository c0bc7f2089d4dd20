"""The runtime examples run as written: docs/runtime.md's first example and
examples/runtime/ask.py, each in its own process, reading the store from ``LLMREG_URL`` (a SQLite
file) and calling a fake provider on loopback with the provider's real SDK."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmreg.store.sql import SqlStore
from tests.runtime.agent_seed import add_agent, add_model, new_shop
from tests.runtime.fake_agent_llm import Call, FakeAgentLlm, Say
from tests.runtime.fake_llm import REPLY, FakeLlm
from tests.runtime.seed import ModelSeed, Seeded, seed_shop

ROOT = Path(__file__).resolve().parents[2]
MODELS = {
    "openai": "gpt-4.1",
    "custom": "llama-3-8b",
    "anthropic": "claude-sonnet-4-20250514",
    "google": "gemini-2.5-pro",
    "cohere": "command-a-03-2025",
}
PREFIX = {"openai": "/v1", "custom": "/v1"}  # the others' base URLs have no version


def _first_python_block(markdown: Path) -> str:
    match = re.search(r"```python\n(.*?)```", markdown.read_text(), re.S)
    assert match, f"no python example in {markdown}"
    return match.group(1)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, FakeLlm]]:
    """A store with ``customer-support`` (anthropic, as in docs/runtime.md) and
    ``support-<provider>`` for every provider, all pointing at one fake provider."""
    db = tmp_path_factory.mktemp("examples") / "registry.db"
    with FakeLlm.running() as fake:
        store = SqlStore(f"sqlite:///{db}")
        seeds = [
            ModelSeed("anthropic", MODELS["anthropic"], fake.url, "customer-support"),
            *[
                ModelSeed(p, m, fake.url + PREFIX.get(p, ""), f"support-{p}", p != "custom")
                for p, m in MODELS.items()
            ],
        ]
        try:
            seeded = seed_shop(store, seeds)
        finally:
            store.close()
        yield f"sqlite:///{db}", seeded, fake


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREG_")}
    return {**env, "LLMREG_URL": url, **extra}


def _output_of(args: list[str], env: dict[str, str]) -> str:
    """Run ``python <args>`` as a user would; its standard output, once it succeeded."""
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a cold SDK import is slow on a loaded machine
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_runtime_docs_example_runs_as_written(shop: tuple[str, Seeded, FakeLlm]) -> None:
    url, seeded, fake = shop
    code = _first_python_block(ROOT / "docs" / "runtime.md")
    assert "client = cfg.client()" in code and "make_client" not in code
    env = _env(url, LLMREG_PRD_PRIVATE_KEY=seeded.keys["prd"].reveal())
    assert _output_of(["-c", code], env) == REPLY
    (request,) = fake.take()
    assert request.path == "/v1/messages"
    assert request.body["messages"] == [{"role": "user", "content": "Where is my order?"}]
    assert request.body["temperature"] == 0.2  # the example's runtime override


@pytest.mark.parametrize("stream", [False, True], ids=["call", "stream"])
@pytest.mark.parametrize("provider", list(MODELS))
def test_ask_example(shop: tuple[str, Seeded, FakeLlm], provider: str, stream: bool) -> None:
    url, seeded, fake = shop
    fake.take()
    command = [
        str(ROOT / "examples" / "runtime" / "ask.py"),
        "shop",
        f"support-{provider}",
        "prd",
        "Where is my order 42?",
        "--temperature",
        "0.1",
        *(["--stream"] if stream else []),
    ]
    env = _env(url, LLMREG_PRIVATE_KEY=seeded.keys["prd"].reveal())
    assert _output_of(command, env) == REPLY
    (request,) = fake.take()
    assert "Where is my order 42?" in str(request.body)
    assert "You are the shop's support agent." in str(request.body)
    assert "0.1" in str(request.body)


@pytest.mark.parametrize("stream", [False, True], ids=["run", "stream"])
def test_support_agent_example(tmp_path: Path, stream: bool) -> None:
    """examples/runtime/support_agent.py runs its agent: the model calls ``lookup_order``, the
    example's handler answers, the model's answer is printed with the run's summary."""
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    store = SqlStore(db)
    with FakeAgentLlm.running(
        Call("lookup_order", {"order_id": "42"}), Say("Order 42 has shipped with DHL.")
    ) as fake:
        try:
            shop = new_shop(store)
            add_model(store, shop, "claude", "anthropic", fake.url)
            add_agent(store, "customer-support", "claude")
        finally:
            store.close()
        command = [
            str(ROOT / "examples" / "runtime" / "support_agent.py"),
            "shop",
            "customer-support",
            "prd",
            "Where is order 42?",
            *(["--stream"] if stream else []),
        ]
        env = _env(db, LLMREG_PRIVATE_KEY=shop.keys["prd"].reveal())
        out = _output_of(command, env).splitlines()
        assert "Order 42 has shipped with DHL." in out
        assert out[-1] == ("completed after 2 model call(s) on claude, 1 tool call(s), 30 tokens")
        if stream:
            assert "[tool lookup_order: ok]" in out
        first, second = fake.take()
        assert "Where is order 42?" in json.dumps(first.body)
        assert "shipped" in json.dumps(second.body)  # the handler's result went back
