"""``llmreg.run`` / ``arun`` / ``stream``: run a declared agent with its tools, limits and fallback
models (docs/runtime.md, "Running an agent").

The checks (input, handlers, limits) happen here, before any call and without the agent library;
the loop itself is :mod:`llmreg.runtime._engine`, imported on the first run (``llmreg[agents]``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from typing_extensions import TypedDict, Unpack

from ..domain.agent import DEFAULT_MAX_ITERATIONS, Termination
from ..errors import LlmregError
from ._resolve import Overrides, PrivateKeys, StoreOptions, resolve
from .run_result import Done, Event, RunResult

if TYPE_CHECKING:
    from ._engine import Plan
    from .result import ResolvedConfig

Input = str | Sequence[Mapping[str, Any]]
Handlers = Mapping[str, Callable[..., Any]]


class RunLimits(TypedDict, total=False):
    """One run's limits, each overriding the agent's declared ``termination`` (None: the
    agent's)."""

    max_iterations: int | None
    """The most model calls."""
    max_tokens: int | None
    """The most tokens, input + output, summed over the run (not the per-call ``maxTokens``)."""
    timeout: int | None
    """The whole run's time limit in milliseconds."""


def _engine() -> ModuleType:
    try:
        return importlib.import_module("llmreg.runtime._engine")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("pydantic_ai"):
            raise
        raise LlmregError(
            "running an agent needs pydantic-ai, which is not installed: "
            "pip install 'llmreg[agents]' (Python 3.11 or later)"
        ) from None


def _what(cfg: ResolvedConfig) -> str:
    return f"agent '{cfg.agent}' ({cfg.product}/{cfg.env})"


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in sorted(names))


def _check_handlers(cfg: ResolvedConfig, handlers: Handlers | None) -> dict[str, Any]:
    given = dict(handlers or {})
    declared = [t.name for t in cfg.tools]
    missing = [n for n in declared if n not in given]
    if missing:
        raise LlmregError(
            f"{_what(cfg)} declares tool(s) {_names(missing)} without a handler: pass "
            "handlers={name: function} for every declared tool"
        )
    extra = [n for n in given if n not in declared]
    if extra:
        raise LlmregError(
            f"handlers names tool(s) {_names(extra)} that {_what(cfg)} does not declare "
            f"(it declares {_names(declared) or 'none'})"
        )
    bad = [n for n, h in given.items() if not callable(h)]
    if bad:
        raise LlmregError(f"handlers[{_names(bad)}] is not callable: pass a function")
    return given


def _split_input(input: Input) -> tuple[str, list[Mapping[str, Any]]]:
    """The new user prompt and the conversation before it."""
    if isinstance(input, str):
        return input, []
    messages = list(input)
    roles = ("user", "assistant", "tool")
    for i, m in enumerate(messages):
        if not isinstance(m, Mapping) or m.get("role") not in roles:
            raise LlmregError(
                f"input[{i}] is not a message: pass a str, or a list of "
                '{"role": "user" | "assistant", "content": str} dicts'
            )
        if m["role"] != "tool" and not isinstance(m.get("content", ""), str):
            raise LlmregError(f"input[{i}].content is not a str: pass the message's text")
    if not messages or messages[-1]["role"] != "user":
        raise LlmregError('input ends without a user message: add {"role": "user", "content": ...}')
    return str(messages[-1]["content"]), messages[:-1]


def _limit(name: str, value: int | float | None) -> None:
    if value is not None and (isinstance(value, bool) or value <= 0):
        raise LlmregError(f"{name}={value!r} is not a limit: pass a number > 0, or None")


def plan(cfg: ResolvedConfig, input: Input, handlers: Handlers | None, limits: RunLimits) -> Plan:
    """The run's plan, every check done (one-line LlmregError otherwise)."""
    if cfg.agent is None:
        raise LlmregError(
            f"model '{cfg.model_tag}' ({cfg.product}/{cfg.env}) is not an agent: run an agent "
            "(llmreg.run(agent=...)), which declares the tools and limits"
        )
    given = _check_handlers(cfg, handlers)
    prompt, history = _split_input(input)
    _limit("max_iterations", limits.get("max_iterations"))
    _limit("max_tokens", limits.get("max_tokens"))
    _limit("timeout", limits.get("timeout"))
    declared = cfg.termination or Termination()
    obeyed = Termination(
        max_iterations=limits.get("max_iterations")
        or declared.max_iterations
        or DEFAULT_MAX_ITERATIONS,
        max_tokens=limits.get("max_tokens") or declared.max_tokens,
        timeout=limits.get("timeout") or declared.timeout,
    )
    engine = _engine()
    return engine.Plan(  # type: ignore[no-any-return]
        chain=(cfg, *cfg.fallbacks),
        prompt=prompt,
        history=history,
        handlers=given,
        limits=obeyed,
    )


async def _result(p: Plan) -> RunResult:
    async for event in _engine().events(p, stream=False):
        if isinstance(event, Done):
            return event.result
    raise AssertionError("the run ended without a result")  # pragma: no cover


