"""A second, independent runtime (examples/node-runtime, Node.js with @hpke from npm) opens the
test vectors and resolves an agent from a real ``llmreg serve`` on loopback.

The machine's ``node`` and ``npm`` are used; the example's dependencies are installed with
``npm ci`` into its ``node_modules`` (git-ignored), with the npm cache outside the repository,
once per lock file: later runs find them and contact nothing. Without node, the tests skip,
except under ``CI=true``, where a missing node is a failure.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.runtime import clear_cache, resolve
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store.base import TokenScope
from llmreg.store.http import HttpStore
from tests.harness.registry import RegistryServer, running_registry

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "node-runtime"
VECTORS = ROOT / "tests" / "vectors" / "sealing.json"
STAMP = ".llmreg-installed"
ACTOR = "test:node"


def _require(tool: str) -> str:
    """The path of ``tool``; a test failure without it (Node.js is a prerequisite of the README's
    commands, like the TypeScript programs' harness: never a skip that proves nothing)."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"`{tool}` is not on PATH: install Node.js 20+ to run the Node.js runtime tests",
            pytrace=False,
        )
    return path


def _npm_cache() -> Path:
    cache = Path(os.environ.get("LLMREG_CACHE") or Path.home() / ".cache" / "llmreg")
    return cache / "npm"


@pytest.fixture(scope="module")
def node() -> str:
    """``node``, with the example's dependencies installed from its package-lock.json."""
    node_bin = _require("node")
    npm_bin = _require("npm")
    lock = hashlib.sha256((EXAMPLE / "package-lock.json").read_bytes()).hexdigest()
    stamp = EXAMPLE / "node_modules" / STAMP
    if not stamp.exists() or stamp.read_text() != lock:
        env = {
            **os.environ,
            "npm_config_cache": str(_npm_cache()),
            "npm_config_update_notifier": "false",
        }
        done = subprocess.run(
            [npm_bin, "ci", "--prefer-offline", "--no-audit", "--no-fund"],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        stamp.write_text(lock)
    return node_bin


def _run(
    node: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, *args],
        cwd=EXAMPLE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_node_opens_the_test_vectors(node: str) -> None:
    done = _run(node, "vectors.mjs", str(VECTORS))
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    # every key: public key and key id; every case: info, fingerprint, open or refuse
    assert summary == {
        "checked": 2 * len(vectors["keys"]) + 3 * len(vectors["cases"]),
        "failures": [],
    }
    assert "ok   case dev-key-cannot-open-prd: refused (no-matching-key)" in done.stdout


def test_node_refuses_a_wrong_vector(node: str, tmp_path: Path) -> None:
    """The check is not vacuous: a wrong plaintext and a dev key given a prd case fail."""
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    cases = {c["name"]: c for c in vectors["cases"]}
    cases["prd-anthropic"]["plaintext"] = "not-the-key"
    cases["dev-openai"]["error"] = "no-matching-key"
    del cases["dev-openai"]["plaintext"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(vectors))
    done = _run(node, "vectors.mjs", str(bad))
    assert done.returncode == 1
    assert json.loads(done.stdout.splitlines()[-1])["failures"] == [
        "case dev-openai: opens",
        "case prd-anthropic: opens",
    ]


KEYS = {"dev": PrivateKey.generate(), "prd": PrivateKey.generate()}
NEXT_PRD = PrivateKey.generate()
PLAIN = {"dev": "sk-node-dev-0123456789", "prd": "sk-node-prd-9876543210"}
TOOL = {
    "name": "lookup_order",
    "description": "Find an order",
    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
}


def _seed(server: RegistryServer) -> str:
    """Product, model (prd's key sealed to the current and a staged next key pair) and agent;
    returns a read token of the product."""
    with HttpStore(server.url, server.admin_token) as admin:
        product = ProductRecord.model_validate(
            {
                "tag": "shop",
                "name": "Shop",
                "envs": [
                    {
                        "slug": "dev",
                        "keyId": KEYS["dev"].key_id,
                        "publicKey": KEYS["dev"].public_key.text,
                    },
                    {
                        "slug": "prd",
                        "keyId": KEYS["prd"].key_id,
                        "publicKey": KEYS["prd"].public_key.text,
                        "nextKeyId": NEXT_PRD.key_id,
                        "nextPublicKey": NEXT_PRD.public_key.text,
                    },
                ],
            }
        )
        admin.put(product, expected_version=0, actor=ACTOR)
        envs = []
        for slug in ("dev", "prd"):
            pairs = [KEYS[slug], *([NEXT_PRD] if slug == "prd" else [])]
            sealed = [
                seal(PLAIN[slug], k.public_key, product="shop", env=slug, model_tag="sonnet")
                for k in pairs
            ]
            env: dict[str, Any] = {
                "slug": slug,
                "sealedKey": sealed[0].to_wire(),
                "keyFingerprint": fingerprint(sealed),
            }
            if len(sealed) > 1:
                env["nextSealedKey"] = sealed[1].to_wire()
            if slug == "prd":
                env["baseUrl"] = "https://llm-gw.internal/anthropic"
            envs.append(env)
        model = LlmModelRecord.model_validate(
            {
                "product": "shop",
                "tag": "sonnet",
                "name": "Sonnet",
                "provider": "anthropic",
                "model": "claude-sonnet-4-20250514",
                "temperature": 0.7,
                "maxTokens": 4096,
                "timeout": 30000,
                "envs": envs,
            }
        )
        admin.put(model, expected_version=0, actor=ACTOR)
        agent = AgentRecord.model_validate(
            {
                "product": "shop",
                "tag": "support",
                "name": "Support",
                "model": "sonnet",
                "systemPrompt": "You are the shop's support agent.",
                "tools": [TOOL],
                "modelConfig": {"temperature": 0.5},
                "envs": [
                    {"slug": "prd", "modelConfig": {"maxTokens": 1000, "stopSequences": ["X"]}}
                ],
            }
        )
        admin.put(agent, expected_version=0, actor=ACTOR)
        _info, secret = admin.create_token("node-runtime", TokenScope.READ, "shop")
        return secret


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RegistryServer, str]]:
    tmp = tmp_path_factory.mktemp("node-registry")
    with running_registry(tmp, f"sqlite:///{tmp / 'registry.db'}") as server:
        yield server, _seed(server)


