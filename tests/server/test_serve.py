"""``llmreg serve --workers 2``: uvicorn's multi-process mode over one database."""

from __future__ import annotations

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
