"""The agent loop, on pydantic-ai (``llmreg[agents]``): one loop for every provider.

pydantic-ai turns the conversation and the tools into each provider's own shapes (OpenAI chat
completions, Anthropic messages, Gemini contents, Cohere v2 chat) and back; llmreg gives it the
SDK clients :meth:`ResolvedConfig.async_client` / :meth:`ResolvedConfig.client` build (the opened
key, base URL and timeout: never a key from the environment) and each model's resolved
settings. Around it llmreg keeps its own rules: which failures fall back (429, 5xx, a timeout, a
connection error; :func:`falls_back`), the tools' JSON Schemas checked with ``jsonschema``, a
handler's exception or bad arguments sent back as the tool call's error, the limits, and a
result that never raises for a provider failure.

Imported on the first run only: ``import llmreg`` and ``resolve()`` do not load it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from jsonschema import Draft202012Validator
from pydantic_ai import Agent, RunContext
from pydantic_ai import Tool as PaiTool
from pydantic_ai.exceptions import (
    AgentRunError,
    FallbackExceptionGroup,
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
    RunTimedOut,
    ToolFailed,
    UsageLimitExceeded,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    RetryPromptPart,
    TextPart,
    TextPartDelta,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import UsageLimits

from ..domain import Tool
from ..domain.agent import Termination
from ..domain.model_config import OVERRIDABLE_FIELDS
from .params import ANTHROPIC_DEFAULT_MAX_TOKENS
from .result import ResolvedConfig
from .run_result import (
    Done,
    Event,
    Fallback,
    Message,
    RunResult,
    Status,
    TextDelta,
    ToolCall,
    ToolEnd,
    ToolStart,
    Usage,
)

Handler = Callable[..., Any]


@dataclass
class _State:
    """What one run has seen so far (kept outside pydantic-ai, so a stopped run reports it)."""

    chain: list[str]
    last_tag: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)

    def flush(self) -> list[Event]:
        out, self.pending = self.pending, []
        return out


# -- which failures fall back -------------------------------------------------------------------

_FALLS_BACK = (
    ModelRateLimitError,
    ModelUnavailableError,
    ModelServerError,
    ModelConnectionError,  # ModelTimeoutError too
    ModelRequestTimeout,
)


def falls_back(exc: BaseException) -> bool:
    """A rate limit (429), a server error (5xx), a timeout or a connection error: the next model
    of the chain gets the request. Anything else (400, 401, 404, a refused request) ends the
    run."""
    if isinstance(exc, _FALLS_BACK):
        return True
    return isinstance(exc, ModelHTTPError) and (exc.status_code == 429 or exc.status_code >= 500)


def _describe(exc: BaseException) -> str:
    """One line about a provider failure: never its body (it may echo the prompt or a key)."""
    tag = getattr(exc, "llmreg_tag", None)
    who = f"model '{tag}'" if tag else "the model"
    if isinstance(exc, ModelHTTPError):
        code = f" ({exc.provider_error_code})" if exc.provider_error_code else ""
        return f"{who} failed: HTTP {exc.status_code}{code}"
    if isinstance(exc, (ModelTimeoutError, ModelRequestTimeout)):
        return f"{who} failed: timed out"
    if isinstance(exc, ModelConnectionError):
        return f"{who} failed: connection error"
    return f"{who} failed: {type(exc).__name__}"


# -- models -------------------------------------------------------------------------------------


_CONVERTED: dict[str, Callable[[Any], Any]] = {
    "stop_sequences": list,
    "timeout": lambda ms: ms / 1000,  # llmreg's settings are in ms, pydantic-ai's in seconds
}
"""How a setting's value reaches pydantic-ai, where it is not as it is."""


