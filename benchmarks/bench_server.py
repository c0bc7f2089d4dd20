"""The resolve endpoint against a bare FastAPI JSON endpoint, on the same uvicorn settings.

    .venv/bin/python benchmarks/bench_server.py [--seconds 5] [--rounds 3] [--workers 2]

Starts, one after the other on loopback: a bare FastAPI app (``GET /bare`` answering a small
JSON object, no middleware) and ``llmreg serve`` over SQLite and over PostgreSQL (a fresh
database on the server of ``$LLMREG_TEST_PG_DSN``; skipped with a note when unset), each with
``--workers`` processes through the same ``llmreg.server.run.run_uvicorn`` (one shared socket,
``TCP_NODELAY``, JSON logs, no access log of uvicorn's own; the registry at its usual log level,
info, so with its JSON access log line per request). The registry is seeded with a product, a
model and an agent (with a tool); requests carry a read token.

All three servers run at once, idle but for the one under load; the measurements go round
after round through the targets (``--rounds``), so neighbours in time share the machine's
background load, and the table shows medians. Per target: the highest rate (``wrk``, 1 thread,
16 connections) and, at each fixed offered rate (``hey -q``, 10 connections), the latency
percentiles. Prints the table and the ratio resolve/bare of each round.
Needs ``wrk`` and ``hey`` (Debian: ``apt-get install wrk hey``). Never fails on noise: it
reports what it measured. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.postgres import postgres_database
from tests.harness.registry import free_port, running_registry
from tests.store import records as r

HERE = Path(__file__).resolve().parent


def bare_app() -> object:
    """The baseline: FastAPI with one JSON endpoint, nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, object]:
        return {"status": "ok", "answer": 42}

    return app


