"""``pulumi-resource-llmreg``: llmreg's resources as a native Pulumi provider plugin, for
programs in any Pulumi language (TypeScript, YAML, ...) and for ``pulumi import``.

The engine starts this executable directly (no language host); install it with ``pulumi plugin
install resource llmreg <version> --file $(which pulumi-resource-llmreg)``. It serves the same
resource cores as the Python dynamic resources (:mod:`llmreg.deploy`).
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from .. import __version__
from ..errors import LlmregError
from ..settings import DEBUG


class _OneLineErrors:
    """Stands in for the ``traceback`` module of the plugin server, which appends the Python
    stack to every error: an llmreg error is reported as its message alone."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def extract_tb(*args: Any, **kwargs: Any) -> Any:
        if isinstance(sys.exc_info()[1], LlmregError) and not DEBUG.get():
            return traceback.StackSummary()
        return traceback.extract_tb(*args, **kwargs)


def main() -> None:
    """Serve the provider to the engine (the entry point ``pulumi-resource-llmreg``)."""
    from pulumi.provider.experimental import server

    from ._provider import LlmregProvider

    server.traceback = _OneLineErrors()  # type: ignore[assignment,attr-defined]
    server.main(sys.argv[1:], __version__, LlmregProvider(__version__))


__all__ = ["main"]
