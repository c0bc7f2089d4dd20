"""Argument classes shared by several resources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class ModelConfigArgs:
    """One override layer (agent- or environment-level): every field left None is inherited.

    Precedence, highest first: runtime > environment > agent > model.
    """

    temperature: pulumi.Input[float] | None = None
    """Sampling temperature, 0-2."""
    max_tokens: pulumi.Input[int] | None = None
    """Maximum tokens to generate, > 0."""
    top_p: pulumi.Input[float] | None = None
    """Nucleus sampling, 0-1."""
    stop_sequences: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """Stop sequences; a layer that sets them replaces the inherited list whole."""
    timeout: pulumi.Input[int] | None = None
    """Request timeout in milliseconds, > 0."""

    def to_props(self) -> dict[str, Any]:
        """The camelCase property bag, leaving out unset fields."""
        props = {
            "temperature": self.temperature,
            "maxTokens": self.max_tokens,
            "topP": self.top_p,
            "stopSequences": list(self.stop_sequences)
            if isinstance(self.stop_sequences, list | tuple)
            else self.stop_sequences,
            "timeout": self.timeout,
        }
        return {k: v for k, v in props.items() if v is not None}
