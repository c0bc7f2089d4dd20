"""Literal types shared by the domain and the Pulumi SDK (kept free of pydantic, so that a
Pulumi program imports no more than it needs)."""

from __future__ import annotations

from typing import Literal, get_args

Provider = Literal["anthropic", "openai", "google", "cohere", "custom"]
"""The LLM vendors a model entity can point at (``custom``: any OpenAI-compatible endpoint)."""

PROVIDERS: tuple[str, ...] = get_args(Provider)
