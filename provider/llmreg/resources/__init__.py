"""Pulumi dynamic resources: Product, LlmModel, Agent and their input types.

Their classes and signatures are generated from the shapes (``_generated``, ``make generate``);
what they do with their arguments is hand-written in ``_wiring``."""

from ._generated.agent import Agent
from ._generated.args import (
    AgentEnvArgs,
    AgentEnvArgsDict,
    KeyRotationArgs,
    KeyRotationArgsDict,
    ModelConfigArgs,
    ModelConfigArgsDict,
    ModelEnvArgs,
    ModelEnvArgsDict,
    TerminationArgs,
    TerminationArgsDict,
    ToolArgs,
    ToolArgsDict,
)
from ._generated.llm_model import LlmModel
from ._generated.product import Product

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
    "TerminationArgs",
    "TerminationArgsDict",
    "ToolArgs",
    "ToolArgsDict",
]
