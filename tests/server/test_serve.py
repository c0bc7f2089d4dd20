"""``llmreg serve --workers 2``: uvicorn's multi-process mode over one database."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import httpx

from llmreg.store.base import Kind
from llmreg.store.http import HttpStore
from tests.harness.registry import running_registry
from tests.store import records as r


def test_two_workers_serve_one_database_without_nagle_stalls(tmp_path: Path) -> None:
    with running_registry(tmp_path, f"sqlite:///{tmp_path / 'w.db'}", workers=2) as server:
        store = HttpStore(server.url, server.admin_token)
        try:
            shop = r.unique("workers")
            store.put(r.product(shop), expected_version=0, actor="test:workers")
            store.put(r.model(shop, "m"), expected_version=0, actor="test:workers")
            assert store.get(Kind.MODEL, shop, "m").version == 1
        finally:
            store.close()
        with httpx.Client(base_url=server.url) as client:
            auth = {"Authorization": f"Bearer {server.admin_token}"}
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get(f"/v1/products/{shop}/models/m", headers=auth).is_success
                timings.append(time.perf_counter() - started)
        # With Nagle on (uvicorn's own shared socket) every answer with a body waited ~40 ms
        # for the client's delayed ACK; a loopback answer takes a few ms.
        assert statistics.median(timings) < 0.03, timings
        assert server.log_text().count('"event":"request"') >= 20


SLOW_WORKER_START = """
import sys, time
if "--multiprocessing-fork" in sys.orig_argv:  # a worker process that uvicorn spawned
    time.sleep(8)
"""


def test_workers_that_start_slowly_are_waited_for(tmp_path: Path) -> None:
    """A busy machine: each worker needs 8 s before it can answer the supervisor's health
    check (uvicorn's default patience, 5 s, would kill and respawn them forever)."""
    slow = tmp_path / "slow-start"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_WORKER_START)
    path = os.pathsep.join(p for p in (str(slow), os.environ.get("PYTHONPATH")) if p)
    started = time.monotonic()
    with running_registry(
        tmp_path, f"sqlite:///{tmp_path / 's.db'}", workers=2, env={"PYTHONPATH": path}
    ) as server:
        assert time.monotonic() - started >= 8, "the workers did start slowly"
        for _ in range(10):
            assert httpx.get(f"{server.url}/readyz").status_code == 200
        assert '"Child process' not in server.log_text(), server.log_text()
