"""The Python SDK is typed like a pulumi_* SDK: mypy --strict accepts programs that use Args
classes, ArgsDicts and plain dicts, and catches a provider that is not one of the Literal's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def mypy(program: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(HERE / program)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_program_using_args_dicts_and_plain_dicts_type_checks() -> None:
    result = mypy("typed_program.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_provider_literal_is_caught() -> None:
    result = mypy("wrong_provider.py")
    assert result.returncode == 1, result.stdout
    assert 'wrong_provider.py:10: error: Argument "provider"' in result.stdout, result.stdout
    assert "antropic" in result.stdout
