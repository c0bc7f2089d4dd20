"""Bearer-token authentication and the scope rules (design §3).

A request carries ``Authorization: Bearer <token>``. The admin token (``create_app``'s argument
or ``$LLMREG_ADMIN_TOKEN``) is compared in constant time; any other token is looked up in the
database (``TokenStore.verify_token``: stored hashed, revocable). Scopes:

- ``admin``: everything, including ``/v1/tokens`` and ``/v1/history``;
- ``read`` for product P: GET of P's records, history and resolved configs;
- ``write`` for product P: that, plus PUT/DELETE of P's records (and of product P itself).

A token of one product gets 403 on another product's paths, whatever the record.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from fastapi import Request

from ..store.base import TokenScope, TokenStore
from .errors import ApiError, unauthorized

ACTOR_HEADER = "X-Llmreg-Actor"
_ACTOR = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,199}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name, scope and product (None for admin)."""

    name: str
    scope: TokenScope
    product: str | None
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.scope is TokenScope.ADMIN

    def may_read(self, product: str) -> bool:
        return self.is_admin or self.product == product

    def may_write(self, product: str) -> bool:
        return self.is_admin or (self.product == product and self.scope is TokenScope.WRITE)

    def actor(self, declared: str | None) -> str:
        """The audit actor of a write.

        The admin token may act for anyone (the Pulumi provider declares
        ``pulumi:<project>/<stack>``), so its declared actor is recorded as is; a product token
        is recorded under its own name, with the declared actor in brackets.
        """
        if declared is not None and not _ACTOR.match(declared):
            declared = None
        if self.is_admin:
            return declared or "admin"
        base = f"token:{self.name}"
        return f"{base} ({declared})" if declared else base


class Authenticator:
    """Turns a request's bearer token into a Principal, or raises 401."""

    def __init__(self, admin_token: str | None, tokens: TokenStore | None) -> None:
        self._admin = admin_token.encode() if admin_token else None
        self._tokens = tokens

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise unauthorized("this endpoint needs a token: send 'Authorization: Bearer <token>'")
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise unauthorized("use 'Authorization: Bearer <token>'")
        if self._admin is not None and hmac.compare_digest(secret.encode(), self._admin):
            return Principal("admin", TokenScope.ADMIN, None, "admin")
        info = self._tokens.verify_token(secret) if self._tokens is not None else None
        if info is None:
            raise unauthorized(
                "the token is unknown or revoked: ask the registry's admin for a valid one"
            )
        return Principal(info.name, TokenScope(info.scope), info.product, info.id)


def require_read(principal: Principal, product: str) -> None:
    if not principal.may_read(product):
        raise ApiError(
            403, "forbidden", f"token '{principal.name}' may not read product '{product}'"
        )


def require_write(principal: Principal, product: str) -> None:
    if principal.may_write(product):
        return
    if principal.may_read(product):
        raise ApiError(
            403,
            "forbidden",
            f"token '{principal.name}' may only read product '{product}': "
            "use a write token to change it",
        )
    raise ApiError(403, "forbidden", f"token '{principal.name}' may not change product '{product}'")


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ApiError(403, "forbidden", f"token '{principal.name}' is not an admin token")
