"""The embedded SQLite store: WAL, several processes at once, and no plaintext in its files."""

from __future__ import annotations

import multiprocessing
import secrets
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from llmreg.store.base import Kind
from llmreg.store.sql import SqlStore

from . import _workers
from . import records as r

ACTOR = "test:sqlite"


def test_creates_parent_directories_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "registry.db"
    with SqlStore(f"sqlite:///{path}") as store:
        assert path.is_file()
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SqlStore("sqlite:///rel/registry.db") as store:
        assert store.url == f"sqlite:///{tmp_path}/rel/registry.db"
    assert (tmp_path / "rel" / "registry.db").is_file()


def test_processes_incrementing_one_record_lose_no_update(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    shop = r.unique("shop")
    with SqlStore(url) as store:
        store.put(r.product(shop), expected_version=0, actor=ACTOR)
        store.put(r.model(shop, "counter", maxTokens=1), expected_version=0, actor=ACTOR)
    processes, times = 4, 25
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        futures = [
            pool.submit(_workers.increment, url, shop, "counter", times) for _ in range(processes)
        ]
        for f in futures:
            f.result(timeout=300)
    with SqlStore(url) as store:
        final = store.get(Kind.MODEL, shop, "counter")
        assert final.record.max_tokens == 1 + processes * times  # type: ignore[union-attr]
        assert final.version == 1 + processes * times
        assert (
            len(store.history(product=shop, kind=Kind.MODEL, limit=1000)) == 1 + processes * times
        )


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'registry.db'}"
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=context) as pool:
        counts = list(pool.map(_workers.open_and_count, [url] * 4, timeout=300))
    assert counts == [1, 1, 1, 1]


def test_no_plaintext_key_in_the_database_files(tmp_path: Path) -> None:
    db = tmp_path / "registry.db"
    plaintexts = ["sk-leak-" + secrets.token_urlsafe(24) for _ in range(6)]
    shop = r.unique("shop")
    with SqlStore(f"sqlite:///{db}") as store:
        store.put(r.product(shop), expected_version=0, actor=ACTOR)
        for i, key in enumerate(plaintexts[:3]):
            store.put(r.model(shop, f"m{i}", api_key=key), expected_version=0, actor=ACTOR)
        for i, key in enumerate(plaintexts[3:]):  # rotation: a second sealed key per model
            store.put(r.model(shop, f"m{i}", api_key=key), expected_version=1, actor=ACTOR)
        files = [db, db.with_name(db.name + "-wal")]
        _assert_absent(files, plaintexts, present=shop)
        with store._engine.connect() as conn:
            ciphertext = conn.execute(sa.text("SELECT body FROM records")).scalars().all()
        assert any("ciphertext" in body for body in ciphertext)
    _assert_absent([p for p in tmp_path.iterdir() if p.is_file()], plaintexts, present=shop)


def _assert_absent(files: list[Path], plaintexts: list[str], present: str) -> None:
    blobs = {p: p.read_bytes() for p in files if p.exists()}
    assert any(present.encode() in b for b in blobs.values()), "scan found no records at all"
    for path, blob in blobs.items():
        for key in plaintexts:
            assert blob.count(key.encode()) == 0, f"plaintext key in {path.name}"
