"""The real ``.venv/bin/llmreg`` entry point as a subprocess against a real SQLite store file."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from llmreg.domain import AgentRecord, LlmModelRecord, ProductRecord
from llmreg.sealing import PrivateKey, fingerprint, seal
from llmreg.store.sql import SqlStore

LLMREG = str(Path(sys.executable).parent / "llmreg")


def _seed(db: str) -> tuple[PrivateKey, str]:
    key = PrivateKey.generate()
    plain = "sk-" + secrets.token_hex(16)
    st = SqlStore(db)
    st.put(
        ProductRecord.model_validate(
            {
                "tag": "shop",
                "name": "Shop",
                "envs": [{"slug": "prd", "keyId": key.key_id, "publicKey": key.public_key.text}],
            }
        ),
        expected_version=0,
        actor="t",
    )
    sealed = seal(plain, key.public_key, product="shop", env="prd", model_tag="m")
    st.put(
        LlmModelRecord.model_validate(
            {
                "product": "shop",
                "tag": "m",
                "name": "M",
                "provider": "openai",
                "model": "gpt-4",
                "envs": [
                    {
                        "slug": "prd",
                        "sealedKey": sealed.to_wire(),
                        "keyFingerprint": fingerprint(sealed),
                    }
                ],
            }
        ),
        expected_version=0,
        actor="t",
    )
    st.put(
        AgentRecord.model_validate(
            {"product": "shop", "tag": "a", "name": "A", "model": "m", "modelConfig": {"topP": 0.5}}
        ),
        expected_version=0,
        actor="t",
    )
    st.close()
    return key, plain


def test_cli_end_to_end(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    key, plain = _seed(db)
    keyfile = tmp_path / "prd.key"
    keyfile.write_text(key.reveal())
    env = {**os.environ, "LLMREG_HOME": str(tmp_path), "LLMREG_URL": db}
    outputs: list[str] = []

    def run(*args: str, code: int = 0) -> str:
        p = subprocess.run([LLMREG, *args], capture_output=True, text=True, env=env, timeout=60)
        outputs.append(p.stdout + p.stderr)
        assert p.returncode == code, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr
        return p.stdout

    kf = ["--private-key-file", str(keyfile)]
    cfg = json.loads(run("resolve", "shop", "prd", "a", *kf, "--set", "temperature=0.2", "--json"))
    assert cfg["temperature"] == 0.2 and cfg["provenance"]["temperature"] == "runtime"
    assert cfg["topP"] == 0.5 and cfg["provenance"]["top_p"] == "agent"
    explain = run("resolve", "shop", "prd", "a", *kf, "--explain")
    assert "runtime" not in explain and "agent" in explain
    run("resolve", "shop", "prd", "a", *kf, "--set", "temperature=9", code=1)
    run("resolve", "shop", "prd", "nope", *kf, code=1)
    assert [p["tag"] for p in json.loads(run("product", "list", "--json"))] == ["shop"]
    model = json.loads(run("model", "show", "shop", "m", "--json"))
    assert model["record"]["envs"][0]["keyId"] == key.key_id
    assert json.loads(run("agent", "list", "shop", "--json"))[0]["tag"] == "a"
    assert len(json.loads(run("history", "--product", "shop", "--json"))) == 3
    exported = run("export", "shop")
    data = json.loads(exported)
    assert data["models"][0]["envs"][0]["sealedKey"]["ciphertext"]
    backup = tmp_path / "backup.json"
    backup.write_text(exported)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert "imported" in run("import", str(backup), "--url", other)
    again = json.loads(run("resolve", "shop", "prd", "a", *kf, "--url", other, "--json"))
    assert again["model"] == "gpt-4" and again["hasKey"] is True
    tok = json.loads(
        run("token", "create", "--name", "ci", "--scope", "read", "--product", "shop", "--json")
    )
    assert tok["secret"].startswith("llmreg_")
    assert [t["name"] for t in json.loads(run("token", "list", "--json"))] == ["ci"]
    run("token", "revoke", tok["id"])
    kg = json.loads(run("keygen", "--json"))
    assert kg["privateKey"].startswith("llmreg-sk1-")
    run("--help")
    run("bogus", code=2)

    assert not any(plain in o for o in outputs), "a plaintext API key leaked into CLI output"
    shown = run("resolve", "shop", "prd", "a", *kf, "--show-key")
    assert plain in shown


def test_docs_list_every_command() -> None:
    from llmreg.cli import app

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    names = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback]
    names += [g.name for g in app.registered_groups if g.name]
    assert names
    for name in names:
        assert f"llmreg {name}" in doc, name
