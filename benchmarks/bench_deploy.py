"""The deploy path against the engine's floor, side by side in one run.

    .venv/bin/python benchmarks/bench_deploy.py [--models 100] [--rounds 3]

Three stacks on the real engine (local file backend, embedded store): llmreg's (1 product +
N models + N agents) and two floors of 2N+1 dynamic resources whose provider does nothing:
``floor`` (the issue's: independent resources, all registered at once) and ``floor-deps`` (the
same no-op resources wired like llmreg's stack: each model takes an output of the product, each
agent an output of its model, so the engine registers them in the same three waves). For each
operation the stacks run interleaved, ``--rounds`` times, and the table gives the median seconds
and llmreg's ratio to each floor:

- ``up``: the first deploy;
- ``preview``: a preview with no change;
- ``refresh``: a refresh with no drift;
- ``update``: an update of every model (and so of every agent's ``resolved``);
- ``import``: ``import pulumi, pulumi.dynamic`` against importing the dynamic provider's path.

Targets (issue 13): preview and refresh at most 1.15x, update at most 1.25x, import at most
1.3x. A benchmark reports; it never fails on noise. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.pulumi_engine import PulumiWorkspace, find_pulumi_bin

LLMREG = textwrap.dedent(
    """
    import pulumi
    import llmreg

    cfg = pulumi.Config()
    n, temperature = cfg.require_int("n"), cfg.require_float("temperature")
    shop = llmreg.Product("shop", tag="shop", name="Shop", envs=["dev", "prd"])
    for i in range(n):
        model = llmreg.LlmModel(
            f"m{i}", product=shop, tag=f"m{i}", name=f"Model {i}", provider="anthropic",
            model="claude-sonnet-4-20250514", temperature=temperature,
            envs=[{"slug": e, "api_key": cfg.require_secret("key")} for e in ("dev", "prd")],
        )
        llmreg.Agent(f"a{i}", product=shop, tag=f"a{i}", name=f"Agent {i}", model=model,
                     model_config={"max_tokens": 100})
    """
)

NOOP = textwrap.dedent(
    """
    import pulumi
    from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, Resource
    from pulumi.dynamic import ResourceProvider, UpdateResult

    class Noop(ResourceProvider):
        serialize_as_secret_always = False
        def check(self, olds, news): return CheckResult(news, [])
        def diff(self, id_, olds, news):
            return DiffResult(changes=olds.get("value") != news.get("value"))
        def create(self, props): return CreateResult(props["name"], props)
        def read(self, id_, props): return ReadResult(id_, props)
        def update(self, id_, olds, news): return UpdateResult(news)
        def delete(self, id_, props): pass

    class Thing(Resource, module="floor", name="Thing"):
        def __init__(self, name, value, secret):
            super().__init__(Noop(), name, {"name": name, "value": value, "secret": secret})

    cfg = pulumi.Config()
    n, temperature = cfg.require_int("n"), cfg.require_float("temperature")
    """
)

FLOOR = NOOP + textwrap.dedent(
    """
    for i in range(2 * n + 1):
        Thing(f"t{i}", temperature, cfg.require_secret("key"))
    """
)

FLOOR_DEPS = NOOP + textwrap.dedent(
    """
    shop = Thing("shop", temperature, cfg.require_secret("key"))
    for i in range(n):
        model = Thing(f"m{i}", shop.value, cfg.require_secret("key"))
        Thing(f"a{i}", model.value, cfg.require_secret("key"))
    """
)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def import_seconds(code: str) -> float:
    best = min(
        timed(lambda: subprocess.run([sys.executable, "-c", code], check=True)) for _ in range(5)
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bin_dir = find_pulumi_bin()
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spaces = {}
        for label, program in (("llmreg", LLMREG), ("floor", FLOOR), ("floor-deps", FLOOR_DEPS)):
            home = root / f"{label}-registry"
            spaces[label] = PulumiWorkspace(
                root / label,
                program,
                bin_dir=bin_dir,
                env={"LLMREG_HOME": str(home), "LLMREG_URL": "", "LLMREG_TOKEN": ""},
                config={"n": str(args.models), "temperature": "0.5"},
                secrets={"key": "sk-bench-0123456789"},
                timeout=1800,
            )
        ups = {label: timed(ws.up) for label, ws in spaces.items()}
        rows.append(("up (first deploy)", ups["llmreg"], ups["floor"], ups["floor-deps"]))

        def nothing(ws: PulumiWorkspace, i: int) -> None:
            pass

        def new_temperature(ws: PulumiWorkspace, i: int) -> None:
            ws.config_set("temperature", f"0.{i + 6}")

        operations: list[
            tuple[str, Callable[[PulumiWorkspace], object], Callable[[PulumiWorkspace, int], None]]
        ] = [
            ("preview, no change", lambda ws: ws.preview("--expect-no-changes"), nothing),
            ("refresh, no drift", lambda ws: ws.refresh("--expect-no-changes"), nothing),
            ("update every model", lambda ws: ws.up(), new_temperature),
        ]
        for name, operation, prepare in operations:
            times: dict[str, list[float]] = {label: [] for label in spaces}
            for i in range(args.rounds):
                for label, ws in spaces.items():  # interleaved; the preparation is not timed
                    prepare(ws, i)
                    start = time.perf_counter()
                    operation(ws)
                    times[label].append(time.perf_counter() - start)
            medians = {label: statistics.median(seconds) for label, seconds in times.items()}
            rows.append((name, medians["llmreg"], medians["floor"], medians["floor-deps"]))
    base = import_seconds("import pulumi, pulumi.dynamic")
    ours = import_seconds("import pulumi, pulumi.dynamic, llmreg.resources")
    rows.append(("import of the provider path", ours, base, base))

    header = f"{'llmreg s':>9} {'floor s':>8} {'ratio':>6} {'deps s':>7} {'ratio':>6}"
    print(f"\n{'operation':30} {header}")
    for name, ours_s, floor_s, deps_s in rows:
        print(
            f"{name:30} {ours_s:9.2f} {floor_s:8.2f} {ours_s / floor_s:5.2f}x "
            f"{deps_s:7.2f} {ours_s / deps_s:5.2f}x"
        )
    print(f"\n({args.models} models + {args.models} agents + 1 product; medians of {args.rounds})")


if __name__ == "__main__":
    main()
