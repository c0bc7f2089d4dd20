"""The registry's domain (design §2): one pydantic model per shape that crosses a boundary."""

from .agent import AgentEnv, AgentRecord, Tool
from .common import Provider, Record
from .llm_model import (
    LlmModelRecord,
    LlmModelSpec,
    ModelEnvRecord,
    ModelEnvSpec,
    SealedKey,
)
from .model_config import OVERRIDABLE_FIELDS, ModelConfig
from .product import ProductEnv, ProductRecord
from .rules import parse, problems

__all__ = [
    "OVERRIDABLE_FIELDS",
    "AgentEnv",
    "AgentRecord",
    "LlmModelRecord",
    "LlmModelSpec",
    "ModelConfig",
    "ModelEnvRecord",
    "ModelEnvSpec",
    "ProductEnv",
    "ProductRecord",
    "Provider",
    "Record",
    "SealedKey",
    "Tool",
    "parse",
    "problems",
]
