"""pytest fixtures for tests that drive the real Pulumi engine.

Register them from the root ``tests/conftest.py``::

    pytest_plugins = ["tests.harness.fixtures"]

When no toolchain is available, tests using these fixtures are skipped, except with
``CI=true``, where they fail: CI must never silently skip the engine tests. A set but broken
``LLMREG_PULUMI_BIN`` always fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .pulumi_engine import (
    PulumiMisconfigured,
    PulumiUnavailable,
    PulumiWorkspace,
    WorkspaceFactory,
    find_pulumi_bin,
)

__all__ = ["WorkspaceFactory", "pulumi_bin", "pulumi_workspace", "require_pulumi_bin"]


def require_pulumi_bin() -> Path:
    """The Pulumi bin directory, or skip (fail when ``CI=true``) the calling test.

    This is the only place the engine tests may be skipped.
    """
    try:
        return find_pulumi_bin()
    except PulumiUnavailable as exc:
        message = f"Pulumi toolchain unavailable: {exc}"
        if isinstance(exc, PulumiMisconfigured) or os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


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
