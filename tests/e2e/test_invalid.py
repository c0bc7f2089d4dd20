"""Every rule of design §2, broken one at a time, on a first deploy: the registry is empty and
the Product is declared in the same program. `pulumi preview` fails naming the field, and the
registry still holds nothing. One workspace per worker; the case is chosen by $LLMREG_E2E_CASE."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from llmreg.sealing import PrivateKey
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

from .llmreg_e2e import Registry, random_key, snapshot, workspace

pytestmark = pytest.mark.e2e

KEY = "$KEY"  # replaced by the program with a random key
LONG = "a" * 64
PK = PrivateKey.generate().public_key.text
OBJ = {"type": "object"}

# (id, kind, args, field path that the failure must name)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    # Product
    ("product-tag-uppercase", "product", {"tag": "Shop2"}, "tag"),
    ("product-tag-empty", "product", {"tag": ""}, "tag"),
    ("product-tag-too-long", "product", {"tag": LONG}, "tag"),
    ("product-name-empty", "product", {"name": ""}, "name"),
    ("product-envs-empty", "product", {"envs": []}, "envs"),
    ("product-envs-duplicate", "product", {"envs": ["dev", "dev"]}, "envs"),
    ("product-env-slug", "product", {"envs": ["dev", "Prod!"]}, "envs[1]"),
    (
        "product-public-key-bad",
        "product",
        {"public_keys": {"dev": "not-a-key"}},
        "publicKeys.dev",
    ),
    ("product-public-key-env", "product", {"public_keys": {"qa": PK}}, "publicKeys.qa"),
    (
        "product-next-key-alone",
        "product",
        {"next_public_keys": {"dev": PK}},
        "nextPublicKeys.dev",
    ),
    (
        "product-rotation-negative",
        "product",
        {"key_rotations": {"dev": {"generation": -1}}},
        "keyRotations.dev.generation",
    ),
    (
        "product-rotation-phase",
        "product",
        {"key_rotations": {"dev": {"generation": 1, "phase": "later"}}},
        "keyRotations.dev.phase",
    ),
    (
        "product-rotation-supplied-env",
        "product",
        {"public_keys": {"dev": PK}, "key_rotations": {"dev": {"generation": 1}}},
        "keyRotations.dev",
    ),
    # LlmModel
    ("model-tag-uppercase", "model", {"tag": "Sonnet"}, "tag"),
    ("model-tag-too-long", "model", {"tag": LONG}, "tag"),
    ("model-product-slug", "model", {"product": "My Shop"}, "product"),
    ("model-product-missing", "model", {"product": "nope"}, "product"),
    ("model-name-empty", "model", {"name": ""}, "name"),
    ("model-provider-unknown", "model", {"provider": "mistral"}, "provider"),
    ("model-model-empty", "model", {"model": ""}, "model"),
    ("model-temperature-high", "model", {"temperature": 2.5}, "temperature"),
    ("model-temperature-negative", "model", {"temperature": -0.1}, "temperature"),
    ("model-max-tokens-zero", "model", {"max_tokens": 0}, "maxTokens"),
    ("model-max-tokens-fraction", "model", {"max_tokens": 1.5}, "maxTokens"),
    ("model-top-p-high", "model", {"top_p": 1.5}, "topP"),
    ("model-timeout-zero", "model", {"timeout": 0}, "timeout"),
    ("model-stop-sequences", "model", {"stop_sequences": [1]}, "stopSequences[0]"),
    ("model-envs-empty", "model", {"envs": []}, "envs"),
    (
        "model-envs-duplicate",
        "model",
        {"envs": [{"slug": "dev", "api_key": KEY}, {"slug": "dev", "api_key": KEY}]},
        "envs",
    ),
    (
        "model-env-not-in-product",
        "model",
        {"envs": [{"slug": "qa", "api_key": KEY}]},
        "envs[0].slug",
    ),
    (
        "model-env-slug-invalid",
        "model",
        {"envs": [{"slug": "Dev", "api_key": KEY}]},
        "envs[0].slug",
    ),
    ("model-api-key-missing", "model", {"envs": [{"slug": "dev"}]}, "envs[0].apiKey"),
    ("model-api-key-empty", "model", {"envs": [{"slug": "dev", "api_key": ""}]}, "envs[0].apiKey"),
    (
        "model-custom-no-base-url",
        "model",
        {"provider": "custom", "envs": [{"slug": "dev"}]},
        "envs[0].baseUrl",
    ),
    (
        "model-base-url-invalid",
        "model",
        {"envs": [{"slug": "dev", "api_key": KEY, "base_url": "ftp://x"}]},
        "envs[0].baseUrl",
    ),
    # Agent
    ("agent-tag-uppercase", "agent", {"tag": "Support"}, "tag"),
    ("agent-name-empty", "agent", {"name": ""}, "name"),
    ("agent-model-missing", "agent", {"model": "nope"}, "model"),
    ("agent-model-slug", "agent", {"model": "No Pe"}, "model"),
    (
        "agent-tools-duplicate",
        "agent",
        {"tools": [{"name": "lookup"}, {"name": "lookup"}]},
        "tools",
    ),
    ("agent-tool-name", "agent", {"tools": [{"name": "look up"}]}, "tools[0].name"),
    (
        "agent-tool-parameters-not-object",
        "agent",
        {"tools": [{"name": "lookup", "parameters": {"type": "string"}}]},
        "tools[0].parameters",
    ),
    (
        "agent-tool-required-undefined",
        "agent",
        {
            "tools": [
                {"name": "lookup", "parameters": {**OBJ, "properties": {}, "required": ["id"]}}
            ]
        },
        "tools[0].parameters",
    ),
    (
        "agent-tool-schema-type",
        "agent",
        {"tools": [{"name": "t", "parameters": {**OBJ, "properties": {"x": {"type": "strng"}}}}]},
        "tools[0].parameters",
    ),
    (
        "agent-tool-schema-bound",
        "agent",
        {"tools": [{"name": "t", "parameters": {**OBJ, "properties": {"x": {"minLength": -1}}}}]},
        "tools[0].parameters",
    ),
    (
        "agent-tool-schema-nan",
        "agent",
        {"tools": [{"name": "t", "parameters": {**OBJ, "maxProperties": float("nan")}}]},
        "tools[0].parameters",
    ),
    (
        "agent-config-temperature",
        "agent",
        {"model_config": {"temperature": 3}},
        "modelConfig.temperature",
    ),
    (
        "agent-config-max-tokens",
        "agent",
        {"model_config": {"max_tokens": 0}},
        "modelConfig.maxTokens",
    ),
    ("agent-config-timeout", "agent", {"model_config": {"timeout": -5}}, "modelConfig.timeout"),
    ("agent-env-not-in-product", "agent", {"envs": [{"slug": "qa"}]}, "envs[0].slug"),
    ("agent-envs-duplicate", "agent", {"envs": [{"slug": "dev"}, {"slug": "dev"}]}, "envs"),
    (
        "agent-env-top-p",
        "agent",
        {"envs": [{"slug": "dev", "model_config": {"top_p": -1}}]},
        "envs[0].modelConfig.topP",
    ),
    ("agent-fallback-unknown", "agent", {"fallbacks": ["nope"]}, "fallbacks[0]"),
    ("agent-fallback-itself", "agent", {"fallbacks": ["local"]}, "fallbacks[0]"),
    ("agent-fallback-slug", "agent", {"fallbacks": ["No Pe"]}, "fallbacks[0]"),
    (
        "agent-fallbacks-duplicate",
        "agent",
        {"model": "other", "fallbacks": ["local", "local"]},
        "fallbacks",
    ),
    (
        "agent-termination-iterations",
        "agent",
        {"termination": {"max_iterations": 0}},
        "termination.maxIterations",
    ),
    (
        "agent-termination-tokens",
        "agent",
        {"termination": {"max_tokens": -1}},
        "termination.maxTokens",
    ),
    ("agent-termination-timeout", "agent", {"termination": {"timeout": 0}}, "termination.timeout"),
]

VALID: list[tuple[str, dict[str, Any]]] = [
    ("product", {}),
    ("model", {}),
    ("agent", {}),
    ("agent", {"model": "other", "fallbacks": ["local"], "termination": {"max_iterations": 3}}),
]


def test_invalid_programs_fail_at_preview_on_an_empty_registry(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    assert len(CASES) >= 30
    store = embedded.store()
    before = snapshot(store)
    assert before == {"history": 0}, "the registry starts empty"
    key = random_key("invalid")
    # Each failing preview costs seconds of mostly idle engine time: spread the cases over a
    # few workspaces run side by side.
    workers = 8
    spaces = [
        workspace(pulumi_workspace, "invalid.py", embedded, env={"LLMREG_E2E_KEY": key})
        for _ in range(workers)
    ]

    def run(ws: PulumiWorkspace, kind: str, args: dict[str, Any], ok: bool) -> Any:
        env = dict(ws.env or {})
        env["LLMREG_E2E_CASE"] = json.dumps({"kind": kind, "args": args})
        ws.env = env
        return ws.preview(expect_ok=ok)

    def chunk(i: int) -> list[str]:
        ws = spaces[i]
        misses: list[str] = []
        if i < len(VALID):  # control: the same program with valid arguments previews fine
            run(ws, *VALID[i], ok=True)
        for case_id, kind, args, path in CASES[i::workers]:
            result = run(ws, kind, args, ok=False)
            out = result.output
            named = f"property {path} value" in out or f"has a problem: {path}: " in out
            if result.returncode == 0 or not named or "Traceback" in out:
                misses.append(
                    f"{case_id}: expected a failure naming {path!r}\n{result.transcript()}"
                )
        return misses

    with ThreadPoolExecutor(workers) as pool:
        misses = [m for ms in pool.map(chunk, range(workers)) for m in ms]
    assert not misses, "\n\n".join(misses)
    assert snapshot(store) == before, "a failed preview must not write to the registry"
    for ws in spaces:
        assert ws.find_leaks(key) == []
    assert embedded.leaks(key) == []
