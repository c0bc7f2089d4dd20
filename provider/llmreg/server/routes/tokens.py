"""API tokens (admin only), and ``GET /v1/whoami`` (any token: its own name, scope and
product, so a client can tell before writing that its token may not). A token's secret is in
the POST answer and nowhere else.

The request body says which kind of token: ``{"name", "scope": "admin"}`` or
``{"name", "scope": "read" | "write", "product"}`` (the schema holds the rule, so a request
that follows the schema is accepted).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Response
from pydantic import Field

from ...domain import Record
from ...domain.common import Slug
from ...errors import NotFound
from ...store.base import TokenInfo, TokenScope
from ...store.http import WhoAmI
from ..auth import require_admin
from ..bodies import StrictJsonRoute
from ..deps import Caller, Reg, TokenIdPath
from ..openapi import READ, errors
from . import examples

router = APIRouter(prefix="/v1", tags=["tokens"], route_class=StrictJsonRoute)

TokenName = Annotated[
    str,
    Field(min_length=1, max_length=200, description="Who or what uses it (audit history)."),
]


class AdminTokenRequest(Record):
    """An admin token: every product, tokens and the global history."""

    name: TokenName
    scope: Literal["admin"]
    product: None = Field(default=None, description="An admin token has no product.")


class ProductTokenRequest(Record):
    """A token that reads (``read``) or reads and writes (``write``) one product."""

    name: TokenName
    scope: Literal["read", "write"]
    product: Slug


TokenRequest = Annotated[AdminTokenRequest | ProductTokenRequest, Field(discriminator="scope")]


class NewToken(Record):
    """The created token and its secret (shown this once; the registry keeps only a hash)."""

    token: TokenInfo
    secret: str


@router.get("/whoami", response_model=WhoAmI, responses=errors(401, 429, 503))
def whoami(who: Caller) -> WhoAmI:
    """The calling token's name, scope and product (what it may read and write)."""
    return WhoAmI(name=who.name, scope=who.scope, product=who.product)


@router.get("/tokens", response_model=list[TokenInfo], responses=errors(401, 403, 429, 503))
def list_tokens(reg: Reg, who: Caller) -> Response:
    """Every token (never a secret), oldest first."""
    require_admin(who)
    body = b",".join(t.model_dump_json(by_alias=True).encode() for t in reg.store.list_tokens())
    return Response(b"[" + body + b"]", media_type="application/json")


@router.post(
    "/tokens",
    response_model=NewToken,
    status_code=201,
    responses=errors(*READ, 413),
)
def create_token(
    body: Annotated[TokenRequest, Body(openapi_examples=examples.TOKENS)], reg: Reg, who: Caller
) -> NewToken:
    """Create a token; the answer holds its secret, which is never shown again."""
    require_admin(who)
    product = body.product if isinstance(body, ProductTokenRequest) else None
    info, secret = reg.store.create_token(body.name, TokenScope(body.scope), product)
    return NewToken(token=info, secret=secret)


@router.delete("/tokens/{token_id}", status_code=204, responses=errors(*READ, 404))
def revoke_token(token_id: TokenIdPath, reg: Reg, who: Caller) -> Response:
    """Revoke a token: this server refuses it at once, others within the token cache time."""
    require_admin(who)
    if not reg.store.revoke_token(token_id):
        raise NotFound(f"token '{token_id}' does not exist")
    reg.auth.forget(token_id)
    return Response(status_code=204)
