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
)

__all__ = ["WorkspaceFactory", "pulumi_bin", "pulumi_workspace", "require_pulumi_bin"]


def require_pulumi_bin() -> Path:
    """The Pulumi bin directory, or fail the calling test saying why there is none."""
    try:
        return find_pulumi_bin()
    except PulumiUnavailable as exc:
        pytest.fail(f"Pulumi toolchain unavailable: {exc} (`make test` builds it)", pytrace=False)


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    """Directory with ``pulumi`` and the Python plugins (see scripts/setup-pulumi)."""
    return require_pulumi_bin()


@pytest.fixture
def pulumi_workspace(pulumi_bin: Path, tmp_path: Path) -> Iterator[WorkspaceFactory]:
    """Factory: ``pulumi_workspace(program, **kwargs) -> PulumiWorkspace``.

    Each call gets a fresh directory under ``tmp_path``; kwargs go to :class:`PulumiWorkspace`.
    """
    count = 0

    def make(program: str | Path, **kwargs: Any) -> PulumiWorkspace:
        nonlocal count
        count += 1
        kwargs.setdefault("bin_dir", pulumi_bin)
        return PulumiWorkspace(tmp_path / f"pulumi-{count}", program, **kwargs)

    yield make
