"""pytest fixtures for tests that drive the real Pulumi engine.

Register them from the root ``tests/conftest.py``::

    pytest_plugins = ["tests.harness.fixtures"]

When no toolchain can be found or built, tests using these fixtures fail (never skip): a skipped
engine test proves nothing. ``make test`` provides the toolchain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .pulumi_engine import (
    PulumiUnavailable,
    PulumiWorkspace,
    WorkspaceFactory,
    find_pulumi_bin,
    node_modules_dir,
)

__all__ = [
    "WorkspaceFactory",
    "pulumi_bin",
    "pulumi_node_modules",
    "pulumi_workspace",
    "require_node_modules",
    "require_pulumi_bin",
]


def require_pulumi_bin() -> Path:
    """The Pulumi bin directory, or fail the calling test saying why there is none."""
    try:
        return find_pulumi_bin()
    except PulumiUnavailable as exc:
        pytest.fail(f"Pulumi toolchain unavailable: {exc} (`make test` builds it)", pytrace=False)


def require_node_modules() -> Path:
    """The pinned node_modules for TypeScript programs, or fail the calling test saying why."""
    try:
        return node_modules_dir()
    except PulumiUnavailable as exc:
        pytest.fail(f"Node.js packages unavailable: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """Directory with ``pulumi`` and the Python plugins (see scripts/setup-pulumi)."""
    return require_pulumi_bin()


@pytest.fixture(scope="session")
def pulumi_node_modules() -> Path:
    """``node_modules`` with the pinned @pulumi/pulumi and typescript (one ``npm ci`` per
    lockfile, cached in ``$LLMREG_CACHE/node``), for ``runtime="nodejs"`` workspaces."""
    return require_node_modules()


@pytest.fixture
def pulumi_workspace(pulumi_bin: Path, tmp_path: Path) -> Iterator[WorkspaceFactory]:
    """Factory: ``pulumi_workspace(program, **kwargs) -> PulumiWorkspace``.

    Each call gets a fresh directory under ``tmp_path``; kwargs go to :class:`PulumiWorkspace`
    (``runtime="nodejs"`` or ``"yaml"`` for TypeScript and YAML programs).
    """
    count = 0

    def make(program: str | Path, **kwargs: Any) -> PulumiWorkspace:
        nonlocal count
        count += 1
        kwargs.setdefault("bin_dir", pulumi_bin)
        if kwargs.get("runtime") == "nodejs" and kwargs.get("node_modules") is None:
            kwargs["node_modules"] = require_node_modules()
        return PulumiWorkspace(tmp_path / f"pulumi-{count}", program, **kwargs)

    yield make
