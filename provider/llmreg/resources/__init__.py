"""Pulumi dynamic resources: Product, LlmModel, Agent and their argument classes."""

from .agent import Agent, AgentEnvArgs, ToolArgs
from .args import ModelConfigArgs
from .llm_model import LlmModel, ModelEnvArgs
from .product import Product

__all__ = [
    "Agent",
    "AgentEnvArgs",
    "LlmModel",
    "ModelConfigArgs",
    "ModelEnvArgs",
    "Product",
    "ToolArgs",
]
