"""llmreg.run / stream: a declared agent runs with its tools, limits and fallback models, through
each provider's real SDK against a scripted fake on loopback; the records come from a real store
(SQLite, and the real registry server over HTTP where resolving the chain is involved)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import llmreg
from llmreg.errors import LlmregError
from llmreg.runtime import clear_cache, resolve
from llmreg.runtime.run_result import Done, Fallback, RunResult, TextDelta, ToolEnd, ToolStart
from llmreg.store.base import Kind, Store
from llmreg.store.http import HttpStore
from llmreg.store.sql import SqlStore
from tests.harness.registry import running_registry
from tests.runtime.agent_seed import MODELS, SYSTEM, Shop, add_agent, add_model, new_shop
from tests.runtime.fake_agent_llm import IN, OUT, Call, Fail, FakeAgentLlm, Say, Slow, Step
from tests.runtime.seed import LOOKUP

ASK = "Where is order 42?"

pytestmark = [
    # The fakes answer for real model ids that pydantic-ai knows are being retired.
    pytest.mark.filterwarnings("ignore:Model '.*' is deprecated by its provider"),
    # anthropic>=2's API version refuses temperature/top_p: pydantic-ai says so and drops them.
    pytest.mark.filterwarnings("ignore:Sampling parameters .* are rejected by Anthropic"),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    clear_cache()
    s = SqlStore(f"sqlite:///{tmp_path / 'r.db'}")
    yield s
    s.close()


@pytest.fixture
def fake() -> Iterator[FakeAgentLlm]:
    with FakeAgentLlm.running() as f:
        yield f


class Lookups:
    """The ``lookup_order`` handler: records the arguments it got."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    def __call__(self, order_id: str) -> dict[str, str]:
        self.got.append({"order_id": order_id})
        return {"order_id": order_id, "status": "shipped"}


def _run(store: Store, shop: Shop, agent: str, **kwargs: Any) -> RunResult:
    handlers = kwargs.pop("handlers", None) or {"lookup_order": Lookups()}
    return llmreg.run(
        product="shop",
        env="prd",
        agent=agent,
        input=kwargs.pop("input", ASK),
        handlers=handlers,
        private_key=shop.keys["prd"],
        store=store,
        **kwargs,
    )


def _tool_result_sent(provider: str, body: dict[str, Any]) -> Any:
    """The tool's result as the second request carried it, in the provider's own shape."""
    if provider in ("openai", "custom", "cohere"):
        (msg,) = [m for m in body["messages"] if m["role"] == "tool"]
        return json.loads(msg["content"]), msg["tool_call_id"]
    if provider == "anthropic":
        block = body["messages"][-1]["content"][0]
        assert block["type"] == "tool_result"
        return json.loads(block["content"][0]["text"]), block["tool_use_id"]
    part = body["contents"][-1]["parts"][0]["functionResponse"]
    return part["response"], part["name"]


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "stream"])
@pytest.mark.parametrize("provider", list(MODELS))
def test_each_provider_runs_a_tool_then_answers(
    store: Store, fake: FakeAgentLlm, provider: str, streamed: bool
) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", provider, fake.url, maxTokens=300)
    add_agent(store, "support", "m")
    fake.script = [Call("lookup_order", {"order_id": "42"}), Say("Order 42 has shipped.")]
    lookups = Lookups()
    if streamed:
        events = list(
            llmreg.stream(
                product="shop",
                env="prd",
                agent="support",
                input=ASK,
                handlers={"lookup_order": lookups},
                private_key=shop.keys["prd"],
                store=store,
            )
        )
        kinds = [type(e) for e in events]
        assert kinds[0] is ToolStart and ToolEnd in kinds and kinds[-1] is Done
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == (
            "Order 42 has shipped."
        )
        done = events[-1]
        assert isinstance(done, Done)
        result = done.result
    else:
        result = _run(store, shop, "support", handlers={"lookup_order": lookups})
    assert result.status == "completed", result.stop_reason
    assert result.output == "Order 42 has shipped."
    assert lookups.got == [{"order_id": "42"}]
    assert result.iterations == 2 and result.model == "m"
    assert result.usage.input_tokens == 2 * IN and result.usage.output_tokens == 2 * OUT
    (call,) = result.tool_calls
    assert call.name == "lookup_order" and call.arguments == {"order_id": "42"} and call.ok
    assert call.result == {"order_id": "42", "status": "shipped"}
    first, second = fake.take()
    assert SYSTEM in json.dumps(first.body) and ASK in json.dumps(first.body)
    sent, ref = _tool_result_sent(provider, second.body)
    assert sent == {"order_id": "42", "status": "shipped"}
    assert ref in (call.id, "lookup_order")
    # the conversation, provider-neutral; it continues as the next run's input
    roles = [m["role"] for m in result.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert result.messages[1]["tool_calls"][0]["arguments"] == {"order_id": "42"}
    if provider in ("openai", "custom"):  # the declared schema as it is, not rewritten
        assert first.body["tools"][0]["function"]["parameters"] == LOOKUP["parameters"]
        assert "strict" not in first.body["tools"][0]["function"]
        limit = "max_tokens" if provider == "custom" else "max_completion_tokens"
        assert first.body[limit] == 300
    # the agent's settings reached the provider, and its own key
    assert "300" in json.dumps(first.body)
    assert shop.api_keys["m"] in json.dumps(first.headers) or shop.api_keys["m"] in first.path
    # nothing private in the result's repr
    text = repr(result)
    assert ASK not in text and shop.api_keys["m"] not in text
    assert "order_id" not in text and "shipped" not in text


def test_a_conversation_continues(store: Store, fake: FakeAgentLlm) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "openai", fake.url)
    add_agent(store, "support", "m")
    fake.script = [Call("lookup_order", {"order_id": "42"}), Say("Shipped.")]
    first = _run(store, shop, "support")
    fake.take()
    fake.script = [Say("You're welcome.")]
    more = [*first.messages, {"role": "user", "content": "Thanks!"}]
    second = _run(store, shop, "support", input=more)
    assert second.status == "completed" and second.output == "You're welcome."
    (request,) = fake.take()
    sent = request.body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert sent[-1]["content"] == "Thanks!"


