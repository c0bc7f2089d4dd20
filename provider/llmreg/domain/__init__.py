"""The registry's domain (design §2): one pydantic model per shape that crosses a boundary."""

from .agent import AgentEnv, AgentRecord, AgentSpec, Tool
from .common import PROVIDERS, Provider, Record
from .llm_model import (
    LlmModelRecord,
    ModelEnv,
    ModelEnvRecord,
    ModelEnvSpec,
    ModelSettings,
    SealedKey,
)
from .model_config import OVERRIDABLE_FIELDS, ModelConfig
from .product import KeyRotation, ProductEnv, ProductRecord, ProductSpec
from .rules import parse, problems

__all__ = [
    "OVERRIDABLE_FIELDS",
    "PROVIDERS",
    "AgentEnv",
    "AgentRecord",
    "AgentSpec",
    "KeyRotation",
    "LlmModelRecord",
    "ModelConfig",
    "ModelEnv",
    "ModelEnvRecord",
    "ModelEnvSpec",
    "ModelSettings",
    "ProductEnv",
    "ProductRecord",
    "ProductSpec",
    "Provider",
    "Record",
    "SealedKey",
    "Tool",
    "parse",
    "problems",
]
