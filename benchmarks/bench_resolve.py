"""Requests/s of the resolve endpoint on loopback, SQLite and PostgreSQL side by side.

    .venv/bin/python benchmarks/bench_resolve.py [--seconds 5] [--threads 8] [--workers 1]

Starts a real ``llmreg serve`` per backend (SQLite file in a temp dir; PostgreSQL in a fresh
database on the server of ``$LLMREG_TEST_PG_DSN``, skipped with a note when unset), seeds one
product/model/agent, then hammers ``GET /v1/products/{p}/agents/{a}/resolved/{env}`` with a
read token from ``--threads`` threads for ``--seconds``: full answers (200) and ETag
revalidations (304, what a runtime does when its cache expires). Prints a table and the ratios.
Never fails on noise: it reports what it measured. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.postgres import postgres_database
from tests.harness.registry import running_registry
from tests.store import records as r

from llmreg.store.http import HttpStore


@dataclass
class Result:
    backend: str
    mode: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def seed(url: str, admin_token: str) -> tuple[str, str]:
    """A product, model and agent; returns (product, a read token)."""
    store = HttpStore(url, admin_token)
    shop = r.unique("bench")
    try:
        store.put(r.product(shop), expected_version=0, actor="bench")
        store.put(r.model(shop, "claude", maxTokens=1024), expected_version=0, actor="bench")
        agent = r.agent(
            shop, "support", envs=[{"slug": "prd", "modelConfig": {"temperature": 0.2}}]
        )
        store.put(agent, expected_version=0, actor="bench")
    finally:
        store.close()
    answer = httpx.post(
        f"{url}/v1/tokens",
        json={"name": "bench-reader", "scope": "read", "product": shop},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    answer.raise_for_status()
    return shop, str(answer.json()["secret"])


def hammer(
    url: str, token: str, product: str, backend: str, mode: str, seconds: float, threads: int
) -> Result:
    path = f"/v1/products/{product}/agents/support/resolved/prd"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as probe:
        etag = probe.get(path).headers["etag"]
    if mode == "revalidate":
        headers["If-None-Match"] = etag
    expect = 304 if mode == "revalidate" else 200
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    client = httpx.Client(base_url=url, headers=headers, timeout=10, limits=limits)
    counts = [0] * threads
    errors = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError:
                status = 0
            latencies[i].append(time.perf_counter() - started)
            if status == expect:
                counts[i] += 1
            else:
                errors[i] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    began = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - began
    client.close()
    return Result(
        backend, mode, sum(counts), sum(errors), elapsed, [x for lat in latencies for x in lat]
    )


def run_backend(
    name: str, db_url: str, tmp: Path, seconds: float, threads: int, workers: int
) -> list[Result]:
    with running_registry(tmp / name, db_url, workers=workers) as server:
        product, token = seed(server.url, server.admin_token)
        # warm up connections and caches
        hammer(server.url, token, product, name, "full", min(1.0, seconds / 5), threads)
        return [
            hammer(server.url, token, product, name, mode, seconds, threads)
            for mode in ("full", "revalidate")
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="llmreg-bench-") as tmpdir:
        tmp = Path(tmpdir)
        results += run_backend(
            "sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp, args.seconds, args.threads, args.workers
        )
        dsn = os.environ.get("LLMREG_TEST_PG_DSN")
        if dsn:
            with postgres_database(dsn) as pg_url:
                results += run_backend(
                    "postgresql", pg_url, tmp, args.seconds, args.threads, args.workers
                )
        else:
            print("note: LLMREG_TEST_PG_DSN is unset: PostgreSQL skipped")

    print(
        f"\nresolve endpoint, loopback, {args.threads} client threads, "
        f"{args.workers} server worker(s), {args.seconds:g} s per row, {os.cpu_count()} CPUs"
    )
    print(f"{'backend':<11} {'mode':<11} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for res in results:
        print(
            f"{res.backend:<11} {res.mode:<11} {res.rps:>9.1f} {res.pct(0.5):>8.2f} "
            f"{res.pct(0.99):>8.2f} {res.errors:>7}"
        )
    by = {(res.backend, res.mode): res for res in results}
    for mode in ("full", "revalidate"):
        sq, pg = by.get(("sqlite", mode)), by.get(("postgresql", mode))
        if sq and pg and pg.rps:
            print(f"ratio sqlite/postgresql ({mode}): {sq.rps / pg.rps:.2f}")
    for backend in ("sqlite", "postgresql"):
        full, reval = by.get((backend, "full")), by.get((backend, "revalidate"))
        if full and reval and full.rps:
            print(f"ratio revalidate/full ({backend}): {reval.rps / full.rps:.2f}")
    if any(res.latencies for res in results):
        median = statistics.median(res.rps for res in results)
        print(f"median req/s over all rows: {median:.1f}")


if __name__ == "__main__":
    main()