def test_bad_arguments_and_a_raising_handler_go_back_to_the_model(
    store: Store, fake: FakeAgentLlm
) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "anthropic", fake.url)
    add_agent(store, "support", "m")
    fake.script = [
        Call("lookup_order", {"order_id": 42}),  # not a string: fails the schema
        Call("lookup_order", {"order_id": "boom"}),
        Say("Sorry, I could not find it."),
    ]
    called: list[str] = []

    async def lookup_order(order_id: str) -> str:  # an async handler
        called.append(order_id)
        raise KeyError(f"no order {order_id}")

    result = _run(store, shop, "support", handlers={"lookup_order": lookup_order})
    assert result.status == "completed" and result.iterations == 3
    assert called == ["boom"]  # the bad arguments never reached the handler
    bad, raised = result.tool_calls
    assert bad.error is not None and "order_id" in bad.error and "not of type 'string'" in bad.error
    assert raised.error == "KeyError: 'no order boom'"
    requests = fake.take()
    errors = [b for b in requests[1].body["messages"][-1]["content"] if b["type"] == "tool_result"]
    assert errors[0]["is_error"] is True and "not of type 'string'" in json.dumps(errors)
    assert "no order boom" in json.dumps(requests[2].body["messages"][-1])


def test_handlers_must_match_the_tools(store: Store, fake: FakeAgentLlm) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "openai", fake.url)
    add_agent(store, "support", "m")
    with pytest.raises(LlmregError, match="'lookup_order' without a handler") as missing:
        _run(store, shop, "support", handlers={"other": print})
    assert "\n" not in str(missing.value)
    with pytest.raises(LlmregError, match="'escalate' that agent 'support'"):
        _run(store, shop, "support", handlers={"lookup_order": Lookups(), "escalate": print})
    with pytest.raises(LlmregError, match="input ends without a user message"):
        _run(store, shop, "support", input=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(LlmregError, match="max_iterations=0"):
        _run(store, shop, "support", max_iterations=0)
    assert fake.take() == []  # no call was made


def test_limits_stop_the_run(store: Store, fake: FakeAgentLlm) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "openai", fake.url)
    add_agent(store, "support", "m", termination={"maxIterations": 3})
    add_agent(store, "frugal", "m", termination={"maxTokens": 2 * (IN + OUT)})
    add_agent(store, "hasty", "m", termination={"timeout": 1500})
    fake.script = [Call("lookup_order", {"order_id": "42"})]  # a model that never stops

    result = _run(store, shop, "support")
    assert (result.status, result.stop_reason) == ("stopped", "max_iterations")
    assert result.iterations == 3 and len(fake.take()) == 3 and len(result.tool_calls) == 3
    assert result.output is None

    result = _run(store, shop, "support", max_iterations=2)  # the per-run override
    assert result.stop_reason == "max_iterations" and result.iterations == 2
    fake.take()

    result = _run(store, shop, "frugal")
    assert (result.status, result.stop_reason) == ("stopped", "max_tokens")
    assert result.usage.total_tokens > 2 * (IN + OUT) and result.iterations == 3
    fake.take()

    fake.script = [Slow(0.5, Call("lookup_order", {"order_id": "42"}))]
    result = _run(store, shop, "hasty")
    assert (result.status, result.stop_reason) == ("stopped", "timeout")
    assert 1.4 < result.elapsed < 10 and 1 <= result.iterations <= 3  # 10: a loaded machine


