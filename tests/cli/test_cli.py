"""The installed ``llmreg`` script as a subprocess, against a real SQLite file and against a real
``llmreg serve`` (started with that same script) on loopback.

Every invocation's stdout and stderr are kept; each test ends by asserting that the plaintext
API key appears in none of them, except for ``resolve --show-key``, which exists to print it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store import open_store
from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore
from tests.harness.registry import RegistryServer, running_registry

LLMREG = str(Path(sys.executable).parent / "llmreg")


@dataclass
class Cli:
    """Runs ``llmreg`` with a fixed environment and remembers everything it printed."""

    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    def __call__(self, *args: str, **options: str | int) -> str:
        """Run ``llmreg <args>``; ``code=`` is the exit code expected (default 0), every other
        keyword an environment variable."""
        code = int(options.pop("code", 0))
        env = {k: str(v) for k, v in options.items()}
        done = subprocess.run(
            [LLMREG, *args],
            capture_output=True,
            text=True,
            env={**self.env, **env},
            timeout=60,
            check=False,
        )
        self.outputs.append(done.stdout + done.stderr)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout if code == 0 else done.stderr

    def json(self, *args: str, **env: str) -> Any:
        return json.loads(self(*args, "--json", **env))

    def assert_never_printed(self, secret: str) -> None:
        assert not any(secret in out for out in self.outputs), "a plaintext key was printed"


@dataclass
class Seeded:
    db_url: str
    key: PrivateKey
    key_file: Path
    plain: str


def table(text: str) -> dict[str, list[str]]:
    """A printed table by its first column: ``{"FIELD": ["VALUE", ...], "temperature": [...]}``
    (tables have no borders; cells hold no spaces but lists, which this splits)."""
    return {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}


def _seed(tmp_path: Path) -> Seeded:
    db_url = f"sqlite:///{tmp_path / 'seed.db'}"
    key = PrivateKey.generate()
    plain = "sk-" + secrets.token_hex(16)
    sealed = seal(plain, key.public_key, product="shop", env="prd", model_tag="m")
    records: list[ProductRecord | LlmModelRecord | AgentRecord] = [
        ProductRecord.model_validate(
            {
                "tag": "shop",
                "name": "Shop",
                "envs": [{"slug": "prd", "keyId": key.key_id, "publicKey": key.public_key.text}],
            }
        ),
        LlmModelRecord.model_validate(
            {
                "product": "shop",
                "tag": "m",
                "name": "M",
                "provider": "openai",
                "model": "gpt-4",
                "maxTokens": 2048,
                "envs": [
                    {
                        "slug": "prd",
                        "sealedKey": sealed.to_wire(),
                        "keyFingerprint": fingerprint(sealed),
                    }
                ],
            }
        ),
        AgentRecord.model_validate(
            {
                "product": "shop",
                "tag": "a",
                "name": "A",
                "model": "m",
                "modelConfig": {"topP": 0.5},
                "envs": [{"slug": "prd", "modelConfig": {"maxTokens": 512}}],
            }
        ),
    ]
    with SqlStore(db_url) as store:
        for record in records:
            store.put(record, expected_version=0, actor="test")
    key_file = tmp_path / "prd.key"
    key_file.write_text(key.reveal())
    return Seeded(db_url, key, key_file, plain)


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    return _seed(tmp_path)


@pytest.fixture
def cli(tmp_path: Path, seeded: Seeded) -> Iterator[Cli]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLMREG_")}
    runner = Cli({**env, "LLMREG_HOME": str(tmp_path / "home"), "LLMREG_URL": seeded.db_url})
    yield runner
    runner.assert_never_printed(seeded.plain)


def test_resolve_explain_json_and_errors(cli: Cli, seeded: Seeded) -> None:
    kf = ["--private-key-file", str(seeded.key_file)]
    cfg = cli.json("resolve", "shop", "prd", "a", *kf, "--set", "temperature=0.2")
    assert isinstance(cfg, dict)
    assert cfg["temperature"] == 0.2 and cfg["provenance"]["temperature"] == "runtime"
    assert cfg["topP"] == 0.5 and cfg["provenance"]["topP"] == "agent"
    assert cfg["maxTokens"] == 512 and cfg["provenance"]["maxTokens"] == "env"
    assert cfg["hasKey"] is True and "apiKey" not in cfg

    rows = table(cli("resolve", "shop", "prd", "a", *kf, "--explain"))
    assert rows["FIELD"] == ["VALUE", "FROM"]
    assert rows["temperature"] == ["0.7", "model"]
    assert rows["topP"] == ["0.5", "agent"]
    assert rows["maxTokens"] == ["512", "env"]
    assert rows["timeout"] == ["-", "-"]
    assert rows["provider"] == ["openai", "model"]
    assert rows["baseUrl"] == ["-", "-"]
    assert list(rows) == [
        "FIELD", "provider", "model", "baseUrl", "temperature", "maxTokens", "topP",
        "stopSequences", "timeout",
    ]  # fmt: skip
    plain = table(cli("resolve", "shop", "prd", "a", *kf, "--set", 'stopSequences=["x"]'))
    assert plain["FIELD"] == ["VALUE"] and plain["stopSequences"] == ['["x"]']

    # The private key may also come from the environment.
    env_key = cli("resolve", "shop", "prd", "a", "--json", LLMREG_PRIVATE_KEY=seeded.key.reveal())
    assert json.loads(env_key)["hasKey"] is True

    assert "temperature" in cli(
        "resolve", "shop", "prd", "a", *kf, "--set", "temperature=9", code=1
    )
    assert "expected field=value" in cli("resolve", "shop", "prd", "a", "--set", "x", code=2)
    assert "nope" in cli("resolve", "shop", "prd", "nope", *kf, code=1)
    other = PrivateKey.generate()
    other_file = seeded.key_file.with_name("other.key")
    other_file.write_text(other.reveal())
    wrong = cli("resolve", "shop", "prd", "a", "--private-key-file", str(other_file), code=1)
    assert wrong.startswith("error:") and "prd" in wrong

    shown = cli("resolve", "shop", "prd", "a", *kf, "--show-key")
    assert seeded.plain in shown  # the one command that may print it
    cli.outputs.pop()


def test_resolve_without_a_private_key_shows_the_table(cli: Cli, seeded: Seeded) -> None:
    """Settings and provenance need no key (issue 18, item 6); only --show-key does."""
    rows = table(cli("resolve", "shop", "prd", "a", "--explain"))
    assert rows["temperature"] == ["0.7", "model"] and rows["maxTokens"] == ["512", "env"]
    as_json = cli.json("resolve", "shop", "prd", "a", "--set", "temperature=0.2")
    assert isinstance(as_json, dict) and as_json["provenance"]["temperature"] == "runtime"
    assert as_json["hasKey"] is True and "apiKey" not in as_json
    shut = cli("resolve", "shop", "prd", "a", "--show-key", code=1)
    assert shut.startswith("error:") and len(shut.strip().splitlines()) == 1
    assert seeded.key.key_id in shut and "--private-key-file" in shut
    garbage = cli("resolve", "shop", "prd", "a", "--explain", code=1, LLMREG_PRIVATE_KEY="junk")
    assert garbage.startswith("error:") and len(garbage.strip().splitlines()) == 1
    assert "not an llmreg private key" in garbage and "junk" not in garbage


def test_inspect_history_export_import(cli: Cli, seeded: Seeded, tmp_path: Path) -> None:
    products = table(cli("product", "list"))
    assert products["TAG"][:3] == ["NAME", "ENVS", "VERSION"]
    assert products["shop"][:3] == ["Shop", "prd", "1"]
    models = table(cli("model", "list", "shop"))
    assert models["m"][:5] == ["M", "openai", "gpt-4", "prd", "1"]
    agents = table(cli("agent", "list", "shop"))
    assert agents["a"][:4] == ["A", "m", "-", "prd"]
    shown = table(cli("model", "show", "shop", "m"))
    assert shown["provider"] == ["openai"] and shown["version"] == ["1"]
    assert shown["prd"][:3] == ["yes", "-", seeded.key.key_id]  # slug, active, baseUrl, key id
    assert shown["maxTokens"] == ["2048"]
    assert "ciphertext" not in cli("model", "show", "shop", "m")
    shown_agent = table(cli("agent", "show", "shop", "a"))
    assert shown_agent["modelConfig"] == ['{"topP":0.5}']
    assert shown_agent["prd"] == ['{"maxTokens":512}']
    human_history = cli("history", "--product", "shop").splitlines()
    assert human_history[0].split() == [
        "AT", "ACTOR", "ACTION", "KIND", "RECORD", "VERSION", "CHANGED"
    ]  # fmt: skip
    assert len(human_history) == 4  # the header and three writes
    assert human_history[1].split()[2:6] == ["test", "create", "agents", "shop/a"]
    assert "no history" in cli("history", "--product", "nothing-here")
    products = cli.json("product", "list")
    assert isinstance(products, list) and products[0]["envs"][0]["slug"] == "prd"
    model = cli.json("model", "show", "shop", "m")
    assert isinstance(model, dict) and model["version"] == 1
    env = model["record"]["envs"][0]
    assert env["keyId"] == seeded.key.key_id and env["keyFingerprint"].startswith("fp1:")
    assert "sealedKey" not in env  # inspection shows fingerprints, not even ciphertext
    agents = cli.json("agent", "list", "shop")
    assert isinstance(agents, list) and [a["tag"] for a in agents] == ["a"]
    assert "does not exist" in cli("agent", "show", "shop", "zzz", code=1)

    history = cli.json("history", "--product", "shop")
    assert isinstance(history, list) and len(history) == 3
    only_models = cli.json("history", "--product", "shop", "--kind", "models")
    assert isinstance(only_models, list) and [e["tag"] for e in only_models] == ["m"]
    by_tag = cli.json("history", "--product", "shop", "--tag", "a")
    assert isinstance(by_tag, list) and [e["kind"] for e in by_tag] == ["agents"]
    assert len(cli.json("history", "--limit", "1")) == 1

    exported = cli("export", "shop")
    data = json.loads(exported)
    assert data["format"] == "llmreg-export/1"
    assert data["models"][0]["envs"][0]["sealedKey"]["ciphertext"]
    backup = tmp_path / "backup.json"
    backup.write_text(exported)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert "imported 3 records" in cli("import", str(backup), "--url", other)
    assert cli("export", "shop", "--url", other) == exported
    kf = ["--private-key-file", str(seeded.key_file)]
    again = cli.json("resolve", "shop", "prd", "a", *kf, "--url", other)
    assert isinstance(again, dict) and again["model"] == "gpt-4" and again["hasKey"] is True

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**data, "agents": [{**data["agents"][0], "product": "x"}]}))
    assert "agents[0].product" in cli("import", str(broken), "--url", other, code=1)
    assert "cannot read" in cli("import", str(tmp_path / "missing.json"), code=1)


def test_history_names_each_env_and_import_counts_what_it_wrote(
    cli: Cli, seeded: Seeded, tmp_path: Path
) -> None:
    """The CHANGED column prints paths as recorded (`envs[prd].sealedKey`; a table cell is
    never read as markup), and `import` counts the records it wrote (issue 18, item 8)."""
    with SqlStore(seeded.db_url) as store:
        current = store.get(Kind.MODEL, "shop", "m")
        assert isinstance(current.record, LlmModelRecord)
        resealed = seal(
            "sk-rotated", seeded.key.public_key, product="shop", env="prd", model_tag="m"
        )
        env = current.record.envs[0].model_copy(
            update={"sealed_key": resealed, "key_fingerprint": fingerprint(resealed)}
        )
        rotated = current.record.model_copy(update={"envs": [env]})
        store.put(rotated, expected_version=current.version, actor="test")
    lines = cli("history", "--product", "shop", "--kind", "models").splitlines()
    assert lines[1].split()[2:6] == ["test", "update", "models", "shop/m"]
    assert lines[1].split()[7:] == ["envs[prd].keyFingerprint,", "envs[prd].sealedKey"]
    created = lines[2].split()[7:]
    assert created[0] == "envs[prd]," and "envs," not in created  # names the env, no repeats

    exported = tmp_path / "backup.json"
    exported.write_text(cli("export", "shop"))
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert cli("import", str(exported), "--url", other).strip() == (
        "imported 3 records into product 'shop'"
    )
    assert cli("import", str(exported), "--url", other).strip() == (
        "imported 0 records into product 'shop' (3 already identical, not written)"
    )
    data = json.loads(exported.read_text())
    data["agents"][0]["name"] = "Renamed"
    exported.write_text(json.dumps(data))
    assert cli("import", str(exported), "--url", other).strip() == (
        "imported 1 record into product 'shop' (2 already identical, not written)"
    )
    history = cli.json("history", "--product", "shop", "--url", other)
    assert isinstance(history, list) and len(history) == 4  # 3 creates and the rename
    assert history[0]["changedFields"] == ["name"]


def test_keygen_tokens_help_and_usage(cli: Cli, tmp_path: Path) -> None:
    kg = cli.json("keygen")
    assert isinstance(kg, dict) and kg["privateKey"].startswith("llmreg-sk1-")
    assert PrivateKey(kg["privateKey"]).public_key.text == kg["publicKey"]
    key_file = tmp_path / "k" / "dev.key"
    key_file.parent.mkdir()
    written = cli.json("keygen", "--private-key-file", str(key_file))
    assert isinstance(written, dict) and "privateKey" not in written
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert PrivateKey(key_file.read_text().strip()).key_id == written["keyId"]

    tok = cli.json("token", "create", "--name", "ci", "--scope", "read", "--product", "shop")
    assert isinstance(tok, dict) and tok["secret"].startswith("llmreg_")
    listed = cli.json("token", "list")
    assert isinstance(listed, list) and [t["name"] for t in listed] == ["ci"]
    assert "secret" not in listed[0] and tok["secret"] not in json.dumps(listed)
    rows = table(cli("token", "list"))
    assert rows["ID"] == ["NAME", "SCOPE", "PRODUCT", "CREATED", "REVOKED"]
    assert rows[tok["id"]][:3] == ["ci", "read", "shop"] and rows[tok["id"]][-1] == "no"
    human = cli("token", "create", "--name", "ops", "--scope", "admin")
    assert human.startswith("created token ") and "secret (shown this once" in human
    secret = human.split()[-1]
    assert secret.startswith("llmreg_") and secret not in cli("token", "list")
    assert cli("token", "revoke", tok["id"]).strip() == f"revoked {tok['id']}"
    assert "does not exist" in cli("token", "revoke", "0000000000000000", code=1)

    # --help everywhere: every command and every subcommand.
    commands = [
        ["serve"], ["keygen"], ["resolve"], ["history"], ["export"], ["import"],
        ["token"], ["token", "create"], ["token", "revoke"], ["token", "list"],
        ["product", "list"], ["product", "show"], ["model", "list"], ["model", "show"],
        ["agent", "list"], ["agent", "show"],
    ]  # fmt: skip
    for command in [[], *commands]:
        assert "Usage: llmreg" in cli(*command, "--help"), command
    assert "No such command" in cli("bogus", code=2)


@pytest.fixture
def server(tmp_path: Path, seeded: Seeded) -> Iterator[RegistryServer]:
    """``llmreg serve`` itself, started through the installed script, with two workers."""
    with running_registry(tmp_path / "srv", seeded.db_url, workers=2, cli=[LLMREG]) as srv:
        yield srv


def test_commands_against_a_running_server(
    cli: Cli, seeded: Seeded, server: RegistryServer, tmp_path: Path
) -> None:
    admin = {"LLMREG_URL": server.url, "LLMREG_TOKEN": server.admin_token}
    kf = ["--private-key-file", str(seeded.key_file)]
    explained = table(cli("resolve", "shop", "prd", "a", *kf, "--explain", **admin))
    assert explained["maxTokens"] == ["512", "env"] and explained["FIELD"] == ["VALUE", "FROM"]
    assert list(table(cli("product", "list", **admin))) == ["TAG", "shop"]

    # Tokens are issued over HTTP with the admin token; a product token sees only its product.
    writer = cli.json("token", "create", "--name", "deploy", "--scope", "write",
                      "--product", "shop", **admin)  # fmt: skip
    reader = cli.json("token", "create", "--name", "viewer", "--scope", "read",
                      "--product", "shop", **admin)  # fmt: skip
    assert isinstance(writer, dict) and isinstance(reader, dict)
    as_reader = {"LLMREG_URL": server.url, "LLMREG_TOKEN": reader["secret"]}
    as_writer = {"LLMREG_URL": server.url, "LLMREG_TOKEN": writer["secret"]}
    assert [a["tag"] for a in cli.json("agent", "list", "shop", **as_reader)] == ["a"]
    assert "not an admin token" in cli("token", "list", **as_reader, code=1)

    # Backup over HTTP: export with the reader, re-import with the writer, refused to the reader.
    exported = cli("export", "shop", **as_reader)
    assert exported == cli("export", "shop", "--url", seeded.db_url)
    backup = tmp_path / "backup.json"
    backup.write_text(exported)
    unchanged = cli("import", str(backup), **as_writer)
    assert "imported 0 records into product 'shop' (3 already identical" in unchanged
    assert len(cli.json("history", "--product", "shop", **as_reader)) == 3
    data = json.loads(exported)
    data["agents"][0]["name"] = "Renamed"
    backup.write_text(json.dumps(data))
    assert "may only read product 'shop'" in cli("import", str(backup), **as_reader, code=1)
    renamed = cli("import", str(backup), **as_writer)
    assert "imported 1 record into product 'shop' (2 already identical" in renamed
    history = cli.json("history", "--product", "shop", "--tag", "a", **as_reader)
    assert isinstance(history, list) and len(history) == 2  # identical records wrote nothing
    assert history[0]["action"] == "update" and history[0]["changedFields"] == ["name"]
    assert history[0]["actor"] == f"token:deploy (cli:{_user()})"

    assert cli("token", "revoke", reader["id"], **admin).startswith("revoked")
    # The worker that revoked it refuses it at once, the other within the token cache time.
    refused = _refused_within(cli, 3.0, "product", "list", **as_reader)
    assert "refused the token" in refused and reader["secret"] not in refused
    assert reader["secret"] not in server.log_text() and seeded.plain not in server.log_text()


def _refused_within(cli: Cli, seconds: float, *args: str, **env: str) -> str:
    deadline = time.monotonic() + seconds
    while True:
        done = subprocess.run(
            [LLMREG, *args], capture_output=True, text=True, env={**cli.env, **env}, timeout=60
        )
        cli.outputs.append(done.stdout + done.stderr)
        if done.returncode == 1 or time.monotonic() > deadline:
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            return done.stderr
        time.sleep(0.2)


def _user() -> str:
    import getpass

    return getpass.getuser()


def test_docs_list_every_command() -> None:
    from llmreg.cli import app

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    names += [g.name for g in app.registered_groups if g.name]
    assert names
    for name in names:
        assert f"llmreg {name}" in doc, name


def test_version_and_help_on_every_option(cli: Cli) -> None:
    from importlib.metadata import version

    assert cli("--version").strip() == f"llmreg {version('llmreg')}"

    import click
    import typer.main

    from llmreg.cli import app

    def walk(command: Any, path: str) -> None:  # typer's own copy of click's Command
        for param in command.params:
            if isinstance(param, (click.Option, click.Argument)):
                assert getattr(param, "help", None), f"{path}: {param.name} has no help"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                assert sub.help or sub.short_help, f"{path} {name} has no help"
                walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "llmreg")


@pytest.mark.parametrize(
    ("missing", "argv", "says"),
    [
        ("fastapi", ["serve"], "`llmreg serve` needs the registry server's packages"),
        ("uvicorn", ["serve"], "`llmreg serve` needs the registry server's packages"),
        ("psycopg", ["product", "list", "--url", "postgresql://u@127.0.0.1:1/db"], "psycopg"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(missing: str, argv: list[str], says: str) -> None:
    """Without the server extra (simulated: the module cannot be imported)."""
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        f"sys.argv = ['llmreg', *{argv!r}]\n"
        "from llmreg.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("error: ") and says in lines[0]
    assert "pip install 'llmreg[server]'" in lines[0]


def test_resolve_explain_shows_the_fallback_chain_and_limits(cli: Cli, seeded: Seeded) -> None:
    store = open_store(seeded.db_url)
    local = {"slug": "prd", "baseUrl": "http://llama.internal/v1"}
    store.put(
        LlmModelRecord.model_validate(
            {"product": "shop", "tag": "local", "name": "L", "provider": "custom",
             "model": "llama", "envs": [local]}
        ),
        expected_version=0,
        actor="test",
    )  # fmt: skip
    store.put(
        AgentRecord.model_validate(
            {"product": "shop", "tag": "chained", "name": "C", "model": "m",
             "fallbacks": ["local"], "termination": {"maxTokens": 900}}
        ),
        expected_version=0,
        actor="test",
    )  # fmt: skip
    lines = {
        line.split()[0]: " ".join(line.split()[1:])
        for line in cli("resolve", "shop", "prd", "chained", "--explain").splitlines()
    }
    assert lines["fallbacks"] == "local (custom llama) agent"
    assert lines["termination"] == '{"maxIterations": 10, "maxTokens": 900} agent'
    plain = table(cli("resolve", "shop", "prd", "a"))
    assert "fallbacks" not in plain and "termination" not in plain
