"""The typed core of llmreg's Pulumi resources: check, diff and CRUD of Product, LlmModel and
Agent over plain property maps, knowing nothing of ``pulumi.dynamic`` or of the plugin
protocol. ``llmreg.resources`` (dynamic resources) and ``llmreg.plugin`` (the native provider)
are thin adapters over :data:`CORES`."""

from .agent import AgentArgs, AgentCore, AgentOutputs
from .base import Checked, Diffed, ResourceCore
from .context import CONFIG_KEYS, DeployContext
from .llm_model import LlmModelArgs, LlmModelCore, LlmModelOutputs
from .product import ProductArgs, ProductCore, ProductOutputs
from .props import UNKNOWN, Props

CORES: dict[str, ResourceCore] = {  # type: ignore[type-arg]
    "Product": ProductCore(),
    "LlmModel": LlmModelCore(),
    "Agent": AgentCore(),
}
"""Each resource's core, by its type name."""

__all__ = [
    "CONFIG_KEYS",
    "CORES",
    "UNKNOWN",
    "AgentArgs",
    "AgentCore",
    "AgentOutputs",
    "Checked",
    "DeployContext",
    "Diffed",
    "LlmModelArgs",
    "LlmModelCore",
    "LlmModelOutputs",
    "ProductArgs",
    "ProductCore",
    "ProductOutputs",
    "Props",
    "ResourceCore",
]
