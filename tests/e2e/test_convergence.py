"""Deploys converge by themselves (design §5): after a lost answer, a killed `pulumi up` or a
registry restart, the next plain `pulumi up` (after the engine's own `pulumi cancel` and
`pulumi refresh --clear-pending-creates` for a killed one) converges, with no orphan record, no
record written twice, and no `adopt`. Faults are real: a proxy that lets the registry handle a
write and loses its answer, a SIGKILLed engine, a registry process killed and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from llmreg.store import Kind, open_store
from llmreg.store.base import Action, Store
from tests.harness.pulumi_engine import PulumiWorkspace, WorkspaceFactory
from tests.harness.registry import free_port
from tests.server.faultproxy import Schedule, fault_proxy

from .llmreg_e2e import PROGRAMS, random_key

pytestmark = pytest.mark.e2e

ADMIN = "admin-convergence-token"
LLMREG_TYPES = ("llmreg:Product", "llmreg:LlmModel", "llmreg:Agent")


class LoseAnswer(Schedule):
    """Lets every request through, except once armed: the registry handles the next write to
    ``path`` but its answer is lost, and every later request to that path gets a 503, so that
    the store gives up and the engine records a failed step."""

    def __init__(self) -> None:
        super().__init__(actions=[])
        self.path: str | None = None
        self.tripped = False

    def arm(self, path: str) -> None:
        self.path, self.tripped = path, False

    def disarm(self) -> None:
        self.path, self.tripped = None, False

    def next(self, method: str, path: str) -> str:
        with self.lock:
            action = "pass"
            if self.path is not None and path.split("?")[0] == self.path:
                if method == "PUT" and not self.tripped:
                    self.tripped, action = True, "drop"
                elif self.tripped:
                    action = "503"
            self.seen.append((method, path, action))
            return action


class Server:
    """``llmreg serve`` on a fixed port, so it can be killed and started again in place."""

    def __init__(self, root: Path) -> None:
        self.db_url = f"sqlite:///{root / 'registry.db'}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "registry.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "llmreg.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--db", self.db_url]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LLMREG_ADMIN_TOKEN": ADMIN},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"llmreg serve did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


@contextmanager
def running(root: Path) -> Iterator[Server]:
    server = Server(root)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _workspace(
    factory: WorkspaceFactory, url: str, home: Path, count: int, **config: str
) -> PulumiWorkspace:
    return factory(
        PROGRAMS / "many.py",
        project="llmreg-e2e",
        stack="test",
        env={"LLMREG_HOME": str(home), "LLMREG_URL": "", "LLMREG_TOKEN": ""},
        config={"llmreg:url": url, "count": str(count), **config},
        secrets={"llmreg:token": ADMIN, "apiKey": random_key("many")},
    )


def _records(store: Store) -> set[str]:
    found = {f"{p.record.tag}" for p in store.list(Kind.PRODUCT)}
    for product in list(found):
        for kind in (Kind.MODEL, Kind.AGENT):
            found |= {f"{product}/{s.record.tag}" for s in store.list(kind, product)}
    return found


def assert_converged(ws: PulumiWorkspace, store: Store, expected: int) -> None:
    """Every record in the registry is a resource of the stack and the other way round (no
    orphan), each was created exactly once (no duplicate), and the stack has no change left."""
    resources = [
        r for r in ws.stack_export()["deployment"]["resources"] if r["type"].endswith(LLMREG_TYPES)
    ]
    ids = {r["id"] for r in resources}
    assert len(resources) == expected and len(ids) == expected
    assert _records(store) == ids, "orphans or missing records"
    creates = Counter(
        (e.kind, e.tag) for e in store.history(limit=10_000) if e.action == Action.CREATE
    )
    assert set(creates.values()) == {1}, f"a record was created twice: {creates}"
    assert all(r.get("inputs", {}).get("adopt") is False for r in resources)
    ws.preview("--expect-no-changes")
    ws.refresh("--expect-no-changes")


def test_lost_answers_converge_on_the_next_up(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    schedule = LoseAnswer()
    with running(tmp_path) as server, fault_proxy(server.url, schedule) as proxy:
        ws = _workspace(
            pulumi_workspace, proxy.url, tmp_path / "home", 1, **{"llmreg:retrySeconds": "2"}
        )
        store = open_store(server.db_url)
        paths = {
            "product": "/v1/products/shop",
            "model": "/v1/products/shop/models/model-0",
            "agent": "/v1/products/shop/agents/agent-0",
        }
        # creates: each up loses the answer of one more create; the registry has the record
        for path in paths.values():
            schedule.arm(path)
            failed = ws.up(expect_ok=False)
            assert failed.returncode != 0 and schedule.tripped, failed.transcript()
            assert "did not answer PUT" in failed.output and "Traceback" not in failed.output
            assert path.rsplit("/", 1)[-1] in {r.rsplit("/", 1)[-1] for r in _records(store)}
            schedule.disarm()
        ws.up()
        assert_converged(ws, store, 3)

        # updates: each up loses the answer of one more update; the registry has the new state
        ws.config_set("label", "v2")
        for what, path in paths.items():
            schedule.arm(path)
            failed = ws.up(expect_ok=False)
            assert failed.returncode != 0 and schedule.tripped, f"{what}: {failed.transcript()}"
            schedule.disarm()
        ws.up()
        assert store.get(Kind.PRODUCT, "shop", "shop").record.name == "Shop v2"
        assert store.get(Kind.AGENT, "shop", "agent-0").record.name == "Agent 0 v2"
        assert_converged(ws, store, 3)


def test_an_env_leaves_the_product_and_its_models_in_one_up(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    with running(tmp_path) as server:
        store = open_store(server.db_url)
        ws = _workspace(pulumi_workspace, server.url, tmp_path / "home", 2, envs="dev,stg,prd")
        ws.up()
        ws.config_set("envs", "dev,prd")
        ws.up()
        assert store.get(Kind.PRODUCT, "shop", "shop").record.env_slugs() == ["dev", "prd"]  # type: ignore[union-attr]
        for kind in (Kind.MODEL, Kind.AGENT):
            for stored in store.list(kind, "shop"):
                assert [e.slug for e in stored.record.envs] == ["dev", "prd"]
        assert_converged(ws, store, 5)


def _up_in_background(ws: PulumiWorkspace) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(ws.bin_dir / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive"],
        cwd=ws.project_dir,
        env=ws.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (from /proc): the engine's language host and providers run
    in process groups of their own, so killing the CLI's group leaves them behind."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _kill_with_plugins(process: subprocess.Popen[str]) -> None:
    """SIGKILL a ``pulumi`` CLI as a crash would, then its orphaned plugins, so that the test
    leaves no process behind."""
    plugins = _descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    for pid in plugins:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_for_records(store: Store, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if len(_records(store)) >= count:
                return
        except Exception:  # noqa: S110 - the database may be busy for an instant
            pass
        time.sleep(0.05)
    raise AssertionError(f"the up wrote fewer than {count} records (exit {process.poll()})")


def test_a_killed_up_recovers_with_the_engines_own_steps(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    with running(tmp_path) as server:
        store = open_store(server.db_url)
        # 41 records, killed after 10: room enough for the kill to land midway however fast
        # the up writes (with 17, a faster deploy path had written them all by then)
        ws = _workspace(pulumi_workspace, server.url, tmp_path / "home", 20)
        up = _up_in_background(ws)
        _wait_for_records(store, 10, up)
        _kill_with_plugins(up)
        assert len(_records(store)) < 41, "the up was killed before it finished"

        cancel = ws.run("cancel", "--yes", expect_ok=False)
        if cancel.returncode != 0:
            # The kill hit the file backend while it wrote a checkpoint's metadata: an empty
            # .attrs file (gocloud fileblob truncates, then writes it). docs/recovery.md says
            # to delete it; the engine then reads the checkpoint again.
            assert "failed to load checkpoint: EOF" in cancel.output, cancel.transcript()
            empty = [p for p in ws.backend_dir.rglob("*.attrs") if p.stat().st_size == 0]
            assert empty, cancel.transcript()
            for path in empty:
                path.unlink()
            ws.run("cancel", "--yes")
        ws.refresh("--clear-pending-creates")
        ws.up()
        assert_converged(ws, store, 41)


def test_a_registry_restart_mid_up_does_not_fail_it(
    pulumi_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    with running(tmp_path) as server:
        store = open_store(server.db_url)
        ws = _workspace(pulumi_workspace, server.url, tmp_path / "home", 20)
        up = _up_in_background(ws)
        _wait_for_records(store, 10, up)
        server.kill()
        down_at = time.monotonic()
        time.sleep(5)
        server.start()
        output, _ = up.communicate(timeout=300)
        assert up.returncode == 0, output
        assert time.monotonic() - down_at >= 5
        assert_converged(ws, store, 41)
