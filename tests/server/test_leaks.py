"""Leak scan: random plaintext API keys, sealed on the client and written through HttpStore,
occur in none of the HTTP request bodies, the server log, the database files or the audit rows.
Each scan is first shown to find a known non-secret value in the same haystack."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx

from llmreg.domain import SealedKey
from llmreg.sealing import PrivateKey, open_sealed
from llmreg.store.base import Kind
from llmreg.store.http import HttpStore
from tests.harness.registry import running_registry
from tests.store import records as r


def _db_bytes(db: Path) -> bytes:
    files = sorted(db.parent.glob(db.name + "*"))  # registry.db, -wal, -shm
    assert db in files
    return b"".join(f.read_bytes() for f in files)


def test_plaintext_keys_appear_nowhere(tmp_path: Path) -> None:
    db = tmp_path / "leak.db"
    plaintexts = [f"sk-leak-{secrets.token_urlsafe(24)}" for _ in range(4)]
    canary_name = f"Leak canary {secrets.token_hex(6)}"  # a non-secret value that must be found
    bodies: list[bytes] = []

    def capture(request: httpx.Request) -> None:
        bodies.append(request.read())

    with running_registry(tmp_path, f"sqlite:///{db}") as server:
        store = HttpStore(server.url, server.admin_token)
        store._client.event_hooks["request"].append(capture)
        try:
            shop = r.unique("leak")
            store.put(r.product(shop), expected_version=0, actor="test:leak")
            model = r.model(shop, "m", api_key=plaintexts[0], name=canary_name)
            store.put(model, expected_version=0, actor="test:leak")
            rotated = r.model(shop, "m", api_key=plaintexts[1], name=canary_name)
            store.put(rotated, expected_version=1, actor="test:leak")
            store.put(r.model(shop, "n", api_key=plaintexts[2]), expected_version=None, actor="t")
            store.put(r.agent(shop, "a", model="m"), expected_version=0, actor="test:leak")
            payload, _ = store.get_resolved(shop, "a", "dev")
            assert payload is not None
            # The runtime side: the sealed key from the server opens to the plaintext.
            sealed = SealedKey.model_validate(payload["envConfig"]["sealedKey"])
            opened = open_sealed(
                sealed, [r.env_key(shop, "dev")], product=shop, env="dev", model_tag="m"
            )
            assert opened == plaintexts[1]
            store.delete(Kind.MODEL, shop, "n", actor="test:leak")
            audit = json.dumps([e.to_wire() for e in store.history(product=shop)])
            # A plaintext sent by mistake is refused, and not echoed or logged either.
            refused = httpx.put(
                f"{server.url}/v1/products/{shop}/models/x",
                json={**r.model(shop, "x").to_wire(), "apiKey": plaintexts[3]},
                headers={"Authorization": f"Bearer {server.admin_token}"},
            )
            assert refused.status_code == 400
            assert plaintexts[3] not in refused.text
        finally:
            store.close()
        log = server.log_text().encode()

    sent = b"\n".join(bodies)
    stored = _db_bytes(db)
    haystacks = {"request bodies": sent, "server log": log, "database": stored, "audit": audit}
    # The scans can see: known non-secret values are present in each haystack.
    assert canary_name.encode() in sent
    assert shop.encode() in log
    assert canary_name.encode() in stored
    assert '"action":"update"' in audit.replace(" ", "")
    assert len(bodies) >= 5
    for name, haystack in haystacks.items():
        data = haystack.encode() if isinstance(haystack, str) else haystack
        for plaintext in plaintexts:
            assert plaintext.encode() not in data, f"a plaintext API key leaked into the {name}"
    for plaintext in plaintexts[:3]:
        assert plaintext.encode() not in log
    assert isinstance(r.env_key(shop, "dev"), PrivateKey)
    assert r.env_key(shop, "dev").reveal().encode() not in sent + log + stored
