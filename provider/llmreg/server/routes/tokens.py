"""API tokens (admin only). A token's secret is in the POST answer and nowhere else."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...domain import Record
from ...errors import NotFound
from ...store.base import TokenInfo, TokenScope
from ..auth import require_admin
from ..deps import Caller, Reg

router = APIRouter(prefix="/v1", tags=["tokens"])


class TokenRequest(Record):
    """A token to create: ``product`` for read/write tokens, none for admin tokens."""

    name: str
    scope: TokenScope
    product: str | None = None


class NewToken(Record):
    """The created token and its secret (shown this once; the registry keeps only a hash)."""

    token: TokenInfo
    secret: str


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(reg: Reg, who: Caller) -> list[TokenInfo]:
    require_admin(who)
    return reg.store.list_tokens()


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(body: TokenRequest, reg: Reg, who: Caller) -> NewToken:
    require_admin(who)
    info, secret = reg.store.create_token(body.name, TokenScope(body.scope), body.product)
    return NewToken(token=info, secret=secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, reg: Reg, who: Caller) -> Response:
    require_admin(who)
    if not reg.store.revoke_token(token_id):
        raise NotFound(f"token '{token_id}' does not exist")
    return Response(status_code=204)