def _node_resolve(
    node: str, registry: tuple[RegistryServer, str], env: str, keys: list[PrivateKey], *extra: str
) -> subprocess.CompletedProcess[str]:
    server, token = registry
    return _run(
        node,
        "resolve.mjs",
        "shop",
        "support",
        env,
        *extra,
        env={
            "LLMREG_URL": server.url,
            "LLMREG_TOKEN": token,
            "LLMREG_PRIVATE_KEY": ",".join(k.reveal() for k in keys),
        },
    )


@pytest.mark.parametrize(
    ("env", "keys"),
    [("prd", [KEYS["prd"]]), ("prd", [NEXT_PRD]), ("dev", [KEYS["dev"]])],
    ids=["prd-current-key", "prd-next-key", "dev"],
)
def test_node_resolves_like_python(
    node: str, registry: tuple[RegistryServer, str], env: str, keys: list[PrivateKey]
) -> None:
    """Over HTTP with a read token of the product, the Node.js runtime gets what
    ``llmreg.resolve`` gets: every setting, its provenance, system prompt, tools and key."""
    done = _node_resolve(node, registry, env, keys, "--set", "temperature=0.2", "--show-key")
    assert done.returncode == 0, done.stderr
    from_node = json.loads(done.stdout)
    server, token = registry
    clear_cache()
    from_python = resolve(
        "shop", env, "support", {"temperature": 0.2}, private_key=keys, url=server.url, token=token
    ).to_dict(include_key=True)
    assert from_python["apiKey"] == PLAIN[env]
    for name, value in from_python.items():
        assert from_node.get(name) == value, name
    assert from_node["provenance"]["temperature"] == "runtime"


def test_node_dev_key_does_not_open_prd(node: str, registry: tuple[RegistryServer, str]) -> None:
    done = _node_resolve(node, registry, "prd", [KEYS["dev"]], "--show-key")
    assert done.returncode == 1
    assert "environment 'prd'" in done.stderr
    assert PLAIN["prd"] not in done.stdout + done.stderr


def test_node_without_show_key_prints_no_key(
    node: str, registry: tuple[RegistryServer, str]
) -> None:
    done = _node_resolve(node, registry, "prd", [KEYS["prd"]])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hasKey"] is True
    assert PLAIN["prd"] not in done.stdout
