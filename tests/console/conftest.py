"""Fixtures of the console tests: Debian's headless Chromium driven by Playwright, and the
server tests' registry (``tests/server/conftest.py``: a real ``llmreg serve`` with products
``a`` and ``b`` and their tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.server.conftest import registry, world

__all__ = ["browser", "playwright", "registry", "world"]

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's package (scripts/setup-chromium installs it); Playwright never downloads one."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Module-scoped: while Playwright's sync driver runs, its event loop is the thread's
    running loop, and ``asyncio.run`` in a later test of the same process would fail."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-chromium (`make test` does)")
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
