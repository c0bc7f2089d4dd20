"""The deploy path's per-resource cost against the engine's floor, at two stack sizes.

    .venv/bin/python benchmarks/bench_deploy.py [--sizes 25,100] [--store embedded]
        [--store http-sqlite] [--store http-pg] [--big 300] [--rounds 1] [--shaped]
        [--skip-checkpoints]

Stacks on the real engine (local file backend): llmreg's (1 product + N models with 2 envs and a
key each + N agents) and floors of 2N+1 dynamic resources whose provider does nothing and is a
*module-level* class (pickled by reference, as llmreg's is; a provider defined in ``__main__``
is pickled by value, costs more per resource and crashes past ~310 resources): ``floor``
(independent resources, registered at once), ``floor-deps`` (wired like llmreg's stack, so the
engine registers them in the same three waves) and, with ``--shaped``, ``floor-shaped`` (wired
the same, carrying llmreg's property shapes: what the shapes cost without llmreg's code). Each
size runs the phases in order:

- ``up``: the first deploy;  ``preview``: no change;  ``refresh``: no drift;
- ``update``: every model changed (and so every agent's ``resolved``);  ``destroy``.

For each phase and measure (wall seconds, and CPU seconds of the whole command tree: engine,
language host, program and provider processes, which is far less noisy on a loaded machine),
a line through the two sizes gives a per-resource slope and a fixed cost per command; the table
prints llmreg's slope ratio to ``floor-deps`` and its fixed extra. Targets (issue 22): slope
ratio <= 1.15, fixed extra <= 0.3 s. ``--store`` picks the embedded SQLite store (default) or a
real ``llmreg serve`` on loopback over SQLite or PostgreSQL (``$LLMREG_TEST_PG_DSN``, default
the dev server; a database of its own, dropped at the end). ``--skip-checkpoints`` runs every
stack with ``PULUMI_SKIP_CHECKPOINTS=true``. ``--big N`` afterwards deploys, previews, refreshes
and destroys one llmreg stack of N models + N agents and prints its times. A benchmark reports;
it never fails on noise. Not part of the test suite (docs/performance.md reads its figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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

#: The floor's provider, a module on the PYTHONPATH of the program and the provider process.
FLOOR_MODULE = textwrap.dedent(
    """
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

    CHECK_ONLY = ("modelSettings", "productEnvs")

    class ShapedNoop(ResourceProvider):
        # Does nothing, with llmreg's property shapes: check drops the inputs llmreg's check
        # drops, create and update add a version.
        serialize_as_secret_always = False
        def check(self, olds, news):
            return CheckResult({k: v for k, v in news.items() if k not in CHECK_ONLY}, [])
        def diff(self, id_, olds, news):
            keys = set(olds) | set(news)
            return DiffResult(changes=any(olds.get(k) != news.get(k) for k in keys - {"version"}))
        def create(self, props): return CreateResult(props["tag"], {**props, "version": 1})
        def read(self, id_, props): return ReadResult(id_, props)
        def update(self, id_, olds, news): return UpdateResult({**news, "version": 2})
        def delete(self, id_, props): pass

    class Shaped(Resource, module="floor", name="Shaped"):
        def __init__(self, name, props):
            super().__init__(ShapedNoop(), name, {"version": None, **props})
    """
)

FLOOR_HEAD = textwrap.dedent(
    """
    import pulumi
    from llmreg_bench_floor import Thing

    cfg = pulumi.Config()
    n, temperature = cfg.require_int("n"), cfg.require_float("temperature")
    """
)

FLOOR = FLOOR_HEAD + textwrap.dedent(
    """
    for i in range(2 * n + 1):
        Thing(f"t{i}", temperature, cfg.require_secret("key"))
    """
)

FLOOR_DEPS = FLOOR_HEAD + textwrap.dedent(
    """
    shop = Thing("shop", temperature, cfg.require_secret("key"))
    for i in range(n):
        model = Thing(f"m{i}", shop.value, cfg.require_secret("key"))
        Thing(f"a{i}", model.value, cfg.require_secret("key"))
    """
)

FLOOR_SHAPED = textwrap.dedent(
    """
    import pulumi
    from llmreg_bench_floor import Shaped

    cfg = pulumi.Config()
    n, temperature = cfg.require_int("n"), cfg.require_float("temperature")
    key, envs = cfg.require_secret("key"), ("dev", "prd")
    pk = {e: "llmreg-pk1-" + e * 14 + "-abcdefghijklmno" for e in envs}
    ids = {e: e * 5 + "0" for e in envs}
    urn = "urn:pulumi:test::llmreg-e2e::pulumi-python:dynamic/llmreg:{}::{}".format
    private = pulumi.Output.secret({e: "x" * 44 for e in envs})
    shop = Shaped("shop", dict(
        tag="shop", name="Shop", envs=list(envs), adopt=False, owner=urn("Product", "shop"),
        keyIds=ids, keyRotations={}, nextKeyIds={}, nextPublicKeys={}, publicKeys=pk,
        sealingKeys={e: [pk[e]] for e in envs}, privateKeys=private,
        nextPrivateKeys=pulumi.Output.secret({}), dryRun=False))
    active = [{"active": True, "slug": e} for e in envs]
    for i in range(n):
        tag = f"m{i}"
        settings = dict(envs=active, model="claude-sonnet-4-20250514", product="shop",
                        provider="anthropic", tag=tag, temperature=temperature)
        model = Shaped(tag, dict(
            product=shop.tag, tag=tag, name=f"Model {i}", provider="anthropic",
            model="claude-sonnet-4-20250514", temperature=temperature, envs=active,
            apiKeys=pulumi.Output.secret({e: key for e in envs}), sealingKeys=shop.sealingKeys,
            productEnvs=shop.envs, owner=urn("LlmModel", tag), adopt=False,
            sealedTo={e: [ids[e]] for e in envs}, settings=settings,
            keyFingerprints={e: "fp1:" + e * 5 + "0" for e in envs}))

        def resolved(s):
            one = {"maxTokens": 100, "model": s["model"], "provider": s["provider"],
                   "provenance": {"maxTokens": "agent", "temperature": "model"},
                   "temperature": s["temperature"]}
            return {e: one for e in envs}

        Shaped(f"a{i}", dict(
            product=shop.tag, tag=f"a{i}", name=f"Agent {i}", model=model.tag,
            modelSettings=model.settings, productEnvs=shop.envs, modelConfig={"maxTokens": 100},
            envs=[], tools=[], owner=urn("Agent", f"a{i}"), adopt=False,
            resolved=model.settings.apply(resolved)))
    """
)

PROGRAMS = {
    "llmreg": LLMREG,
    "floor": FLOOR,
    "floor-deps": FLOOR_DEPS,
    "floor-shaped": FLOOR_SHAPED,
}
PHASES = ("up", "preview", "refresh", "update", "destroy")
STORES = ("embedded", "http-sqlite", "http-pg")
DEFAULT_PG_DSN = "postgresql://llmreg:llmreg@127.0.0.1:55432/postgres"
ENGINE_ENV: dict[str, str] = {}
"""Set for every stack's commands (``--skip-checkpoints``)."""


