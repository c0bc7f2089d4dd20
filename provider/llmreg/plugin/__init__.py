"""``pulumi-resource-llmreg``: llmreg's resources as a native Pulumi provider plugin, for
programs in any Pulumi language (TypeScript, YAML, ...) and for ``pulumi import``.

The engine starts this executable directly (no language host); install it with ``pulumi plugin
install resource llmreg <version> --file $(which pulumi-resource-llmreg)``. It serves the same
resource cores as the Python dynamic resources (:mod:`llmreg.deploy`).
"""

from __future__ import annotations

import sys

from .. import __version__


def main() -> None:
    """Serve the provider to the engine (the entry point ``pulumi-resource-llmreg``)."""
    from pulumi.provider.experimental import server

    from ._errors import one_line_servicer
    from ._provider import LlmregProvider

    # server.main builds its servicer by this name: every error reaches the engine as one line.
    server.ProviderServicer = one_line_servicer(server.ProviderServicer)  # type: ignore[misc]
    server.main(sys.argv[1:], __version__, LlmregProvider(__version__))


__all__ = ["main"]
