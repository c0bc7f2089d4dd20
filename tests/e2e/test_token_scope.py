"""The deploy token on the real engine against a real `llmreg serve` (issue 18):

- item 14: a token that may not write (a read token, another product's write token) fails
  `pulumi preview` already, in one line naming the token's scope and what is needed, while a
  preview with nothing to write still passes with a read token (drift checks in CI);
- item 13: what the state records of the registry's URL and token (docs/resources/store-config.md):
  the token only encrypted, whether it came from stack config or from `LLMREG_TOKEN`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmreg.store import open_store
from llmreg.store.base import TokenAdmin, TokenScope
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

from .llmreg_e2e import Registry, random_key, server_registry, workspace

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with server_registry(tmp_path_factory.mktemp("registry-server")) as reg:
        yield reg


def _token(reg: Registry, name: str, scope: TokenScope, product: str | None) -> str:
    assert reg.server_url is not None
    admin = open_store(reg.server_url, reg.admin_token)
    assert isinstance(admin, TokenAdmin)
    _, secret = admin.create_token(name, scope, product)
    return secret


def _lifecycle(factory: WorkspaceFactory, reg: Registry) -> PulumiWorkspace:
    return workspace(
        factory,
        "lifecycle.py",
        reg,
        secrets={"devKey": random_key("dev"), "prdKey": random_key("prd")},
    )


def _whoami_requests(reg: Registry) -> int:
    log = Path(reg.extra_files[0]).read_text(errors="replace")
    return sum(
        1
        for line in log.splitlines()
        if line.startswith("{") and json.loads(line).get("path") == "/v1/whoami"
    )


def _error_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if "changing product 'shop'" in line]


def test_a_token_that_cannot_write_fails_preview_in_one_line(
    pulumi_workspace: WorkspaceFactory, server: Registry
) -> None:
    reader = _token(server, "shop-runtime", TokenScope.READ, "shop")
    other = _token(server, "other-deploy", TokenScope.WRITE, "other")

    # A first deploy with a read token: preview says so before anything is written.
    ws = _lifecycle(pulumi_workspace, server)
    ws.config_set("llmreg:token", reader, secret=True)
    before = _whoami_requests(server)
    failed = ws.preview(expect_ok=False)
    assert failed.returncode != 0
    lines = _error_lines(failed.output)
    assert lines, failed.output
    assert (
        "token 'shop-runtime' is a read token of product 'shop': it may only read; changing "
        "product 'shop' needs a write token of 'shop' or an admin token: set llmreg:token "
        "(or LLMREG_TOKEN) to one"
    ) in lines[0]
    assert "Traceback" not in failed.output and reader not in failed.output
    assert _whoami_requests(server) - before == 1  # asked once for the whole preview

    # Another product's write token is named as such.
    ws.config_set("llmreg:token", other, secret=True)
    wrong = ws.preview(expect_ok=False)
    assert "token 'other-deploy' is a write token of product 'other'" in wrong.output

    # Deployed with the admin token, a preview with nothing to change passes with the read
    # token; a change fails its preview, and nothing was written.
    ws.config_set("llmreg:token", server.admin_token or "", secret=True)
    ws.up()
    ws.config_set("llmreg:token", reader, secret=True)
    ws.preview("--expect-no-changes")
    ws.config_set("temperature", "0.3")
    changed = ws.preview(expect_ok=False)
    assert changed.returncode != 0
    assert "token 'shop-runtime' is a read token of product 'shop'" in changed.output
    assert "Traceback" not in changed.output


def _secret_values(data: object) -> list[object]:
    """Every encrypted value (``{"4dabf18193072939515e22adb298388d": ...}``) in exported state."""
    found: list[object] = []
    if isinstance(data, dict):
        if "4dabf18193072939515e22adb298388d" in data:
            found.append(data)
        for value in data.values():
            found += _secret_values(value)
    elif isinstance(data, list):
        for value in data:
            found += _secret_values(value)
    return found


def _default_provider(export: dict[str, object]) -> dict[str, object]:
    deployment = export["deployment"]
    assert isinstance(deployment, dict)
    providers = [
        r
        for r in deployment["resources"]
        if r["type"].startswith("pulumi:providers:") and "pulumi-python" in r["type"]
    ]
    assert len(providers) == 1, [r["type"] for r in deployment["resources"]]
    provider: dict[str, object] = providers[0]
    return provider


@pytest.mark.parametrize("source", ["stack-config", "environment", "plain-config"])
def test_the_state_never_holds_the_token_in_plaintext(
    pulumi_workspace: WorkspaceFactory, server: Registry, source: str
) -> None:
    """What docs/resources/store-config.md says the state records of the URL and the token:
    from stack config the URL in plain text and the token encrypted, from the environment
    neither; a token forced in with --plaintext is in plain text (the doc's warning)."""
    token = _token(server, "shop-deploy", TokenScope.WRITE, "shop")
    reg, secrets = server, {"llmreg:token": token}
    if source == "environment":
        reg = Registry(
            "server", server.db_path, env={**server.env, "LLMREG_URL": server.server_url or "",
                                           "LLMREG_TOKEN": token},
            extra_files=server.extra_files, server_url=server.server_url,
            admin_token=server.admin_token,
        )  # fmt: skip
        secrets = {}
    elif source == "plain-config":
        secrets = {}
    ws = workspace(
        pulumi_workspace,
        "lifecycle.py",
        reg,
        secrets={"devKey": random_key("dev"), "prdKey": random_key("prd"), **secrets},
    )
    if source == "plain-config":
        refused = ws.run("config", "set", "llmreg:token", token, expect_ok=False, record=False)
        assert "looks like a secret" in refused.output  # Pulumi asks for --secret
        ws.run("config", "set", "--plaintext", "llmreg:token", token, record=False)
    ws.up()
    exported = ws.stack_export()
    text = json.dumps(exported)
    inputs = _default_provider(exported)["inputs"]
    assert isinstance(inputs, dict)
    if source == "plain-config":
        assert inputs["llmreg:token"] == token  # what --secret prevents
        return
    assert token not in text
    assert ws.find_leaks(token) == []  # backend, PULUMI_HOME, project files, transcripts
    if source == "stack-config":
        assert inputs["llmreg:url"] == server.server_url  # the URL in plain text
        sealed = _secret_values(inputs["llmreg:token"])  # the token encrypted
        assert len(sealed) == 1 and "ciphertext" in sealed[0]  # type: ignore[operator]
    else:
        assert "llmreg:url" not in inputs and "llmreg:token" not in inputs
        assert (server.server_url or "") not in text  # the environment is recorded nowhere
    shown = ws.run("stack", "export", "--show-secrets", record=False).stdout
    assert (token in shown) is (source == "stack-config")  # decrypted only on demand
