"""The registry is never trusted with key material (design §3, docs/security.md).

- Key substitution: someone with write access to the registry (a product write token over the
  HTTP API, or the database itself) swaps an environment's public key for one of their own. The
  next `pulumi preview` and `pulumi up` refuse, naming the env and both key ids; nothing is
  sealed to the swapped key, so the attacker's private key opens nothing; an explicit
  `LLMREG_RESTORE_KEYS` puts the stack's keys back. The same for a model whose product another
  stack manages (its keys pinned at the first deploy, or given from that stack).
- Key-pair rotation in two visible steps: at each step every preview names the model that
  re-seals, and runtimes holding the old, the new or both private keys keep working while the
  new pair is staged; the same with public keys supplied from `llmreg keygen`.
- Deploy-token rotation: after a new `llmreg:token` is set and the old one revoked, `pulumi
  refresh` says exactly what to run, and that works; a wrong token is never silently ignored.
"""

from __future__ import annotations

import json

import pytest

from llmreg.errors import SealingError
from llmreg.runtime import clear_cache, resolve
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store import open_store
from llmreg.store.base import Store, TokenAdmin, TokenScope
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory
from tests.harness.tamper import swap_public_keys

from .llmreg_e2e import (
    Registry,
    deployed_lifecycle,
    model,
    ops,
    preview_json,
    product,
    random_key,
    snapshot,
    workspace,
)

pytestmark = pytest.mark.e2e


def _attacker_opens_nothing(store: Store, attacker: PrivateKey, tag: str, env: str) -> None:
    sealed = model(store, tag).env(env)
    assert sealed is not None and sealed.sealed_keys()
    with pytest.raises(SealingError):
        open_sealed(sealed.sealed_keys(), [attacker], product="shop", env=env, model_tag=tag)


def _refused(result_output: str, *needles: str) -> None:
    for needle in needles:
        assert needle in result_output, result_output
    assert "Traceback" not in result_output