def _settings(cfg: ResolvedConfig) -> ModelSettings:
    """Every overridable setting some layer sets, under the same name in pydantic-ai's
    ``ModelSettings`` (a setting pydantic-ai does not know is left out)."""
    known = ModelSettings.__annotations__
    out: dict[str, Any] = {}
    for name in OVERRIDABLE_FIELDS:
        value = getattr(cfg, name)
        if name == "max_tokens" and value is None and cfg.provider == "anthropic":
            value = ANTHROPIC_DEFAULT_MAX_TOKENS  # Anthropic requires it
        if value is not None and name in known:
            out[name] = _CONVERTED.get(name, lambda v: v)(value)
    settings: ModelSettings = ModelSettings(**out)  # type: ignore[typeddict-item]
    return settings


def _model(cfg: ResolvedConfig, *, last: bool) -> Model:
    """pydantic-ai's model for ``cfg``'s provider on the SDK client llmreg builds. A model with
    another after it in the chain is not retried by its SDK: the chain moves on at once."""
    retries: dict[str, Any] = {} if last else {"max_retries": 0}
    settings = _settings(cfg)
    if cfg.provider in ("openai", "custom"):
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.profiles.openai import OpenAIModelProfile
        from pydantic_ai.providers.openai import OpenAIProvider

        # OpenAI-compatible servers know max_tokens, not all know max_completion_tokens.
        profile = (
            OpenAIModelProfile(openai_chat_supports_max_completion_tokens=False)
            if cfg.provider == "custom"
            else None
        )
        return OpenAIChatModel(
            cfg.model,
            provider=OpenAIProvider(openai_client=cfg.async_client(**retries)),
            profile=profile,
            settings=settings,
        )
    if cfg.provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        provider = AnthropicProvider(anthropic_client=cfg.async_client(**retries))
        return AnthropicModel(cfg.model, provider=provider, settings=settings)
    if cfg.provider == "google":
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        # GoogleProvider takes google.genai.Client and uses its ``.aio`` itself.
        return GoogleModel(
            cfg.model, provider=GoogleProvider(client=cfg.client()), settings=settings
        )
    from pydantic_ai.models.cohere import CohereModel
    from pydantic_ai.providers.cohere import CohereProvider

    provider_ = CohereProvider(cohere_client=cfg.async_client())
    return CohereModel(cfg.model, provider=provider_, settings=settings)


class _Tagged(WrapperModel):
    """One model of the chain: remembers which tag answered, and marks its failures with it."""

    def __init__(self, wrapped: Model, tag: str, state: _State) -> None:
        super().__init__(wrapped)
        self.tag = tag
        self.state = state

    def _mark(self, exc: BaseException) -> None:
        if getattr(exc, "llmreg_tag", None) is None:
            with contextlib.suppress(AttributeError):  # an exception with __slots__
                exc.llmreg_tag = self.tag  # type: ignore[attr-defined]

    async def request(self, *args: Any, **kwargs: Any) -> ModelResponse:
        try:
            response = await super().request(*args, **kwargs)
        except BaseException as exc:
            self._mark(exc)
            raise
        self.state.last_tag = self.tag
        return response

    def request_stream(self, *args: Any, **kwargs: Any) -> Any:
        inner = super().request_stream(*args, **kwargs)
        tagged = self

        class _Ctx:
            async def __aenter__(self) -> Any:
                try:
                    stream = await inner.__aenter__()
                except BaseException as exc:
                    tagged._mark(exc)
                    raise
                tagged.state.last_tag = tagged.tag
                return stream

            async def __aexit__(self, *exc: Any) -> Any:
                return await inner.__aexit__(*exc)

        return _Ctx()


def _chain_model(chain: Sequence[ResolvedConfig], state: _State) -> Model:
    models = [
        _Tagged(_model(cfg, last=i == len(chain) - 1), cfg.model_tag, state)
        for i, cfg in enumerate(chain)
    ]
    if len(models) == 1:
        return models[0]

    def on_failure(exc: BaseException) -> bool:
        if not falls_back(exc):
            return False
        tag = getattr(exc, "llmreg_tag", None)
        if tag in state.chain and state.chain.index(tag) + 1 < len(state.chain):
            nxt = state.chain[state.chain.index(tag) + 1]
            state.pending.append(Fallback(from_model=tag, to_model=nxt, reason=_describe(exc)))
        return True

    return FallbackModel(models[0], *models[1:], fallback_on=on_failure)