@dataclass
class Target:
    name: str
    backend: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    target: Target
    max_rps: list[float] = field(default_factory=list)
    max_p99_ms: list[float] = field(default_factory=list)
    at_rate: dict[int, list[tuple[float, float, float, float]]] = field(default_factory=dict)
    """offered rate -> per round (achieved req/s, p50 ms, p99 ms, errors)"""


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _wrk(target: Target, seconds: float) -> tuple[float, float]:
    args = ["wrk", "-t1", "-c16", f"-d{max(1, round(seconds))}s", "--latency"]
    for k, v in target.headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(
        [*args, target.url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return rps, float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")


def _hey(target: Target, rate: int, seconds: float) -> tuple[float, float, float, float]:
    workers = 10
    args = [
        "hey",
        "-z",
        f"{max(1, round(seconds))}s",
        "-c",
        str(workers),
        "-q",
        f"{rate / workers:g}",
    ]
    for k, v in target.headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run(
        [*args, target.url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(q: int) -> float:
        found = re.search(rf"\s{q}% in ([\d.]+) secs", out)
        return float(found.group(1)) * 1000 if found else float("nan")

    statuses = re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)
    errors = sum(int(n) for code, n in statuses if code != "200")
    return rps, pct(50), pct(99), float(errors)


def measure(rows: list[Row], seconds: float, rates: list[int], rounds: int) -> None:
    """Round after round, each target in turn: neighbours in time share the machine's
    background load, so the per-round ratios are fair even when that load changes."""
    for row in rows:
        _wrk(row.target, 2)  # warm up: connections, caches, lazily built routes
    for _ in range(rounds):
        for row in rows:
            rps, p99 = _wrk(row.target, seconds)
            row.max_rps.append(rps)
            row.max_p99_ms.append(p99)
        for rate in rates:
            for row in rows:
                row.at_rate.setdefault(rate, []).append(_hey(row.target, rate, seconds))


@contextmanager
def bare_server(tmp: Path, workers: int) -> Iterator[str]:
    port = free_port()
    code = (
        "from llmreg.server.run import run_uvicorn\n"
        f"run_uvicorn('bench_server:bare_app', host='127.0.0.1', port={port}, "
        f"workers={workers}, log_level='warning', factory=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    log = (tmp / "bare.log").open("wb")
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/bare", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield f"{url}/bare"
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def seed(url: str, admin_token: str) -> tuple[str, str]:
    """A product, a model and an agent with a tool; returns (path of resolve, read token)."""
    shop = r.unique("bench")
    auth = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        client.put(f"/v1/products/{shop}", json=r.product(shop).to_wire()).raise_for_status()
        model = r.model(shop, "claude", maxTokens=1024)
        client.put(f"/v1/products/{shop}/models/claude", json=model.to_wire()).raise_for_status()
        tool = {
            "name": "lookup_order",
            "description": "Find an order",
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
        }
        agent = r.agent(
            shop,
            "support",
            tools=[tool],
            envs=[{"slug": "prd", "modelConfig": {"temperature": 0.2}}],
        )
        client.put(f"/v1/products/{shop}/agents/support", json=agent.to_wire()).raise_for_status()
        token = client.post(
            "/v1/tokens", json={"name": "bench-reader", "scope": "read", "product": shop}
        )
        token.raise_for_status()
    return f"/v1/products/{shop}/agents/support/resolved/prd", str(token.json()["secret"])


@contextmanager
def registry_target(backend: str, db_url: str, tmp: Path, workers: int) -> Iterator[Target]:
    with running_registry(tmp / backend, db_url, workers=workers) as server:
        path, token = seed(server.url, server.admin_token)
        yield Target("resolve", backend, server.url + path, {"Authorization": f"Bearer {token}"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="medians over this many rounds")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--rates", default="100,300", help="fixed offered rates, req/s")
    args = parser.parse_args()
    rates = [int(x) for x in args.rates.split(",") if x]
    missing = [tool for tool in ("wrk", "hey") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"needs {' and '.join(missing)}: apt-get install wrk hey")

    with tempfile.TemporaryDirectory(prefix="llmreg-bench-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        bare_url = stack.enter_context(bare_server(tmp, args.workers))
        rows = [Row(Target("bare FastAPI", "-", bare_url))]
        sqlite = f"sqlite:///{tmp / 'bench.db'}"
        rows.append(Row(stack.enter_context(registry_target("sqlite", sqlite, tmp, args.workers))))
        dsn = os.environ.get("LLMREG_TEST_PG_DSN")
        if dsn:
            pg_url = stack.enter_context(postgres_database(dsn))
            target = stack.enter_context(registry_target("postgresql", pg_url, tmp, args.workers))
            rows.append(Row(target))
        else:
            print("note: LLMREG_TEST_PG_DSN is unset: PostgreSQL skipped")
        measure(rows, args.seconds, rates, args.rounds)

    print(
        f"\nloopback, {args.workers} uvicorn worker(s) each, {os.cpu_count()} CPUs, "
        f"medians of {args.rounds} interleaved rounds of {args.seconds:g} s; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    head = f"{'endpoint':<13} {'backend':<11} {'max req/s':>10} {'p99 ms':>8}"
    for rate in rates:
        head += f" | @{rate}/s: {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4}"
    print(head)
    for row in rows:
        line = f"{row.target.name:<13} {row.target.backend:<11} {_median(row.max_rps):>10.0f}"
        line += f" {_median(row.max_p99_ms):>8.1f}"
        for rate in rates:
            runs = row.at_rate[rate]
            got, p50, p99 = (_median([run[i] for run in runs]) for i in range(3))
            errors = sum(run[3] for run in runs)
            pad = " " * (len(str(rate)) + 4)
            line += f" | {pad} {got:>7.0f} {p50:>7.1f} {p99:>7.1f} {errors:>4.0f}"
        print(line)
    bare = rows[0]
    for row in rows[1:]:
        ratios = [a / b for a, b in zip(row.max_rps, bare.max_rps, strict=True)]
        print(
            f"resolve/bare ({row.target.backend}): max req/s {_median(ratios):.2f} "
            f"(per round: {', '.join(f'{x:.2f}' for x in ratios)})"
        )


if __name__ == "__main__":
    main()
