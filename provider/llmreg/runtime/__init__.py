"""The agent runtime: :func:`resolve` / :func:`resolve_model` → :class:`ResolvedConfig`."""

from ._resolve import DEFAULT_TTL, clear_cache, resolve, resolve_model
from .result import ApiKey, ResolvedConfig

__all__ = ["DEFAULT_TTL", "ApiKey", "ResolvedConfig", "clear_cache", "resolve", "resolve_model"]