# -- tools --------------------------------------------------------------------------------------


def _schema_errors(validator: Draft202012Validator, args: dict[str, Any]) -> str | None:
    problems = sorted(validator.iter_errors(args), key=lambda e: list(map(str, e.absolute_path)))
    if not problems:
        return None
    parts = [
        f"{'/'.join(map(str, p.absolute_path)) or '(arguments)'}: {p.message}" for p in problems
    ]
    return "arguments do not match the tool's parameters: " + "; ".join(parts)


def _tool(tool: Tool, handler: Handler, state: _State) -> PaiTool[None]:
    validator = Draft202012Validator(tool.parameters)
    is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an object with an async __call__
    )

    async def call(ctx: RunContext[None], **args: Any) -> Any:
        call_id = ctx.tool_call_id or f"call-{len(state.tool_calls) + 1}"
        state.pending.append(ToolStart(id=call_id, name=tool.name, arguments=args))
        error = _schema_errors(validator, args)
        result: Any = None
        if error is None:
            try:
                if is_async:
                    result = await handler(**args)
                else:
                    result = await anyio.to_thread.run_sync(functools.partial(handler, **args))
                    if inspect.isawaitable(result):
                        result = await result
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        done = ToolCall(id=call_id, name=tool.name, arguments=args, result=result, error=error)
        state.tool_calls.append(done)
        state.pending.append(ToolEnd(call=done))
        if error is not None:
            raise ToolFailed(error)
        return result

    out: PaiTool[None] = PaiTool.from_schema(
        call, tool.name, tool.description, tool.parameters, takes_ctx=True
    )
    out.strict = False  # the declared schema as it is (strict mode would rewrite it)
    return out


# -- messages -----------------------------------------------------------------------------------


def _args(part: ToolCallPart) -> dict[str, Any]:
    try:
        return part.args_as_dict()
    except Exception:  # arguments the model sent that are not a JSON object
        return {"_raw": part.args if isinstance(part.args, str) else json.dumps(part.args)}


def to_neutral(messages: Sequence[ModelMessage]) -> list[Message]:
    """pydantic-ai's messages as llmreg's provider-neutral ones (system prompt left out)."""
    out: list[Message] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            text = "".join(p.content for p in message.parts if isinstance(p, TextPart))
            calls = [
                {"id": p.tool_call_id, "name": p.tool_name, "arguments": _args(p)}
                for p in message.parts
                if isinstance(p, ToolCallPart)
            ]
            entry: Message = {"role": "assistant", "content": text}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
            continue
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                content = part.content if isinstance(part.content, str) else str(part.content)
                out.append({"role": "user", "content": content})
            elif isinstance(part, ToolReturnPart):
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": part.tool_call_id,
                        "name": part.tool_name,
                        "content": part.model_response_str(),
                    }
                )
            elif isinstance(part, RetryPromptPart) and part.tool_name:
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": part.tool_call_id,
                        "name": part.tool_name,
                        "content": part.model_response(),
                        "is_error": True,
                    }
                )
    return out


