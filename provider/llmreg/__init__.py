"""llmreg: LLM model configurations and AI agents as infrastructure-as-code with Pulumi.

Public API:

- Pulumi resources: :class:`Product`, :class:`LlmModel`, :class:`Agent` and their argument
  classes :class:`ModelEnvArgs`, :class:`ModelConfigArgs`, :class:`AgentEnvArgs`,
  :class:`ToolArgs`, :class:`TerminationArgs`.
- The agent runtime: :func:`resolve`, :func:`resolve_model` and their result
  :class:`ResolvedConfig`; :func:`run`, :func:`arun`, :func:`stream`, :func:`astream` run an
  agent (``llmreg[agents]``) and give a :class:`RunResult` (its :class:`ToolCall` and
  :class:`Usage`); :func:`stream` yields :class:`TextDelta`, :class:`ToolStart`,
  :class:`ToolEnd`, :class:`Fallback` and :class:`Done` events.
- The store: :func:`open_store`; errors in :mod:`llmreg.errors`.

Names are loaded on first use, so that a runtime that only resolves configurations does not
import the Pulumi SDK, and the dynamic provider does not import the runtime's HTTP stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .resources import (
        Agent,
        AgentEnvArgs,
        AgentEnvArgsDict,
        KeyRotationArgs,
        KeyRotationArgsDict,
        LlmModel,
        ModelConfigArgs,
        ModelConfigArgsDict,
        ModelEnvArgs,
        ModelEnvArgsDict,
        Product,
        TerminationArgs,
        TerminationArgsDict,
        ToolArgs,
        ToolArgsDict,
    )
    from .runtime import ResolvedConfig, resolve, resolve_model
    from .runtime.agent_run import arun, astream, run, stream
    from .runtime.run_result import (
        Done,
        Fallback,
        RunResult,
        TextDelta,
        ToolCall,
        ToolEnd,
        ToolStart,
        Usage,
    )
    from .store import open_store

__version__ = "0.1.0"

_EXPORTS = {
    "Agent": ".resources",
    "AgentEnvArgs": ".resources",
    "LlmModel": ".resources",
    "ModelConfigArgs": ".resources",
    "ModelEnvArgs": ".resources",
    "Product": ".resources",
    "TerminationArgs": ".resources",
    "TerminationArgsDict": ".resources",
    "ToolArgs": ".resources",
    "ToolArgsDict": ".resources",
    "ModelEnvArgsDict": ".resources",
    "ModelConfigArgsDict": ".resources",
    "KeyRotationArgsDict": ".resources",
    "KeyRotationArgs": ".resources",
    "AgentEnvArgsDict": ".resources",
    "ResolvedConfig": ".runtime",
    "resolve": ".runtime",
    "resolve_model": ".runtime",
    "run": ".runtime.agent_run",
    "arun": ".runtime.agent_run",
    "stream": ".runtime.agent_run",
    "astream": ".runtime.agent_run",
    "Done": ".runtime.run_result",
    "Fallback": ".runtime.run_result",
    "RunResult": ".runtime.run_result",
    "TextDelta": ".runtime.run_result",
    "ToolCall": ".runtime.run_result",
    "ToolEnd": ".runtime.run_result",
    "ToolStart": ".runtime.run_result",
    "Usage": ".runtime.run_result",
    "open_store": ".store",
}

__all__ = [
    "Agent",
    "AgentEnvArgs",
    "AgentEnvArgsDict",
    "Done",
    "Fallback",
    "KeyRotationArgs",
    "KeyRotationArgsDict",
    "LlmModel",
    "ModelConfigArgs",
    "ModelConfigArgsDict",
    "ModelEnvArgs",
    "ModelEnvArgsDict",
    "Product",
    "ResolvedConfig",
    "RunResult",
    "TerminationArgs",
    "TerminationArgsDict",
    "TextDelta",
    "ToolArgs",
    "ToolArgsDict",
    "ToolCall",
    "ToolEnd",
    "ToolStart",
    "Usage",
    "arun",
    "astream",
    "open_store",
    "resolve",
    "resolve_model",
    "run",
    "stream",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmreg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
