"""Server time of the console's pages for one product with 1,000 models and 1,000 agents.

    .venv/bin/python benchmarks/bench_console.py [--models 1000] [--agents 1000] [--rounds 20]

Seeds a SQLite registry (one product with three environments; every model sealed in each env,
every agent with a tool and an env override), starts ``llmreg serve`` on loopback, signs in
through the API's bearer token and requests each page ``--rounds`` times (after one warm-up).
Prints, per page, the median and the slowest server time (the access log's ``durationMs``:
the time inside the server, from the first byte in to the last byte out) and the median time
the client saw, and the server time of the very first request of each page (cold: nothing
read or rendered yet). The target is < 100 ms of server time per page. A product's view is
reused while the product is unchanged, and patched with the records that changed after a write
(``llmreg.server.console.views``): "product, just changed" measures the product page right
after a write to one of its agents, each round. Never fails on noise: it
reports what it measured. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.registry import running_registry
from tests.store import records as r

from llmreg.store.sql import SqlStore

PRODUCT = "big"
ENVS = ("dev", "stg", "prd")


def seed(db_url: str, models: int, agents: int) -> None:
    store = SqlStore(db_url)
    try:
        batch: list[object] = [r.product(PRODUCT, envs=ENVS)]
        for i in range(models):
            batch.append(r.model(PRODUCT, f"model-{i:04d}", envs=ENVS, api_key=f"sk-bench-{i}"))
        for i in range(agents):
            batch.append(
                r.agent(
                    PRODUCT,
                    f"agent-{i:04d}",
                    model=f"model-{i % models:04d}",
                    modelConfig={"maxTokens": 1000 + i},
                    envs=[{"slug": "prd", "modelConfig": {"temperature": 0.2}}],
                    tools=[
                        {
                            "name": "lookup",
                            "description": "Find a thing",
                            "parameters": {
                                "type": "object",
                                "properties": {"id": {"type": "string"}},
                                "required": ["id"],
                            },
                        }
                    ],
                )
            )
        store.put_all(batch, actor="bench:seed")  # type: ignore[arg-type]
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    pages = {
        "products": "/console/",
        "product": f"/console/products/{PRODUCT}",
        "agent": f"/console/products/{PRODUCT}/agents/agent-{args.agents // 2:04d}",
        "model": f"/console/products/{PRODUCT}/models/model-{args.models // 2:04d}",
        "history": "/console/history",
        "history by actor": f"/console/history?product={PRODUCT}&actor=seed",
    }
    with tempfile.TemporaryDirectory(prefix="llmreg-bench-console-") as tmp:
        db_url = f"sqlite:///{tmp}/registry.db"
        started = time.perf_counter()
        seed(db_url, args.models, args.agents)
        print(
            f"seeded {args.models} models and {args.agents} agents in "
            f"{time.perf_counter() - started:.1f} s"
        )
        with running_registry(Path(tmp), db_url) as server:
            auth = {"Authorization": f"Bearer {server.admin_token}"}
            client_ms: dict[str, list[float]] = defaultdict(list)
            with httpx.Client(base_url=server.url, headers=auth, timeout=60) as client:
                for name, path in pages.items():
                    assert client.get(path).status_code == 200, name  # warm-up
                mark = len(server.log_text())
                changed = f"/v1/products/{PRODUCT}/agents/agent-0001"
                for round_ in range(args.rounds):
                    for name, path in pages.items():
                        begin = time.perf_counter()
                        answer = client.get(path)
                        client_ms[name].append((time.perf_counter() - begin) * 1000)
                        assert answer.status_code == 200, (name, answer.status_code)
                    agent = client.get(changed).json()["record"]
                    agent["modelConfig"] = {"maxTokens": 5000 + round_}
                    assert client.put(changed, json=agent).status_code == 200
                    begin = time.perf_counter()
                    assert client.get(pages["product"]).status_code == 200
                    client_ms["product, just changed"].append((time.perf_counter() - begin) * 1000)
            time.sleep(0.5)  # the last access lines
            cold_ms: dict[str, float] = {}
            warm_up = [
                json.loads(line)
                for line in server.log_text()[:mark].splitlines()
                if '"route":"/console' in line
            ]
            for name, entry in zip(pages, warm_up[-len(pages) :], strict=False):
                cold_ms[name] = float(entry["durationMs"])
            server_ms: dict[str, list[float]] = defaultdict(list)
            by_path = {path: name for name, path in pages.items()}
            route_of = {
                "/console/": "products",
                "/console/products/{product}": "product",
                "/console/products/{product}/agents/{agent}": "agent",
                "/console/products/{product}/models/{model}": "model",
            }
            history_seen = 0
            product_seen = 0
            for line in server.log_text()[mark:].splitlines():
                entry = json.loads(line)
                if entry.get("event") != "request" or not entry.get("route", "").startswith(
                    "/console"
                ):
                    continue
                page = by_path.get(entry.get("path", "")) or route_of.get(entry["route"])
                if entry["route"] == "/console/history":
                    # the two history pages alternate in request order
                    page = "history" if history_seen % 2 == 0 else "history by actor"
                    history_seen += 1
                if page == "product":
                    # the plain product page, then the one right after the write, each round
                    page = "product" if product_seen % 2 == 0 else "product, just changed"
                    product_seen += 1
                if page is not None:
                    server_ms[page].append(float(entry["durationMs"]))
    print(
        f"{'page':<22} {'server median':>14} {'server max':>11} {'client median':>14} "
        f"{'first (cold)':>13}"
    )
    for name in [*pages, "product, just changed"]:
        srv = server_ms[name]
        cli = client_ms[name]
        print(
            f"{name:<22} {statistics.median(srv):>11.1f} ms {max(srv):>8.1f} ms "
            f"{statistics.median(cli):>11.1f} ms"
            + (f" {cold_ms[name]:>10.1f} ms" if name in cold_ms else "")
        )


if __name__ == "__main__":
    main()
