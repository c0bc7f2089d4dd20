"""The dynamic provider's import path stays light: the engine loads it for every resource."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "fastapi",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "typer",
    "httpx",
    "rich",
    "prometheus_client",
)


def loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


@pytest.mark.parametrize(
    "code",
    [
        "import llmreg",
        "import llmreg.resources",
        "from llmreg import Product, LlmModel, Agent",
        "import llmreg.store",
    ],
)
def test_provider_import_path_loads_no_server_orm_or_http_stack(code: str) -> None:
    assert not (loaded_after(code) & set(HEAVY))


def test_runtime_does_not_load_pulumi() -> None:
    assert "pulumi" not in loaded_after("import llmreg; llmreg.resolve")


def test_http_store_does_not_load_the_server_or_orm() -> None:
    loaded = loaded_after("import llmreg.store.http")
    assert "httpx" in loaded  # the probe can see what a module pulls in
    assert not (loaded & {"fastapi", "uvicorn", "starlette", "sqlalchemy", "alembic"})
