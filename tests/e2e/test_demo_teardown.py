"""`make demo` ends by printing a tear-down command; pasted into a fresh shell (no pulumi on
PATH, no demo variables, a stray LLMREG_URL) it destroys the demo stack (issue 18, item 12)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from llmreg.store import Kind, open_store

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "pulumi-project" / "run-demo.sh"


def test_the_printed_tear_down_works_in_a_fresh_shell(pulumi_bin: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "LLMREG_"))}
    env["PATH"] = os.pathsep.join([str(pulumi_bin), env.get("PATH", "")])
    env["LLMREG_DEMO_DIR"] = str(tmp_path / "demo")
    demo = subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    lines = [ln for ln in demo.stdout.splitlines() if ln.strip().startswith("Tear down: ")]
    assert len(lines) == 1, demo.stdout
    command = lines[0].strip().removeprefix("Tear down: ")
    assert "pulumi destroy" in command

    db = f"sqlite:///{tmp_path / 'demo' / 'registry' / 'registry.db'}"
    store = open_store(db)
    assert store.list(Kind.MODEL, "shop")  # deployed
    fresh = {
        "HOME": str(tmp_path / "home"),
        "PATH": "/usr/local/bin:/usr/bin:/bin",  # no pulumi here
        "LLMREG_URL": "http://127.0.0.1:9",  # must not be used: the demo's registry is local
    }
    (tmp_path / "home").mkdir()
    teardown = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", command],
        env=fresh,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert teardown.returncode == 0, teardown.stdout + teardown.stderr
    assert store.list(Kind.PRODUCT) == []  # every record of the demo is gone
    store.close()
