"""Drive the real Pulumi engine (CLI) against throwaway projects, fully offline.

Every :class:`PulumiWorkspace` is one project + one stack in its own directory, with its own
``file://`` backend, its own ``PULUMI_HOME`` and a passphrase secrets provider, so tests can
run in parallel and never touch the user's Pulumi state or the network.

A workspace's program is Python (the default), TypeScript/JavaScript (``runtime="nodejs"``) or
Pulumi YAML (``runtime="yaml"``). The toolchain (``pulumi``, our Python and Node.js language
hosts, the upstream Python launchers and pulumi-yaml's host) comes from the directory returned
by :func:`find_pulumi_bin`. TypeScript programs get a ``node_modules`` with the pinned
``@pulumi/pulumi`` and ``typescript`` (:func:`node_modules_dir`): installed once per lockfile
with ``npm ci`` into ``$LLMREG_CACHE/node/``, the only download, then linked into each workspace.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets as _secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any, Literal

PULUMI_VERSION = "3.260.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO_ROOT / "scripts" / "setup-pulumi"

#: Seconds allowed for one pulumi command before it (and its plugins) are killed.
DEFAULT_TIMEOUT = 300.0
#: Seconds allowed for scripts/setup-pulumi (a cold build compiles the Pulumi CLI).
SETUP_TIMEOUT = 1800.0

#: Executables a usable bin directory must contain.
REQUIRED_EXECUTABLES = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
    "pulumi-language-nodejs",
    "pulumi-language-yaml",
)

#: The language a workspace's program is written in (Pulumi.yaml ``runtime``).
Runtime = Literal["python", "nodejs", "yaml"]

#: The committed package.json + package-lock.json that TypeScript programs run with.
NODE_DEPS_DIR = REPO_ROOT / "tools" / "pulumi" / "nodejs"
#: Seconds allowed for the one ``npm ci`` (downloads ~40 MB on a fresh machine).
NPM_TIMEOUT = 900.0
#: Bump to reinstall every cached node_modules (e.g. when the npm ci flags change).
_NODE_CACHE_FORMAT = "1"

#: Settings that keep the engine offline and non-interactive. Applied to every command.
OFFLINE_ENV: dict[str, str] = {
    "PULUMI_SKIP_UPDATE_CHECK": "true",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
    "PULUMI_SUPPRESS_NEO_LINK": "true",
    "PULUMI_CREDENTIAL_STORE": "plaintext",
    "PULUMI_SKIP_CONFIRMATIONS": "true",
}

#: Inherited variables that could point the engine at real state, credentials or a cloud.
_SCRUBBED_ENV_PREFIXES = ("PULUMI_",)
_SCRUBBED_ENV = ("VIRTUAL_ENV", "PYTHONHOME")


class PulumiUnavailable(RuntimeError):
    """No usable Pulumi toolchain could be found or built."""


class PulumiMisconfigured(PulumiUnavailable):
    """``LLMREG_PULUMI_BIN`` is set but does not hold the toolchain (always a test failure)."""


class NodeUnavailable(PulumiUnavailable):
    """Node.js/npm is missing, or the pinned node_modules could not be installed."""


def cache_root() -> Path:
    """``$LLMREG_CACHE`` (default ``~/.cache/llmreg``), as in the Makefile and the setup scripts."""
    return Path(os.environ.get("LLMREG_CACHE") or Path.home() / ".cache" / "llmreg").expanduser()


def node_modules_dir(deps_dir: Path = NODE_DEPS_DIR, *, cache: Path | None = None) -> Path:
    """A ``node_modules`` with the packages pinned by ``deps_dir``'s package-lock.json.

    Installed once with ``npm ci --ignore-scripts`` into
    ``<cache>/node/<hash of package.json + package-lock.json>/node_modules`` and reused by every
    later call, test run and worker (a file lock serializes the install; the finished directory
    appears atomically). Treat it as read-only: workspaces symlink it.

    Raises :class:`NodeUnavailable` when node/npm is missing or ``npm ci`` fails.
    """
    manifest, lockfile = deps_dir / "package.json", deps_dir / "package-lock.json"
    digest = hashlib.sha256(_NODE_CACHE_FORMAT.encode())
    for path in (manifest, lockfile):
        digest.update(path.read_bytes())
    base = (cache or cache_root()) / "node"
    target = base / digest.hexdigest()[:16]
    if (target / "node_modules").is_dir():
        return target / "node_modules"
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise NodeUnavailable(f"{tool} is not on PATH; TypeScript programs need Node.js >= 20")

    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing the same lockfile
        if (target / "node_modules").is_dir():
            return target / "node_modules"
        for stale in base.glob(".install-*"):  # left by an interrupted install
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=base))
        try:
            shutil.copy2(manifest, staging / "package.json")
            shutil.copy2(lockfile, staging / "package-lock.json")
            argv = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
            try:
                proc = subprocess.run(
                    argv,
                    cwd=staging,
                    env={**os.environ, "NPM_CONFIG_UPDATE_NOTIFIER": "false"},
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise NodeUnavailable(f"`{' '.join(argv)}` in {staging} failed: {exc}") from exc
            if proc.returncode != 0:
                raise NodeUnavailable(
                    f"`{' '.join(argv)}` for {lockfile} exited {proc.returncode}:\n"
                    f"{proc.stdout.strip()}\n{proc.stderr.strip()}"
                )
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target / "node_modules"


def _is_bin_dir(path: Path) -> bool:
    return all(os.access(path / exe, os.X_OK) for exe in REQUIRED_EXECUTABLES)


def _version_tuple(text: str) -> tuple[int, ...]:
    core = text.strip().lstrip("v").split("-")[0].split("+")[0]
    try:
        return tuple(int(part) for part in core.split("."))
    except ValueError:
        return ()


def find_pulumi_bin(*, build: bool = True) -> Path:
    """Return the directory holding the Pulumi toolchain.

    Order: ``$LLMREG_PULUMI_BIN`` (set by the Makefile; must be valid when set), then a
    ``pulumi`` >= the pinned version on ``PATH`` with the Python plugins next to it, then
    ``scripts/setup-pulumi`` (which may build the toolchain from Go modules) if ``build``.

    Raises :class:`PulumiUnavailable` with the reason when none works.
    """
    explicit = os.environ.get("LLMREG_PULUMI_BIN")
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not _is_bin_dir(path):
            missing = [e for e in REQUIRED_EXECUTABLES if not os.access(path / e, os.X_OK)]
            raise PulumiMisconfigured(
                f"LLMREG_PULUMI_BIN={explicit} lacks executables {missing}; "
                "run scripts/setup-pulumi"
            )
        return path

    ambient = shutil.which("pulumi")
    if ambient:
        path = Path(ambient).resolve().parent
        # A cache dir made by scripts/setup-pulumi goes through the script's staleness check.
        if _is_bin_dir(path) and not (path / ".llmreg-stamp").exists():
            version = subprocess.run(
                [str(path / "pulumi"), "version"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
            if _version_tuple(version) >= _version_tuple(PULUMI_VERSION):
                return path

    if not build:
        raise PulumiUnavailable("no Pulumi toolchain on LLMREG_PULUMI_BIN or PATH")
    if not SETUP_SCRIPT.exists():
        raise PulumiUnavailable(f"{SETUP_SCRIPT} is missing")
    try:
        proc = subprocess.run(
            [str(SETUP_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PulumiUnavailable(f"scripts/setup-pulumi failed: {exc}") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise PulumiUnavailable(
            f"scripts/setup-pulumi exited {proc.returncode}:\n{proc.stderr.strip()}"
        )
    path = Path(lines[-1]).resolve()
    if not _is_bin_dir(path):
        raise PulumiUnavailable(f"scripts/setup-pulumi printed {path}, which is incomplete")
    return path


@dataclass
class PulumiResult:
    """Outcome of one ``pulumi`` command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout followed by stderr."""
        return self.stdout + self.stderr

    def transcript(self) -> str:
        return (
            f"$ pulumi {' '.join(self.args)}\n"
            f"[exit {self.returncode}]\n"
            f"--- stdout ---\n{self.stdout}"
            f"--- stderr ---\n{self.stderr}"
        )

    def check(self) -> PulumiResult:
        """Return self, or raise AssertionError with the full transcript if the command failed."""
        if self.returncode != 0:
            raise AssertionError(f"pulumi command failed:\n{self.transcript()}")
        return self


@dataclass
class PulumiWorkspace:
    """One isolated Pulumi project and stack under ``root``.

    ``program`` depends on ``runtime``:

    - ``"python"`` (default): the text of ``__main__.py``, or a path to a ``.py`` file (copied as
      ``__main__.py``) or to a directory (copied as the project; a ``Pulumi.yaml`` in it is
      replaced). The program runs in this interpreter's virtualenv (``sys.prefix``).
    - ``"nodejs"``: the text of ``index.ts``, or a path to a ``.ts``/``.js`` file (copied as
      ``index.ts``/``index.js``) or to a project directory (copied, without any node_modules;
      its ``Pulumi.yaml`` is replaced, a missing ``package.json`` is written). TypeScript runs
      through ts-node, type-checked. ``node_modules`` comes from :func:`node_modules_dir` (or
      the ``node_modules`` argument): a symlink by default; ``node_modules_mode="copy"`` makes a
      private hard-linked copy, for tests that let npm change it (``pulumi package add``).
    - ``"yaml"``: the YAML program (config/variables/resources/outputs) as text, or a path to
      a file or a project directory; it becomes ``Main.yaml`` (a directory's ``Pulumi.yaml`` is
      renamed to ``Main.yaml`` unless it has one) and ``Pulumi.yaml`` only names the project.

    ``config``/``secrets`` are set with ``pulumi config set [--secret]`` after ``stack init``;
    secret values go through stdin, so they never appear in arguments or transcripts.
    """

    root: Path
    program: str | Path
    _: KW_ONLY
    bin_dir: Path
    stack: str = "test"
    project: str = "llmreg-e2e"
    env: Mapping[str, str] | None = None
    config: Mapping[str, str] | None = None
    secrets: Mapping[str, str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    virtualenv: Path = field(default_factory=lambda: Path(sys.prefix))
    init: bool = True
    runtime: Runtime = "python"
    node_modules: Path | None = None
    node_modules_mode: Literal["symlink", "copy"] = "symlink"

    transcripts: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.project_dir = self.root / "project"
        self.backend_dir = self.root / "backend"
        self.home_dir = self.root / "pulumi-home"
        self.passphrase = "llmreg-test-" + _secrets.token_hex(8)
        for d in (self.backend_dir, self.home_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._write_project()
        if self.init:
            self.run("stack", "init", self.stack)
            for key, value in (self.config or {}).items():
                self.config_set(key, value)
            for key, value in (self.secrets or {}).items():
                self.config_set(key, value, secret=True)

    # -- setup -------------------------------------------------------------------------

    def _write_project(self) -> None:
        writers = {
            "python": self._write_python_project,
            "nodejs": self._write_nodejs_project,
            "yaml": self._write_yaml_project,
        }
        if self.runtime not in writers:
            raise ValueError(f"unknown runtime {self.runtime!r}; expected one of {list(writers)}")
        writers[self.runtime]()

    def _write_pulumi_yaml(self, runtime: str | dict[str, Any]) -> None:
        # JSON is valid YAML; avoids a YAML dependency.
        pulumi_yaml = {"name": self.project, "runtime": runtime}
        (self.project_dir / "Pulumi.yaml").write_text(json.dumps(pulumi_yaml, indent=2) + "\n")

    def _copy_program(self, main_name: str, *, ignore: Iterable[str] = ()) -> None:
        """Copy a program directory, or write a program text/file as ``main_name``."""
        program = self.program
        if isinstance(program, Path) and program.is_dir():
            shutil.copytree(program, self.project_dir, ignore=shutil.ignore_patterns(*ignore))
        else:
            self.project_dir.mkdir(parents=True)
            text = program.read_text() if isinstance(program, Path) else program
            (self.project_dir / main_name).write_text(text)

    def _write_python_project(self) -> None:
        self._copy_program("__main__.py")
        self._write_pulumi_yaml(
            {"name": "python", "options": {"virtualenv": str(Path(self.virtualenv).resolve())}}
        )

    def _write_nodejs_project(self) -> None:
        program = self.program
        main = "index.js" if isinstance(program, Path) and program.suffix == ".js" else "index.ts"
        self._copy_program(main, ignore=["node_modules"])
        package_json = self.project_dir / "package.json"
        if not package_json.exists():
            pinned = json.loads((NODE_DEPS_DIR / "package.json").read_text())
            manifest = {
                "name": self.project,
                "version": "0.0.0",
                "private": True,
                "main": main,
                "dependencies": pinned["dependencies"],
                "devDependencies": pinned["devDependencies"],
            }
            package_json.write_text(json.dumps(manifest, indent=2) + "\n")
        self._write_pulumi_yaml({"name": "nodejs", "options": {"typescript": True}})

        source = Path(self.node_modules) if self.node_modules else node_modules_dir()
        dest = self.project_dir / "node_modules"
        if self.node_modules_mode == "symlink":
            dest.symlink_to(source.resolve(), target_is_directory=True)
        else:
            # Hard links where possible: fast, and npm replaces files rather than editing them.
            shutil.copytree(source, dest, symlinks=True, copy_function=_link_or_copy)
            lock = NODE_DEPS_DIR / "package-lock.json"
            if not (self.project_dir / "package-lock.json").exists():
                shutil.copy2(lock, self.project_dir / "package-lock.json")

    def _write_yaml_project(self) -> None:
        self._copy_program("Main.yaml")
        existing = self.project_dir / "Pulumi.yaml"
        main = self.project_dir / "Main.yaml"
        if existing.exists() and not main.exists():
            existing.rename(main)
        self._write_pulumi_yaml("yaml")

    def environ(self) -> dict[str, str]:
        """The environment every pulumi command of this workspace runs with."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_SCRUBBED_ENV_PREFIXES) and k not in _SCRUBBED_ENV
        }
        base.update(OFFLINE_ENV)
        base.update(
            {
                "PATH": os.pathsep.join([str(self.bin_dir), base.get("PATH", "")]),
                "PULUMI_HOME": str(self.home_dir),
                "PULUMI_BACKEND_URL": self.backend_dir.as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            }
        )
        base.update(self.env or {})
        return base

    # -- commands ----------------------------------------------------------------------

    def run(
        self,
        *args: str,
        expect_ok: bool = True,
        input: str | None = None,
        timeout: float | None = None,
        record: bool = True,
    ) -> PulumiResult:
        """Run ``pulumi <args> --non-interactive --color=never`` in the project directory.

        The transcript is appended to :attr:`transcripts` (``record=False`` withholds the
        output, for commands asked to reveal secrets). Raises AssertionError on failure when
        ``expect_ok``, and on timeout (after killing the command and its plugins).
        """
        argv = [*args, "--non-interactive", "--color=never"]
        limit = self.timeout if timeout is None else timeout
        proc = subprocess.Popen(
            [str(self.bin_dir / "pulumi"), *argv],
            cwd=self.project_dir,
            env=self.environ(),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a timeout can kill the plugins too
        )
        try:
            stdout, stderr = proc.communicate(input=input, timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            result = PulumiResult(argv, -9, stdout, stderr)
            self._record(result, record)
            raise AssertionError(
                f"pulumi timed out after {limit:.0f}s:\n{result.transcript()}"
            ) from None
        result = PulumiResult(argv, proc.returncode, stdout, stderr)
        self._record(result, record)
        return result.check() if expect_ok else result

    def _record(self, result: PulumiResult, record: bool) -> None:
        if record:
            self.transcripts.append(result.transcript())
        else:
            self.transcripts.append(
                f"$ pulumi {' '.join(result.args)}\n[exit {result.returncode}]\n"
                "[output withheld from transcripts: it reveals secrets on purpose]\n"
            )

    def preview(self, *extra: str, expect_ok: bool = True) -> PulumiResult:
        return self.run("preview", *extra, expect_ok=expect_ok)

    def up(self, *extra: str, expect_ok: bool = True) -> PulumiResult:
        return self.run("up", "--yes", "--skip-preview", *extra, expect_ok=expect_ok)

    def refresh(self, *extra: str, expect_ok: bool = True) -> PulumiResult:
        return self.run("refresh", "--yes", "--skip-preview", *extra, expect_ok=expect_ok)

    def destroy(self, *extra: str, expect_ok: bool = True) -> PulumiResult:
        return self.run("destroy", "--yes", "--skip-preview", *extra, expect_ok=expect_ok)

    def install_plugin(
        self, name: str, version: str, source: Path, *, kind: str = "resource"
    ) -> PulumiResult:
        """Install a plugin into this workspace's ``PULUMI_HOME`` from a local executable,
        directory or tarball: ``pulumi plugin install <kind> <name> <version> --file <source>``.

        Nothing is downloaded. For a resource plugin the engine then finds
        ``pulumi-resource-<name>`` v``version`` without any PATH lookup.
        """
        version = version.removeprefix("v")
        return self.run("plugin", "install", kind, name, version, "--file", str(Path(source)))

    def config_set(self, key: str, value: str, *, secret: bool = False) -> PulumiResult:
        if secret:
            # The value goes through stdin: never in argv, process listings or transcripts.
            return self.run("config", "set", "--secret", key, input=value)
        return self.run("config", "set", key, value)

    def stack_export(self) -> dict[str, Any]:
        """``pulumi stack export`` (secrets stay encrypted) as parsed JSON."""
        data: dict[str, Any] = json.loads(self.run("stack", "export").stdout)
        return data

    def outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The stack outputs; with ``show_secrets`` the output is kept out of transcripts."""
        args = ["stack", "output", "--json"]
        if show_secrets:
            args.append("--show-secrets")
        data: dict[str, Any] = json.loads(self.run(*args, record=not show_secrets).stdout)
        return data

    # -- leak scanning -----------------------------------------------------------------

    def state_files(self) -> Iterable[Path]:
        """Every file the engine persisted: backend, PULUMI_HOME and the project dir (without
        the installed ``node_modules``)."""
        for top in (self.backend_dir, self.home_dir, self.project_dir):
            yield from (
                p
                for p in sorted(top.rglob("*"))
                if p.is_file() and "node_modules" not in p.relative_to(top).parts
            )

    def find_leaks(self, needle: str) -> list[str]:
        """Where ``needle`` occurs in persisted files or transcripts (empty list: nowhere)."""
        raw = needle.encode()
        hits = [str(p) for p in self.state_files() if raw in p.read_bytes()]
        hits += [
            f"transcript #{i}: {t.splitlines()[0]}"
            for i, t in enumerate(self.transcripts)
            if needle in t
        ]
        return hits


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


#: Type of the ``pulumi_workspace`` fixture: ``(program, **PulumiWorkspace kwargs) -> workspace``.
WorkspaceFactory = Callable[..., PulumiWorkspace]