def _in_own_loop(coro: Any) -> Any:
    """``asyncio.run`` here, or on a thread of its own when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def arun_config(
    cfg: ResolvedConfig,
    input: Input,
    handlers: Handlers | None = None,
    **limits: Unpack[RunLimits],
) -> RunResult:
    return await _result(plan(cfg, input, handlers, limits))


def run_config(
    cfg: ResolvedConfig,
    input: Input,
    handlers: Handlers | None = None,
    **limits: Unpack[RunLimits],
) -> RunResult:
    p = plan(cfg, input, handlers, limits)
    return _in_own_loop(_result(p))  # type: ignore[no-any-return]


async def astream_config(
    cfg: ResolvedConfig,
    input: Input,
    handlers: Handlers | None = None,
    **limits: Unpack[RunLimits],
) -> AsyncIterator[Event]:
    p = plan(cfg, input, handlers, limits)
    async for event in _engine().events(p, stream=True):
        yield event


_END = object()


def stream_config(
    cfg: ResolvedConfig,
    input: Input,
    handlers: Handlers | None = None,
    **limits: Unpack[RunLimits],
) -> Iterator[Event]:
    """The events of a run, as they come (checks done before the first one); the run goes on
    in an event loop on a thread of its own. Leaving the loop early ends the run at its next
    event."""
    return _pumped(plan(cfg, input, handlers, limits))


def _pumped(p: Plan) -> Iterator[Event]:
    out: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    async def pump() -> None:
        try:
            async for event in _engine().events(p, stream=True):
                out.put(event)
                if stop.is_set():
                    return
        except BaseException as exc:  # surfaced in the caller's thread
            out.put(exc)
        finally:
            out.put(_END)

    worker = threading.Thread(target=asyncio.run, args=(pump(),), daemon=True)
    worker.start()
    try:
        while (item := out.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _resolved(
    product: str,
    env: str,
    agent: str,
    overrides: Overrides,
    private_key: PrivateKeys | None,
    options: StoreOptions,
) -> ResolvedConfig:
    return resolve(product, env, agent, overrides, private_key, **options)


def run(
    product: str,
    env: str,
    agent: str,
    input: Input,
    handlers: Handlers | None = None,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    *,
    max_iterations: int | None = None,
    max_tokens: int | None = None,
    timeout: int | None = None,
    **options: Unpack[StoreOptions],
) -> RunResult:
    """Resolve ``agent`` (like :func:`llmreg.resolve`) and run it on ``input`` with its tools'
    ``handlers``, its fallback models and its limits (``max_iterations``, ``max_tokens``,
    ``timeout`` in ms override the agent's). Never raises for a provider failure: see
    ``RunResult.status``."""
    cfg = _resolved(product, env, agent, overrides, private_key, options)
    return run_config(
        cfg, input, handlers, max_iterations=max_iterations, max_tokens=max_tokens, timeout=timeout
    )


async def arun(
    product: str,
    env: str,
    agent: str,
    input: Input,
    handlers: Handlers | None = None,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    *,
    max_iterations: int | None = None,
    max_tokens: int | None = None,
    timeout: int | None = None,
    **options: Unpack[StoreOptions],
) -> RunResult:
    """:func:`run`, awaited (the store is read on a worker thread)."""
    cfg = await asyncio.to_thread(_resolved, product, env, agent, overrides, private_key, options)
    return await arun_config(
        cfg, input, handlers, max_iterations=max_iterations, max_tokens=max_tokens, timeout=timeout
    )


def stream(
    product: str,
    env: str,
    agent: str,
    input: Input,
    handlers: Handlers | None = None,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    *,
    max_iterations: int | None = None,
    max_tokens: int | None = None,
    timeout: int | None = None,
    **options: Unpack[StoreOptions],
) -> Iterator[Event]:
    """:func:`run`, yielding its events as they come: ``TextDelta``, ``ToolStart``, ``ToolEnd``,
    ``Fallback`` and, last, ``Done`` with the result."""
    cfg = _resolved(product, env, agent, overrides, private_key, options)
    return stream_config(
        cfg, input, handlers, max_iterations=max_iterations, max_tokens=max_tokens, timeout=timeout
    )


async def astream(
    product: str,
    env: str,
    agent: str,
    input: Input,
    handlers: Handlers | None = None,
    overrides: Overrides = None,
    private_key: PrivateKeys | None = None,
    *,
    max_iterations: int | None = None,
    max_tokens: int | None = None,
    timeout: int | None = None,
    **options: Unpack[StoreOptions],
) -> AsyncIterator[Event]:
    """:func:`stream` for async code."""
    cfg = await asyncio.to_thread(_resolved, product, env, agent, overrides, private_key, options)
    async for event in astream_config(
        cfg, input, handlers, max_iterations=max_iterations, max_tokens=max_tokens, timeout=timeout
    ):
        yield event


__all__ = ["Handlers", "Input", "arun", "astream", "run", "stream"]