def test_a_swapped_public_key_is_refused_and_seals_nothing(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    dev_key, prd_key = random_key("dev"), random_key("prd")
    ws = workspace(
        pulumi_workspace, "lifecycle.py", registry, secrets={"devKey": dev_key, "prdKey": prd_key}
    )
    ws.up()
    store = registry.store()
    fingerprint = model(store, "sonnet").env("dev").key_fingerprint  # type: ignore[union-attr]

    attacker = PrivateKey.generate()
    stack_kid = swap_public_keys(registry.product_writer(), ["dev"], attacker)["dev"]
    before = snapshot(store)

    for attempt in (ws.preview(expect_ok=False), ws.up(expect_ok=False)):
        assert attempt.returncode != 0
        _refused(
            attempt.output,
            "product 'shop'",
            "env 'dev'",
            attacker.key_id,
            stack_kid,
            "LLMREG_RESTORE_KEYS=shop",
        )
    assert snapshot(store) == before, "a refused up writes nothing"
    assert model(store, "sonnet").env("dev").key_fingerprint == fingerprint  # type: ignore[union-attr]
    _attacker_opens_nothing(store, attacker, "sonnet", "dev")
    refresh = ws.refresh(expect_ok=False)
    _refused(refresh.output, "product 'shop'", attacker.key_id)

    # The operator puts the stack's keys back, explicitly; then everything converges.
    ws.env = {**(ws.env or {}), "LLMREG_RESTORE_KEYS": "shop"}
    ws.up()
    assert product(store).env("dev").key_id == stack_kid  # type: ignore[union-attr]
    ws.env = {k: v for k, v in (ws.env or {}).items() if k != "LLMREG_RESTORE_KEYS"}
    ws.preview("--expect-no-changes")
    _attacker_opens_nothing(store, attacker, "sonnet", "dev")
    for needle in (dev_key, prd_key):
        assert ws.find_leaks(needle) == [] and registry.leaks(needle) == []


def test_a_model_of_another_stacks_product_is_pinned(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    owner = deployed_lifecycle(pulumi_workspace, registry)
    remote_key = random_key("remote")
    ws = workspace(pulumi_workspace, "remote_model.py", registry, secrets={"remoteKey": remote_key})
    ws.up()  # first deploy: the registry's keys are pinned in the model's state
    store = registry.store()
    stack_kid = product(store).env("dev").key_id  # type: ignore[union-attr]
    assert ws.outputs()["sealed_to"] == {"dev": [stack_kid]}
    ws.preview("--expect-no-changes")

    attacker = PrivateKey.generate()
    swap_public_keys(registry.product_writer(), ["dev"], attacker)
    before = snapshot(store)
    for attempt in (ws.preview(expect_ok=False), ws.up(expect_ok=False)):
        _refused(
            attempt.output,
            "model 'shop/remote'",
            "env 'dev'",
            attacker.key_id,
            stack_kid,
            "pinned at this model's first deploy",
            "sealing_keys",
        )
    assert snapshot(store) == before
    _attacker_opens_nothing(store, attacker, "remote", "dev")

    # The product's stack puts its keys back; given the product stack's sealing_keys (as a
    # StackReference would), the model follows that stack's real rotations.
    owner.env = {**(owner.env or {}), "LLMREG_RESTORE_KEYS": "shop"}
    owner.up()
    sealing = owner.outputs()["sealing_keys"]
    ws.config_set("sealingKeys", json.dumps(sealing))
    ws.preview("--expect-no-changes")
    owner.config_set("devPublicKey", "")  # (no-op: the dev pair stays generated)
    owner.config_set("prdRotation", "1")
    owner.up()
    ws.config_set("sealingKeys", json.dumps(owner.outputs()["sealing_keys"]))
    ws.up()
    ws.preview("--expect-no-changes")


def _runtimes(
    registry: Registry, keys: dict[str, str], env: str = "prd"
) -> dict[str, str | Exception | None]:
    """What the runtimes of ``env`` get from ``resolve``: one holding only the old private key
    and, once there is a new one, one holding only the new and one holding both."""
    store = registry.runtime_store()
    held = {"old": [keys["old"]]}
    if keys.get("new"):
        held.update(new=[keys["new"]], both=[keys["old"], keys["new"]])
    out: dict[str, str | Exception | None] = {}
    for name, private in held.items():
        clear_cache()
        try:
            out[name] = resolve("shop", env, "support", private_key=private, store=store).api_key
        except SealingError as err:
            out[name] = err
    return out


def test_env_key_pairs_rotate_in_two_visible_steps(
    pulumi_workspace: WorkspaceFactory, registry: Registry
) -> None:
    prd_key = random_key("prd")
    ws = workspace(
        pulumi_workspace,
        "lifecycle.py",
        registry,
        secrets={"devKey": random_key("dev"), "prdKey": prd_key},
    )
    ws.up()
    old = ws.outputs(show_secrets=True)["private_keys"]["prd"]
    assert _runtimes(registry, {"old": old}) == {"old": prd_key}

    # stage: the preview names the model that re-seals; all three runtimes open the key
    ws.config_set("prdRotation", "1")
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    new = ws.outputs(show_secrets=True)["next_private_keys"]["prd"]
    assert new != old
    assert _runtimes(registry, {"old": old, "new": new}) == {
        "old": prd_key,
        "new": prd_key,
        "both": prd_key,
    }
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")

    # retire: again a visible re-seal; runtimes with the new key (alone or with the old) open
    # the key, and one still holding only the old key is told which key pair it needs
    ws.config_set("prdPhase", "retire")
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    assert ws.outputs(show_secrets=True)["private_keys"]["prd"] == new
    after = _runtimes(registry, {"old": old, "new": new})
    assert after["new"] == prd_key and after["both"] == prd_key
    assert isinstance(after["old"], SealingError)
    assert PrivateKey(new).key_id in str(after["old"])
    ws.preview("--expect-no-changes")

    # a stage that skips a step is refused at preview, naming the field
    ws.config_set("prdRotation", "2")
    refused = ws.preview(expect_ok=False)
    assert "keyRotations.prd" in refused.output and "stage generation 2 first" in refused.output


def test_supplied_public_keys_rotate_the_same_way(
    pulumi_workspace: WorkspaceFactory, embedded: Registry
) -> None:
    current, following = PrivateKey.generate(), PrivateKey.generate()
    dev_key = random_key("dev")
    ws = workspace(
        pulumi_workspace,
        "lifecycle.py",
        embedded,
        config={"devPublicKey": current.public_key.text},
        secrets={"devKey": dev_key, "prdKey": random_key("prd")},
    )
    ws.up()
    store = embedded.store()
    assert "dev" not in ws.outputs(show_secrets=True)["private_keys"]
    keys = {"old": current.reveal(), "new": following.reveal()}

    def opens(private: list[str]) -> bool:
        sealed = model(store, "sonnet").env("dev").sealed_keys()  # type: ignore[union-attr]
        try:
            found = open_sealed(
                sealed, [PrivateKey(k) for k in private], product="shop", env="dev",
                model_tag="sonnet",
            )  # fmt: skip
        except SealingError:
            return False
        return found == dev_key

    assert opens([keys["old"]])
    ws.config_set("devNextPublicKey", following.public_key.text)  # stage
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    assert opens([keys["old"]]) and opens([keys["new"]]) and opens(list(keys.values()))
    ws.config_set("devPublicKey", following.public_key.text)  # retire
    ws.run("config", "rm", "devNextPublicKey")
    assert ops(preview_json(ws)) == {"shop": "update", "sonnet": "update"}
    ws.up()
    assert opens([keys["new"]]) and not opens([keys["old"]])
    ws.preview("--expect-no-changes")


def _make_token(registry: Registry, name: str) -> tuple[str, str]:
    admin = open_store(registry.server_url, registry.admin_token)
    assert isinstance(admin, TokenAdmin)
    info, secret = admin.create_token(name, TokenScope.WRITE, "shop")
    return info.id, secret


def test_deploy_token_rotation_then_refresh(
    pulumi_workspace: WorkspaceFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .llmreg_e2e import server_registry

    with server_registry(tmp_path_factory.mktemp("token-rotation")) as registry:
        old_id, old_token = _make_token(registry, "deploy-1")
        registry.secrets["llmreg:token"] = old_token
        ws: PulumiWorkspace = workspace(
            pulumi_workspace,
            "lifecycle.py",
            registry,
            secrets={"devKey": random_key("dev"), "prdKey": random_key("prd")},
        )
        ws.up()

        # a wrong token is never silently ignored: a preview fails, naming the fix
        ws.config_set("llmreg:token", "llmreg_bogus_token", secret=True)
        wrong = ws.preview(expect_ok=False)
        _refused(wrong.output, "the registry refused the token", "llmreg:token")

        # rotate: a new token in the stack config, the old one revoked
        _, new_token = _make_token(registry, "deploy-2")
        ws.config_set("llmreg:token", new_token, secret=True)
        admin = open_store(registry.server_url, registry.admin_token)
        assert isinstance(admin, TokenAdmin) and admin.revoke_token(old_id)
        stale = ws.refresh(expect_ok=False)
        _refused(stale.output, "pulumi refresh --run-program")
        ws.refresh("--run-program", "--expect-no-changes")
        ws.preview("--expect-no-changes")
        ws.refresh("--expect-no-changes")  # the new token is recorded now
        for needle in (old_token, new_token):
            assert ws.find_leaks(needle) == [] and registry.leaks(needle) == []