@dataclass
class Sample:
    """One command: wall seconds, CPU seconds of its process tree, CPU per process kind."""

    wall: float
    cpu: float
    by_kind: dict[str, float] = field(default_factory=dict)
    log_bytes: int = 0


def _kind(cmdline: str) -> str:
    if "pulumi.dynamic" in cmdline or "pulumi-resource-pulumi-python" in cmdline:
        return "provider"
    if "pulumi-language" in cmdline:
        return "language-host" if "-exec" not in cmdline else "program"
    if cmdline.split(" ", 1)[0].endswith("/pulumi"):
        return "engine"
    return "program" if "python" in cmdline else "other"


def _tree_cpu(session: int, seen: dict[int, tuple[str, float]]) -> None:
    """Record utime+stime of every live process of ``session`` (its last value wins)."""
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) != session:  # field 6 of stat: session id
                continue
            cpu = (int(fields[11]) + int(fields[12])) / tick
            pid = int(entry.name)
            if pid not in seen:
                raw = Path(entry.path, "cmdline").read_bytes()
                seen[pid] = (_kind(raw.replace(b"\0", b" ").decode(errors="replace")), cpu)
            else:
                seen[pid] = (seen[pid][0], cpu)
        except (OSError, IndexError, ValueError):
            continue


def run_measured(ws: PulumiWorkspace, *args: str) -> Sample:
    """``pulumi <args>`` like :meth:`PulumiWorkspace.run`, measured.

    ``cpu`` is exact (rusage of the reaped process tree); ``by_kind`` samples /proc every 50 ms
    and so misses each process's last few milliseconds."""
    argv = [str(ws.bin_dir / "pulumi"), *args, "--non-interactive", "--color=never"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=ws.project_dir,
        env=ws.environ(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    seen: dict[int, tuple[str, float]] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            _tree_cpu(proc.pid, seen)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(timeout=ws.timeout)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(
            f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]!r}{err[-3000:]!r}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    by_kind: dict[str, float] = {}
    for kind, seconds in seen.values():
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    return Sample(wall, cpu, by_kind, len(out) + len(err))


COMMANDS = {
    "up": ("up", "--yes", "--skip-preview"),
    "preview": ("preview", "--expect-no-changes"),
    "refresh": ("refresh", "--yes", "--skip-preview", "--expect-no-changes"),
    "update": ("up", "--yes", "--skip-preview"),
    "destroy": ("destroy", "--yes", "--skip-preview"),
}


@dataclass
class Store:
    """Where llmreg's stack writes: environment and stack config of its workspace."""

    name: str
    env: dict[str, str]
    config: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


@contextmanager
def open_store(kind: str, root: Path) -> Iterator[Store]:
    unused = {"LLMREG_HOME": str(root / "llmreg-home"), "LLMREG_URL": "", "LLMREG_TOKEN": ""}
    if kind == "embedded":
        yield Store(kind, unused)
        return
    from tests.harness.postgres import postgres_database
    from tests.harness.registry import running_registry

    token = "admin-" + secrets.token_hex(12)
    with ExitStack() as stack:
        if kind == "http-pg":
            dsn = os.environ.get("LLMREG_TEST_PG_DSN") or DEFAULT_PG_DSN
            db_url = stack.enter_context(postgres_database(dsn, "llmreg_bench"))
        else:
            db_url = f"sqlite:///{root / 'server.db'}"
        server = stack.enter_context(running_registry(root / "server", db_url, admin_token=token))
        yield Store(kind, unused, {"llmreg:url": server.url}, {"llmreg:token": token})


def workspace(root: Path, label: str, n: int, store: Store, bin_dir: Path) -> PulumiWorkspace:
    floor_lib = root / "floor-lib"
    floor_lib.mkdir(exist_ok=True)
    (floor_lib / "llmreg_bench_floor.py").write_text(FLOOR_MODULE)
    pythonpath = os.pathsep.join(filter(None, [str(floor_lib), os.environ.get("PYTHONPATH")]))
    is_llmreg = label == "llmreg"
    return PulumiWorkspace(
        root / f"{label}-{n}",
        PROGRAMS[label],
        bin_dir=bin_dir,
        env={**store.env, "PYTHONPATH": pythonpath, **ENGINE_ENV},
        config={"n": str(n), "temperature": "0.5", **(store.config if is_llmreg else {})},
        secrets={"key": "sk-bench-0123456789", **(store.secrets if is_llmreg else {})},
        timeout=3600,
    )


def state_bytes_per_resource(ws: PulumiWorkspace) -> float:
    deployment = ws.stack_export()["deployment"]
    mine = [r for r in deployment.get("resources", []) if not r["type"].startswith("pulumi:")]
    text = sum(len(json.dumps(r, separators=(",", ":"))) for r in mine)
    return text / max(len(mine), 1)


Results = dict[tuple[str, int, str], Sample]  # (stack, size, phase) -> median sample


def run_size(
    root: Path,
    n: int,
    store: Store,
    bin_dir: Path,
    rounds: int,
    results: Results,
    labels: tuple[str, ...],
) -> dict[str, float]:
    """Every phase on every stack of size ``n``, interleaved; returns state bytes per resource."""
    spaces = {label: workspace(root, label, n, store, bin_dir) for label in labels}
    state: dict[str, float] = {}
    for phase in PHASES:
        samples: dict[str, list[Sample]] = {label: [] for label in spaces}
        reps = rounds if phase in ("preview", "refresh") else 1
        for i in range(reps):
            for label, ws in spaces.items():
                if phase == "update":
                    ws.config_set("temperature", f"0.{i + 6}")
                samples[label].append(run_measured(ws, *COMMANDS[phase]))
                if phase == "up":
                    state[label] = state_bytes_per_resource(ws)
        for label, got in samples.items():
            results[(label, n, phase)] = min(got, key=lambda s: s.cpu) if reps > 1 else got[0]
    return state


def line(small: float, large: float, n_small: int, n_large: int) -> tuple[float, float]:
    """Slope per resource (2N+1 resources) and intercept of the line through two sizes."""
    r_small, r_large = 2 * n_small + 1, 2 * n_large + 1
    slope = (large - small) / (r_large - r_small)
    return slope, small - slope * r_small


def report(results: Results, sizes: tuple[int, int], store: str) -> None:
    small, large = sizes
    shaped = ("floor-shaped", small, "up") in results
    print(f"\n== store: {store}; sizes N={small} and N={large} (2N+1 resources) ==")
    print(
        f"{'phase':8} {'measure':7} {'floor-deps s':>13} {'llmreg s':>11}"
        f" {'slope ms/res ours/deps':>23} {'ratio':>6} {'fixed+ s':>8} {'vs floor':>8}"
        + (f" {'shaped/deps':>11} {'ours/shaped':>11}" if shaped else "")
    )
    for phase in PHASES:
        for measure in ("wall", "cpu"):

            def fit(label: str, phase: str = phase, measure: str = measure) -> tuple[float, ...]:
                at = [float(getattr(results[(label, n, phase)], measure)) for n in sizes]
                return (*at, *line(at[0], at[1], small, large))

            ours, deps, flat = fit("llmreg"), fit("floor-deps"), fit("floor")
            ratio = ours[2] / deps[2] if deps[2] > 0 else float("nan")
            flat_ratio = ours[2] / flat[2] if flat[2] > 0 else float("nan")
            extra = ""
            if shaped:
                like = fit("floor-shaped")
                extra = f" {like[2] / deps[2]:10.2f}x {ours[2] / like[2]:10.2f}x"
            print(
                f"{phase:8} {measure:7} {deps[0]:6.1f}/{deps[1]:<6.1f}"
                f" {ours[0]:5.1f}/{ours[1]:<5.1f}"
                f" {ours[2] * 1000:11.1f} / {deps[2] * 1000:<9.1f} {ratio:5.2f}x"
                f" {ours[3] - deps[3]:+8.2f} {flat_ratio:7.2f}x" + extra
            )
    print(f"CPU by process at N={large} (s; sampled): llmreg | floor-deps")
    for phase in PHASES:
        mine, theirs = results[("llmreg", large, phase)], results[("floor-deps", large, phase)]
        kinds = sorted(set(mine.by_kind) | set(theirs.by_kind))
        cells = ", ".join(
            f"{k} {mine.by_kind.get(k, 0):.1f}|{theirs.by_kind.get(k, 0):.1f}" for k in kinds
        )
        print(f"  {phase:8} {cells}")
    print(f"engine output bytes at N={large}: llmreg | floor-deps")
    for phase in PHASES:
        mine, theirs = results[("llmreg", large, phase)], results[("floor-deps", large, phase)]
        print(f"  {phase:8} {mine.log_bytes} | {theirs.log_bytes}")


def run_big(root: Path, n: int, store: Store, bin_dir: Path) -> None:
    ws = workspace(root, "llmreg", n, store, bin_dir)
    print(f"\n== one llmreg stack of 1 product + {n} models + {n} agents ({store.name}) ==")
    for phase in ("up", "preview", "refresh", "destroy"):
        got = run_measured(ws, *COMMANDS[phase])
        print(f"{phase:8} ok  wall {got.wall:6.1f} s  cpu {got.cpu:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", default="25,100", help="two model counts N (default 25,100; 0: none)"
    )
    parser.add_argument("--store", action="append", choices=STORES, help="repeatable")
    parser.add_argument("--rounds", type=int, default=1, help="preview/refresh repeats (min CPU)")
    parser.add_argument("--big", type=int, default=0, help="also run one stack of this N")
    parser.add_argument(
        "--shaped",
        action="store_true",
        help="also run floor-shaped: no-op resources with llmreg's property shapes and wiring",
    )
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="run every stack with PULUMI_SKIP_CHECKPOINTS=true (the engine then writes the "
        "state once at the end, not after every step): a measurement, not a recommendation",
    )
    args = parser.parse_args()
    if args.skip_checkpoints:
        ENGINE_ENV["PULUMI_SKIP_CHECKPOINTS"] = "true"
    sizes = tuple(int(x) for x in args.sizes.split(",") if int(x) > 0)
    bin_dir = find_pulumi_bin()
    for kind in args.store or ["embedded"]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            with open_store(kind, root) as store:
                if len(sizes) == 2:
                    results: Results = {}
                    labels = tuple(k for k in PROGRAMS if args.shaped or k != "floor-shaped")
                    states = [
                        run_size(root, n, store, bin_dir, args.rounds, results, labels)
                        for n in sizes
                    ]
                    report(results, (sizes[0], sizes[1]), kind)
                    print(
                        "state bytes per resource: "
                        + ", ".join(f"{k} {v:.0f}" for k, v in states[1].items())
                    )
                if args.big:
                    run_big(root, args.big, store, bin_dir)
    print(f"\n(one run per phase; preview/refresh: the least CPU of {args.rounds})")


if __name__ == "__main__":
    main()