def test_the_default_limit_is_ten_model_calls(store: Store, fake: FakeAgentLlm) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "cohere", fake.url)
    add_agent(store, "support", "m")
    fake.script = [Call("lookup_order", {"order_id": "42"})]
    result = _run(store, shop, "support")
    assert result.stop_reason == "max_iterations" and result.iterations == 10


def _chain(store: Store, primary: FakeAgentLlm, backup: FakeAgentLlm) -> Shop:
    shop = new_shop(store)
    add_model(store, shop, "main", "openai", primary.url, temperature=0.9, timeout=1000)
    add_model(store, shop, "backup", "anthropic", backup.url, maxTokens=222)
    add_model(store, shop, "spare", "cohere", backup.url)
    add_agent(
        store,
        "support",
        "main",
        fallbacks=["backup"],
        envs=[{"slug": "prd", "modelConfig": {"topP": 0.5}}],
    )
    return shop


@pytest.mark.parametrize("failure", ["503", "429", "timeout", "connection"])
def test_a_failing_model_falls_back(any_store: Store, failure: str) -> None:
    with FakeAgentLlm.running() as primary, FakeAgentLlm.running() as backup:
        shop = _chain(any_store, primary, backup)
        failures: dict[str, Step] = {
            "503": Fail(503),
            "429": Fail(429),
            "timeout": Slow(3, Say("late")),
        }
        primary.script = [failures.get(failure, Say("unused"))]
        if failure == "connection":
            primary._server.shutdown()
            primary._server.server_close()
        backup.script = [Call("lookup_order", {"order_id": "42"}), Say("Shipped.")]
        events = list(
            llmreg.stream(
                product="shop",
                env="prd",
                agent="support",
                input=ASK,
                handlers={"lookup_order": Lookups()},
                private_key=shop.keys["prd"],
                store=any_store,
            )
        )
        done = events[-1]
        assert isinstance(done, Done)
        result = done.result
        assert result.status == "completed", result.stop_reason
        assert result.model == "backup" and result.output == "Shipped."
        fallbacks = [e for e in events if isinstance(e, Fallback)]
        assert fallbacks and fallbacks[0].from_model == "main"
        assert fallbacks[0].to_model == "backup"
        if failure != "connection":
            assert len(primary.take()) >= 1
        first = backup.take()[0]
        # the fallback's own merged settings (its model's, the agent's, the env's) and own key
        assert first.body["max_tokens"] == 222
        sent_headers = json.dumps(first.headers)
        assert shop.api_keys["backup"] in sent_headers and shop.api_keys["main"] not in sent_headers
        cfg = resolve("shop", "prd", "support", private_key=shop.keys["prd"], store=any_store)
        (fb,) = cfg.fallbacks
        assert (fb.model_tag, fb.provider, fb.max_tokens, fb.top_p) == (
            "backup",
            "anthropic",
            222,
            0.5,
        )
        assert fb.temperature == 0.5 and fb.provenance["temperature"] == "agent"
        assert fb.api_key == shop.api_keys["backup"] and cfg.api_key == shop.api_keys["main"]
        assert cfg.termination is None


def test_a_refused_request_does_not_fall_back(store: Store) -> None:
    with FakeAgentLlm.running(Fail(400)) as primary, FakeAgentLlm.running() as backup:
        shop = _chain(store, primary, backup)
        result = _run(store, shop, "support")
        assert result.status == "failed" and result.model is None
        assert result.stop_reason == "model 'main' failed: HTTP 400 (fake)"
        assert backup.take() == []
        primary.script = [Fail(401)]
        assert _run(store, shop, "support").stop_reason == "model 'main' failed: HTTP 401 (fake)"
        assert backup.take() == []


def test_every_model_failing_is_failed(store: Store) -> None:
    with FakeAgentLlm.running(Fail(503)) as primary, FakeAgentLlm.running(Fail(500)) as backup:
        shop = _chain(store, primary, backup)
        result = _run(store, shop, "support")
        assert result.status == "failed"
        assert result.stop_reason is not None and "model 'backup' failed: HTTP 500" in (
            result.stop_reason
        )
        assert shop.api_keys["main"] not in repr(result)


