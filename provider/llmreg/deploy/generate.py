"""``python -m llmreg.deploy.generate [--check]``: write (or check) every file made from the shapes.

The shapes of :mod:`llmreg.domain` and :mod:`llmreg.deploy` are the one declaration of each
field; these files say it again for their readers and are generated (``make generate``, which
also runs ``scripts/gen-sdk`` for the plugin schema and the TypeScript SDK):

- the Python SDK's typed surface, ``llmreg/resources/_generated/`` (:mod:`.pysdk`);
- the runtime's settings, ``llmreg/runtime/_settings_gen.py`` (:mod:`.runtimegen`);
- the tables and lists in docs/ and the settings of examples/node-runtime (:mod:`.reference`).

``--check`` writes nothing and exits 1 naming the stale files (tests/unit/test_generated.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ..domain.model_config import OVERRIDABLE_WIRE_NAMES
from . import CORES
from .pysdk import ResourceText, render_args, render_init, render_resource
from .reference import pages, render
from .runtimegen import render_settings

ROOT = Path(__file__).resolve().parents[3]
"""The repository (this file is provider/llmreg/deploy/generate.py)."""

RESOURCES: dict[str, ResourceText] = {
    "Product": ResourceText(CORES["Product"].args.__doc__ or "", "a product"),
    "LlmModel": ResourceText(CORES["LlmModel"].args.__doc__ or "", "a model"),
    "Agent": ResourceText(CORES["Agent"].args.__doc__ or "", "an agent"),
}


def _module(name: str) -> str:
    from pydantic.alias_generators import to_snake

    return to_snake(name)


def python_files() -> dict[Path, str]:
    """Each generated Python module and its text (before formatting)."""
    package = ROOT / "provider" / "llmreg"
    out = {
        package / "resources" / "_generated" / "__init__.py": render_init(),
        package / "resources" / "_generated" / "args.py": render_args(),
        package / "runtime" / "_settings_gen.py": render_settings(),
    }
    for name, text in RESOURCES.items():
        path = package / "resources" / "_generated" / f"{_module(name)}.py"
        out[path] = render_resource(name, CORES[name], text)
    return out


def _ruff(path: Path, text: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ruff {args[0]} failed on the generated {path}:\n{done.stderr}")
    return done.stdout


def formatted(path: Path, text: str) -> str:
    """``text`` as the repository's ruff settings want it: the renderers import every name a
    module might use, and ruff drops those it does not, sorts the imports and formats."""
    fixed = _ruff(path, text, "check", "--fix", "--quiet", "--select", "F401,I")
    return _ruff(path, fixed, "format")


def generated() -> dict[Path, str]:
    """Every generated file and what it must hold now."""
    out = {path: formatted(path, text) for path, text in python_files().items()}
    for path, blocks in pages(ROOT / "docs").items():
        out[path] = render(path.read_text(), blocks)
    node = ROOT / "examples" / "node-runtime" / "llmreg.mjs"
    out[node] = render(node.read_text(), {"settings": _node_settings()})
    return out


def _node_settings() -> str:
    names = ", ".join(f'"{name}"' for name in OVERRIDABLE_WIRE_NAMES)
    return f"const SETTINGS = [{names}];\n// "


def stale() -> list[Path]:
    """The generated files that are not what the shapes say now."""
    return [p for p, text in generated().items() if not p.exists() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; fail when stale")
    args = parser.parse_args(argv)
    files = generated()
    wrong = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    for path in wrong:
        where = path.relative_to(ROOT)
        if args.check:
            print(f"stale: {where} (run: make generate)", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[path])
            print(f"wrote {where}")
    return 1 if wrong and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
