"""API tokens of the registry server: ``llmreg_<id>_<random>``, shown once, stored hashed."""

from __future__ import annotations

import builtins
import hmac
import re
import secrets
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ..domain.common import SLUG_PATTERN
from ..domain.text import text_problem
from ..errors import FieldProblem, ValidationFailed
from ._sql_base import TEXT_LENGTH, SqlBase, key_ok, sha256, utc, utc_now
from ._sql_schema import tokens
from .base import TokenInfo, TokenScope

TOKEN_PREFIX = "llmreg_"  # noqa: S105 (a prefix, not a secret)
_SLUG = re.compile(SLUG_PATTERN)
_TOKEN_COLUMNS = "id, name, scope, product, secret_hash, created_at, revoked"  # noqa: S105


class _TokenRow(NamedTuple):
    id: str
    name: str
    scope: str
    product: str | None
    secret_hash: str
    created_at: datetime
    revoked: bool


class SqlTokens(SqlBase):
    """``TokenStore`` over the store's database."""

    def create_token(
        self, name: str, scope: TokenScope, product: str | None
    ) -> tuple[TokenInfo, str]:
        """A new token and its secret ``llmreg_<id>_<random>`` (shown once, stored hashed)."""
        scope = TokenScope(scope)
        problems = []
        if not isinstance(name, str) or not name:
            problems.append(FieldProblem("name", "is required: say who or what uses the token"))
        elif len(name) > TEXT_LENGTH or text_problem(name) is not None:
            long = f"is {len(name)} characters long: at most {TEXT_LENGTH} fit"
            problems.append(FieldProblem("name", text_problem(name) or long))
        if product is not None and (not isinstance(product, str) or not _SLUG.match(product)):
            problems.append(
                FieldProblem(
                    "product",
                    f"{product!r} is not a product tag (a slug: 1-63 lowercase letters, digits, "
                    "'-', '_' or '.')",
                )
            )
        if scope is TokenScope.ADMIN and product is not None:
            problems.append(
                FieldProblem("product", "an admin token covers every product: leave it out")
            )
        if scope is not TokenScope.ADMIN and not product:
            problems.append(
                FieldProblem("product", f"a {scope.value} token needs the product it may use")
            )
        if problems:
            raise ValidationFailed("token", problems)
        token_id = secrets.token_hex(8)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(id=token_id, name=name, scope=scope, product=product, created_at=utc_now())

        def work(conn: Connection) -> None:
            conn.execute(
                tokens.insert().values(
                    id=info.id,
                    name=info.name,
                    scope=scope.value,
                    product=info.product,
                    secret_hash=sha256(secret),
                    created_at=info.created_at,
                    revoked=False,
                )
            )

        self._write(work)
        return info, secret

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; False if there is no token with that id."""

        if not key_ok(token_id):
            return False

        def work(conn: Connection) -> bool:
            result = conn.execute(
                tokens.update().where(tokens.c.id == token_id).values(revoked=True)
            )
            return result.rowcount == 1

        return self._write(work)

    def verify_token(self, secret: str) -> TokenInfo | None:
        """The token a secret belongs to, or None (unknown, malformed or revoked)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        parts = secret.split("_", 2)
        if len(parts) != 3 or not key_ok(parts[1]) or text_problem(secret) is not None:
            return None
        rows = self._raw_rows(
            f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE id = {self._mark}", (parts[1],)
        )
        row = None
        if rows:
            r = rows[0]
            row = _TokenRow(r[0], r[1], r[2], r[3], r[4], utc(r[5]), bool(r[6]))
        if row is None or not hmac.compare_digest(row.secret_hash, sha256(secret)):
            return None
        info = self._token(row)
        return None if info.revoked else info

    def list_tokens(self) -> builtins.list[TokenInfo]:
        query = sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id)
        return [self._token(row) for row in self._rows(query)]

    @staticmethod
    def _token(row: Row[Any] | _TokenRow) -> TokenInfo:
        return TokenInfo(
            id=row.id,
            name=row.name,
            scope=TokenScope(row.scope),
            product=row.product,
            created_at=row.created_at,
            revoked=bool(row.revoked),
        )
