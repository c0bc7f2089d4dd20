"""The dynamic provider's start-up: the cores are loaded with the garbage collector paused and
then frozen (they live as long as the process), the collector is left as it was found, and
nothing is opened before the engine asks for something."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import gc, json, sys
from types import SimpleNamespace
from llmreg.resources._dynamic import LlmModelProvider

{before}
request = SimpleNamespace(config={{}})
LlmModelProvider().configure(request)
print(json.dumps({{
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "cores": "llmreg.deploy" in sys.modules,
}}))
"""


def _configure(tmp_path: Path, before: str) -> dict[str, object]:
    env = {"LLMREG_HOME": str(tmp_path), "LLMREG_URL": "", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, object] = json.loads(out.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(("before", "enabled"), [("", True), ("gc.disable()", False)])
def test_configure_freezes_the_cores_and_leaves_the_collector_as_it_was(
    tmp_path: Path, before: str, enabled: bool
) -> None:
    got = _configure(tmp_path, before)
    assert got["cores"] is True
    assert isinstance(got["frozen"], int) and got["frozen"] > 10_000
    assert got["enabled"] is enabled
    assert list(tmp_path.iterdir()) == []  # the registry is opened by the first operation only
