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


SDKS = ("openai", "anthropic", "google.genai", "cohere")
"""The providers' SDKs: optional extras, imported only by ResolvedConfig.client()."""


def loaded_modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import llmreg",
        "import llmreg.runtime",
        "import llmreg; llmreg.resolve",
        "import llmreg; llmreg.ResolvedConfig",
        # building the request parameters of every provider imports no SDK either
        "from llmreg.runtime import ResolvedConfig\n"
        "for p in ('openai', 'custom', 'anthropic', 'google', 'cohere'):\n"
        "    ResolvedConfig(product='s', env='e', agent=None, model_tag='m', provider=p,\n"
        "        model='x', base_url=None, temperature=0.5, max_tokens=None, top_p=None,\n"
        "        stop_sequences=None, timeout=1000, provenance={}, system_prompt='hi'\n"
        "    ).request_params(messages=[])",
    ],
)
def test_runtime_imports_no_provider_sdk(code: str) -> None:
    loaded = loaded_modules_after(code)
    assert not {m for m in loaded if m in SDKS or m.startswith(tuple(s + "." for s in SDKS))}


def test_the_probe_sees_a_dotted_import() -> None:
    # The control of the tests above: the probe does see a module imported by dotted name
    # (a dependency of llmreg itself, so that it holds wherever llmreg is installed).
    assert "pydantic.alias_generators" in loaded_modules_after("import pydantic.alias_generators")


def test_the_cores_unknown_marker_is_the_wire_s() -> None:
    """The dynamic adapter hands the core the SDK's own unknown string (pulumi.runtime.rpc)."""
    from pulumi.output import UNKNOWN as SDK_UNKNOWN  # an instance of pulumi.output.Unknown
    from pulumi.runtime.rpc import UNKNOWN as WIRE

    from llmreg.deploy.props import UNKNOWN
    from llmreg.resources._dynamic import _marked

    assert UNKNOWN == WIRE
    marked = _marked({"a": [SDK_UNKNOWN, {"b": SDK_UNKNOWN}], "c": 1})
    assert marked == {"a": [WIRE, {"b": WIRE}], "c": 1}
