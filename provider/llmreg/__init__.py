"""llmreg: LLM model configurations and AI agents as infrastructure-as-code with Pulumi.

Public API:

- Pulumi resources: :class:`Product`, :class:`LlmModel`, :class:`Agent` and their argument
  classes :class:`ModelEnvArgs`, :class:`ModelConfigArgs`, :class:`AgentEnvArgs`,
  :class:`ToolArgs`, :class:`TerminationArgs`.
- The agent runtime: :func:`resolve`, :func:`resolve_model` and their result
  :class:`ResolvedConfig`.
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
    "open_store": ".store",
}

__all__ = [
    "Agent",
    "AgentEnvArgs",
    "AgentEnvArgsDict",
    "KeyRotationArgs",
    "KeyRotationArgsDict",
    "LlmModel",
    "ModelConfigArgs",
    "ModelConfigArgsDict",
    "ModelEnvArgs",
    "ModelEnvArgsDict",
    "Product",
    "ResolvedConfig",
    "TerminationArgs",
    "TerminationArgsDict",
    "ToolArgs",
    "ToolArgsDict",
    "open_store",
    "resolve",
    "resolve_model",
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