def from_neutral(messages: Sequence[Mapping[str, Any]]) -> list[ModelMessage]:
    """llmreg's provider-neutral messages (``RunResult.messages``, or ``{"role", "content"}``
    dicts) as pydantic-ai's."""
    out: list[ModelMessage] = []
    for message in messages:
        role = message["role"]
        if role == "user":
            out.append(ModelRequest(parts=[UserPromptPart(content=str(message["content"]))]))
        elif role == "assistant":
            parts: list[Any] = []
            if message.get("content"):
                parts.append(TextPart(content=str(message["content"])))
            for call in message.get("tool_calls") or []:
                parts.append(
                    ToolCallPart(
                        tool_name=call["name"], args=call["arguments"], tool_call_id=call["id"]
                    )
                )
            out.append(ModelResponse(parts=parts))
        else:  # tool: answers of the assistant message before, gathered into one request
            part: Any
            if message.get("is_error"):
                part = RetryPromptPart(
                    content=str(message["content"]),
                    tool_name=message["name"],
                    tool_call_id=message["tool_call_id"],
                )
            else:
                part = ToolReturnPart(
                    tool_name=message["name"],
                    content=message["content"],
                    tool_call_id=message["tool_call_id"],
                )
            last = out[-1] if out else None
            if isinstance(last, ModelRequest) and all(
                isinstance(p, (ToolReturnPart, RetryPromptPart)) for p in last.parts
            ):
                last.parts = [*last.parts, part]
            else:
                out.append(ModelRequest(parts=[part]))
    return out


# -- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Everything a run needs, checked before any call (``llmreg.runtime.agent_run``)."""

    chain: tuple[ResolvedConfig, ...]
    prompt: str
    history: list[Mapping[str, Any]]
    handlers: Mapping[str, Handler]
    limits: Termination


def _stop_reason(exc: UsageLimitExceeded) -> str:
    return "max_iterations" if "request_limit" in str(exc) else "max_tokens"


async def events(plan: Plan, *, stream: bool) -> AsyncIterator[Event]:
    """Run ``plan``: its events (text deltas only when ``stream``), the last one :class:`Done`."""
    started = time.monotonic()
    primary = plan.chain[0]
    state = _State(chain=[c.model_tag for c in plan.chain])
    agent: Agent[None, str] = Agent(
        _chain_model(plan.chain, state),
        instructions=primary.system_prompt,
        tools=[_tool(t, plan.handlers[t.name], state) for t in primary.tools],
        retries=plan.limits.max_iterations,
    )
    limits = UsageLimits(
        request_limit=plan.limits.max_iterations, total_tokens_limit=plan.limits.max_tokens
    )
    timeout = plan.limits.timeout / 1000 if plan.limits.timeout is not None else None
    status: Status = "failed"
    output: str | None = None
    reason: str | None = None
    history = from_neutral(plan.history)
    run: Any = None
    try:
        async with agent.iter(
            plan.prompt, message_history=history, usage_limits=limits, timeout=timeout
        ) as run:
            async for node in run:
                if stream and Agent.is_model_request_node(node):
                    deltas: Any
                    async with node.stream(run.ctx) as deltas:
                        async for event in deltas:
                            for pending in state.flush():
                                yield pending
                            text = _text_of(event)
                            if text:
                                yield TextDelta(text=text)
                for pending in state.flush():
                    yield pending
        assert run.result is not None
        status, output = "completed", run.result.output
    except UsageLimitExceeded as exc:
        status, reason = "stopped", _stop_reason(exc)
    except RunTimedOut:
        status, reason = "stopped", "timeout"
    except FallbackExceptionGroup as group:
        status, reason = "failed", _describe(group.exceptions[-1])
    except (ModelAPIError, AgentRunError) as exc:
        status, reason = "failed", _describe(exc)
    for pending in state.flush():
        yield pending
    usage = run.usage if run is not None else None
    messages = to_neutral(run.all_messages()) if run is not None else []
    result = RunResult(
        status=status,
        output=output if status == "completed" else None,
        stop_reason=reason,
        iterations=usage.requests if usage is not None else 0,
        tool_calls=state.tool_calls,
        usage=Usage(
            input_tokens=usage.input_tokens if usage is not None else 0,
            output_tokens=usage.output_tokens if usage is not None else 0,
        ),
        model=state.last_tag,
        messages=messages,
        elapsed=time.monotonic() - started,
    )
    yield Done(result=result)


def _text_of(event: Any) -> str | None:
    if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
        return event.part.content
    if isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
        return event.delta.content_delta
    return None
