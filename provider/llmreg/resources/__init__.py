"""Pulumi dynamic resources: Product, LlmModel, Agent and their input types."""

from .agent import Agent
from .args import (
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
from .llm_model import LlmModel
from .product import Product

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