def test_the_chain_resolves_over_http_and_leaves_out_what_is_gone(tmp_path: Path) -> None:
    clear_cache()
    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    with (
        FakeAgentLlm.running() as fake,
        running_registry(tmp_path, db_url) as server,
        HttpStore(server.url, server.admin_token) as http,
    ):
        shop = new_shop(http)
        add_model(http, shop, "main", "openai", fake.url)
        add_model(http, shop, "backup", "google", fake.url, temperature=0.1)
        add_model(http, shop, "later", "cohere", fake.url)
        add_agent(
            http,
            "support",
            "main",
            fallbacks=["backup", "later"],
            termination={"maxTokens": 5000, "timeout": 60000},
        )
        # The registry refuses to delete a model an agent falls back to; one removed behind its
        # back (e.g. by a partial restore) is left out of the chain.
        with sqlite3.connect(tmp_path / "r.db") as db:
            db.execute("DELETE FROM records WHERE kind = ? AND tag = 'later'", (Kind.MODEL.value,))
        cfg = resolve("shop", "prd", "support", private_key=shop.keys["prd"], store=http, ttl=0)
        assert [f.model_tag for f in cfg.fallbacks] == ["backup"]  # 'later' does not exist
        assert cfg.termination is not None
        assert cfg.termination.model_dump() == {
            "max_iterations": 10,
            "max_tokens": 5000,
            "timeout": 60000,
        }
        payload, etag = http.get_resolved("shop", "support", "prd")
        assert payload is not None and payload["resolved"]["fallbacksLeftOut"] == ["later"]
        assert etag.endswith('.f1.f0"')
        add_model(http, shop, "later", "cohere", fake.url)  # back: the ETag changes with it
        again = resolve("shop", "prd", "support", private_key=shop.keys["prd"], store=http, ttl=0)
        assert [f.model_tag for f in again.fallbacks] == ["backup", "later"]
        assert again.fallbacks[1].api_key == shop.api_keys["later"]


def test_arun_and_a_resolved_config_run(store: Store, fake: FakeAgentLlm) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "google", fake.url)
    add_agent(store, "support", "m")
    fake.script = [Say("Hello.")]
    result = asyncio.run(
        llmreg.arun(
            product="shop",
            env="prd",
            agent="support",
            input=ASK,
            handlers={"lookup_order": Lookups()},
            overrides={"temperature": 0.2},
            private_key=shop.keys["prd"],
            store=store,
        )
    )
    assert result.status == "completed" and result.output == "Hello."
    (request,) = fake.take()
    assert request.body["generationConfig"]["temperature"] == 0.2  # the runtime layer
    cfg = resolve("shop", "prd", "support", private_key=shop.keys["prd"], store=store)
    again = cfg.run("Hi", handlers={"lookup_order": Lookups()})
    assert again.status == "completed" and again.messages[0] == {"role": "user", "content": "Hi"}


def test_nothing_private_in_the_log(
    store: Store, fake: FakeAgentLlm, caplog: pytest.LogCaptureFixture
) -> None:
    shop = new_shop(store)
    with FakeAgentLlm.running(Fail(503)) as failing:
        add_model(store, shop, "main", "openai", failing.url)
        add_model(store, shop, "backup", "openai", fake.url)
        add_agent(store, "support", "main", fallbacks=["backup"])
        fake.script = [Call("lookup_order", {"order_id": "secret-7"}), Say("ok")]
        caplog.set_level("INFO")
        result = _run(store, shop, "support", input="my card is 4242")
    assert result.status == "completed" and result.model == "backup"
    assert caplog.records  # the SDKs' HTTP lines were captured
    for secret in ("4242", "secret-7", shop.api_keys["main"], shop.api_keys["backup"]):
        assert secret not in caplog.text and secret not in repr(result)


def test_a_missing_extra_names_it(
    store: Store, fake: FakeAgentLlm, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = new_shop(store)
    add_model(store, shop, "m", "openai", fake.url)
    add_agent(store, "support", "m")
    monkeypatch.setitem(sys.modules, "pydantic_ai", None)
    monkeypatch.delitem(sys.modules, "llmreg.runtime._engine", raising=False)
    with pytest.raises(LlmregError, match=r"pip install 'llmreg\[agents\]'") as exc:
        _run(store, shop, "support")
    assert "\n" not in str(exc.value)
    assert fake.take() == []
