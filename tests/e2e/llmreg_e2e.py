"""Helpers of the llmreg end-to-end tests: registries, workspaces and registry snapshots."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmreg.domain import LlmModelRecord, ProductRecord
from llmreg.store import Kind, Stored, open_store
from llmreg.store.base import Store, TokenAdmin, TokenScope
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory

PROGRAMS = Path(__file__).parent / "programs"
PROJECT = "llmreg-e2e"
STACK = "test"
ACTOR = f"pulumi:{PROJECT}/{STACK}"


@dataclass
class Registry:
    """Where a stack's records go, and how a test looks at them directly."""

    kind: str
    db_path: Path
    env: dict[str, str]
    config: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    extra_files: list[Path] = field(default_factory=list)
    server_url: str | None = None
    admin_token: str | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def actor_ok(self, actor: str) -> bool:
        """Embedded: the stack names itself; a server records the token's name instead."""
        return actor == ACTOR if self.kind == "embedded" else bool(actor)

    def store(self) -> Store:
        """The registry's database opened directly (not through the server); opened once."""
        if self._store is None:
            self._store = open_store(self.db_url)
        return self._store

    def runtime_store(self) -> Store:
        """Where a runtime reads: the registry server (admin token) or the embedded file."""
        if self.server_url is None:
            return self.store()
        return open_store(self.server_url, self.admin_token)

    def product_writer(self, product: str = "shop") -> Store:
        """What an attacker with write access gets: the database itself (embedded), or the
        registry's HTTP API with a write token of ``product`` (server)."""
        if self.server_url is None:
            return open_store(self.db_url)
        admin = open_store(self.server_url, self.admin_token)
        assert isinstance(admin, TokenAdmin)
        _, secret = admin.create_token("intruder", TokenScope.WRITE, product)
        return open_store(self.server_url, secret)

    def files(self) -> list[Path]:
        """The database files (with WAL/SHM) and server logs, for leak scans."""
        base = [
            self.db_path,
            self.db_path.with_name(self.db_path.name + "-wal"),
            self.db_path.with_name(self.db_path.name + "-shm"),
        ]
        return [p for p in [*base, *self.extra_files] if p.exists()]

    def leaks(self, needle: str) -> list[str]:
        raw = needle.encode()
        return [str(p) for p in self.files() if raw in p.read_bytes()]


def embedded_registry(root: Path) -> Registry:
    """The embedded default store: nothing configured but ``$LLMREG_HOME``."""
    home = root / "llmreg-home"
    home.mkdir()
    return Registry(
        "embedded",
        home / "registry.db",
        env={"LLMREG_HOME": str(home), "LLMREG_URL": "", "LLMREG_TOKEN": ""},
    )


@contextmanager
def server_registry(root: Path) -> Iterator[Registry]:
    """A real ``llmreg serve`` on loopback; the stack finds it via llmreg:url/llmreg:token."""
    from tests.harness.registry import running_registry

    db = root / "server.db"
    token = "admin-" + secrets.token_hex(12)
    with running_registry(root, f"sqlite:///{db}", admin_token=token) as server:
        yield Registry(
            "server",
            db,
            env={"LLMREG_HOME": str(root / "unused-home"), "LLMREG_URL": "", "LLMREG_TOKEN": ""},
            config={"llmreg:url": server.url},
            secrets={"llmreg:token": server.admin_token},
            extra_files=[Path(server.log_path)],
            server_url=server.url,
            admin_token=server.admin_token,
        )


def workspace(
    factory: WorkspaceFactory,
    program: str,
    registry: Registry,
    *,
    config: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> PulumiWorkspace:
    return factory(
        PROGRAMS / program,
        project=PROJECT,
        stack=STACK,
        env={**registry.env, **(env or {})},
        config={**registry.config, **(config or {})},
        secrets={**registry.secrets, **(secrets or {})},
    )


PLUGIN = Path(sys.prefix) / "bin" / "pulumi-resource-llmreg"


def yaml_workspace(
    factory: WorkspaceFactory,
    program: Path,
    registry: Registry,
    *,
    project: str = PROJECT,
    secrets: Mapping[str, str] | None = None,
) -> PulumiWorkspace:
    """A YAML program on llmreg's plugin, installed as docs/languages.md says."""
    ws = factory(
        program, runtime="yaml", project=project, stack=STACK, env=registry.env, init=False
    )
    ws.install_plugin("llmreg", "0.1.0", PLUGIN)
    ws.run("stack", "init", STACK)
    for key, value in registry.config.items():
        ws.config_set(key, value)
    for key, value in {**registry.secrets, **(secrets or {})}.items():
        ws.config_set(key, value, secret=True)
    return ws


def deployed_lifecycle(factory: WorkspaceFactory, registry: Registry) -> PulumiWorkspace:
    """The lifecycle stack (a product with models and agents), deployed with random keys."""
    ws = workspace(
        factory,
        "lifecycle.py",
        registry,
        secrets={"devKey": random_key("dev"), "prdKey": random_key("prd")},
    )
    ws.up()
    return ws


def snapshot(store: Store) -> dict[str, Any]:
    """Every record with its version, plus the audit history's length: equal snapshots mean
    nothing was written."""
    out: dict[str, Any] = {}
    for product in store.list(Kind.PRODUCT):
        tag = product.record.tag
        out[f"products/{tag}"] = (product.version, product.record.to_wire())
        for kind in (Kind.MODEL, Kind.AGENT):
            for s in store.list(kind, tag):
                out[f"{kind.value}/{tag}/{s.record.tag}"] = (s.version, s.record.to_wire())
    out["history"] = len(store.history(limit=10_000))
    return out


def get(store: Store, kind: Kind, product: str, tag: str) -> Stored[Any]:
    return store.get(kind, product, tag)


def model(store: Store, tag: str, product: str = "shop") -> LlmModelRecord:
    record = store.get(Kind.MODEL, product, tag).record
    assert isinstance(record, LlmModelRecord)
    return record


def product(store: Store, tag: str = "shop") -> ProductRecord:
    record = store.get(Kind.PRODUCT, tag, tag).record
    assert isinstance(record, ProductRecord)
    return record


def random_key(label: str) -> str:
    return f"sk-{label}-{secrets.token_hex(20)}"


def preview_json(ws: PulumiWorkspace, *extra: str) -> dict[str, Any]:
    """``pulumi preview --json``: the planned steps with their old and new inputs."""
    result = ws.run("preview", "--json", *extra)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def step(preview: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The planned step of the resource called ``name``."""
    for s in preview.get("steps", []):
        if s["urn"].endswith(f"::{name}"):
            return dict(s)
    raise AssertionError(f"no step for {name} in {[s['urn'] for s in preview.get('steps', [])]}")


def ops(preview: Mapping[str, Any]) -> dict[str, str]:
    """Resource name -> planned operation, for every resource that is not unchanged."""
    return {
        s["urn"].rsplit("::", 1)[-1]: s["op"]
        for s in preview.get("steps", [])
        if s["op"] != "same" and "pulumi:pulumi:Stack" not in s["urn"]
    }
