"""What an agent run gives back: :class:`RunResult`, and the events :func:`llmreg.stream` yields.

Imports nothing heavy: these shapes are the runtime's, not the agent library's. Their ``repr``
never shows a prompt, an answer, a tool's arguments or result (they may hold personal data):
only counts, names, the status and the reason.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["completed", "stopped", "failed"]
Message = dict[str, Any]
"""A provider-neutral message: ``{"role": "user" | "assistant", "content": str}``; an assistant
message that calls tools also has ``tool_calls: [{"id", "name", "arguments"}]``, and each answer
is ``{"role": "tool", "tool_call_id", "name", "content"}``."""


class _Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Usage(_Shape):
    """Tokens summed over every model call of the run."""

    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class ToolCall(_Shape):
    """One call of a tool by the model: its arguments, and the handler's result or the error
    that went back to the model instead (arguments that failed the tool's JSON Schema, or the
    handler's exception)."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(repr=False)
    result: Any = Field(default=None, repr=False)
    error: str | None = Field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        yield "ok", self.ok


class RunResult(_Shape):
    """The outcome of one run of an agent (docs/runtime.md, "Running an agent")."""

    status: Status
    output: str | None = Field(default=None, repr=False)
    """The final text (None unless ``completed``)."""
    stop_reason: str | None = None
    """For ``stopped``: ``max_iterations``, ``max_tokens`` or ``timeout``; for ``failed``: the
    error, in one line."""
    iterations: int = 0
    """Model calls made (answered ones, by whichever model of the chain)."""
    tool_calls: list[ToolCall] = Field(default_factory=list, repr=False)
    usage: Usage = Field(default_factory=Usage)
    model: str | None = None
    """The tag of the model that gave the last answer (the agent's or a fallback)."""
    messages: list[Message] = Field(default_factory=list, repr=False)
    """The conversation, input included (the system prompt is not a message here): pass it, plus
    a new user message, as the ``input`` of the next run to continue it."""
    elapsed: float = 0.0
    """Seconds the run took."""

    def __repr_args__(self) -> Any:
        yield from super().__repr_args__()
        yield "tool_calls", len(self.tool_calls)


class TextDelta(_Shape):
    type: Literal["text"] = "text"
    text: str = Field(repr=False)


class ToolStart(_Shape):
    type: Literal["tool_start"] = "tool_start"
    id: str
    name: str
    arguments: dict[str, Any] = Field(repr=False)


class ToolEnd(_Shape):
    type: Literal["tool_end"] = "tool_end"
    call: ToolCall


class Fallback(_Shape):
    """The model ``from_model`` failed in a way that falls back (429, 5xx, a timeout, a
    connection error): ``to_model`` gets the same request."""

    type: Literal["fallback"] = "fallback"
    from_model: str
    to_model: str
    reason: str


class Done(_Shape):
    type: Literal["done"] = "done"
    result: RunResult


Event = TextDelta | ToolStart | ToolEnd | Fallback | Done

__all__ = [
    "Done",
    "Event",
    "Fallback",
    "Message",
    "RunResult",
    "Status",
    "TextDelta",
    "ToolCall",
    "ToolEnd",
    "ToolStart",
    "Usage",
]
