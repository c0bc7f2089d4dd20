"""Fixtures of the resource-core unit tests: an embedded store in a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmreg.deploy import DeployContext
from llmreg.store import open_store
from llmreg.store.base import Store


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def ctx(db_url: str) -> DeployContext:
    return DeployContext({"url": db_url})


@pytest.fixture
def store(db_url: str) -> Store:
    return open_store(db_url)
