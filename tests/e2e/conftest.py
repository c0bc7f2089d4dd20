"""Fixtures of llmreg's end-to-end tests: a registry (embedded or a real `llmreg serve`) and
Pulumi workspaces wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .llmreg_e2e import Registry, embedded_registry, server_registry


@pytest.fixture(params=["embedded", "server"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """The store the stack writes to: the embedded default (``$LLMREG_HOME``) or a real
    ``llmreg serve`` subprocess reached over HTTP with a bearer token from stack config."""
    root = tmp_path_factory.mktemp(f"registry-{request.param}")
    if request.param == "embedded":
        yield embedded_registry(root)
    else:
        with server_registry(root) as reg:
            yield reg


@pytest.fixture
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """The embedded store only (for tests where the transport does not matter)."""
    return embedded_registry(tmp_path_factory.mktemp("registry-embedded"))
