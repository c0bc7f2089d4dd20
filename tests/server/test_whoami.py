"""``GET /v1/whoami``: any valid token learns its own name, scope and product (never a secret),
through the HTTP store's client method; what the deploy's preview asks (issue 18, item 14)."""

from __future__ import annotations

import pytest

from llmreg.errors import Unauthorized
from llmreg.store.base import TokenScope
from llmreg.store.http import HttpStore
from tests.harness.registry import RegistryServer

from .conftest import Fixture


def test_each_token_learns_what_it_may_do(registry: RegistryServer, world: Fixture) -> None:
    expected = {
        "read-a": ("reader-a", TokenScope.READ, world.a),
        "write-a": ("writer-a", TokenScope.WRITE, world.a),
        "admin": ("admin", TokenScope.ADMIN, None),
    }
    for token, (name, scope, product) in expected.items():
        with HttpStore(registry.url, world.tokens[token]) as store:
            me = store.whoami()
        assert (me.name, me.scope, me.product) == (name, scope, product)
        assert world.tokens[token] not in me.model_dump_json()
        assert me.may_write(world.a) is (token != "read-a")
        assert me.may_write(world.b) is (token == "admin")
    with HttpStore(registry.url, world.tokens["read-a"]) as store:
        refusal = store.whoami().write_refusal(world.a)
    assert refusal == (
        f"token 'reader-a' is a read token of product '{world.a}': it may only read; changing "
        f"product '{world.a}' needs a write token of '{world.a}' or an admin token"
    )
    with HttpStore(registry.url, "not-a-token") as store, pytest.raises(Unauthorized):
        store.whoami()
