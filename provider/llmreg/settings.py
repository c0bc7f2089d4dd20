"""Every ``LLMREG_*`` environment variable the package reads, declared once.

Code reads a setting with ``URL.get()`` (never ``os.environ`` directly); docs/settings.md holds
the table that :func:`markdown_table` prints (a test keeps the two equal). A setting that the
Pulumi resources also take from stack config names its ``config`` key; stack config wins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import LlmregError

T = TypeVar("T")


def _text(raw: str) -> str | None:
    return raw.strip() or None


def _positive_float(name: str) -> Callable[[str], float | None]:
    def parse(raw: str) -> float | None:
        raw = raw.strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise LlmregError(f"{name} must be a number > 0, not {raw!r}")
        return value

    return parse


def _non_negative_float(name: str) -> Callable[[str], float | None]:
    def parse(raw: str) -> float | None:
        raw = raw.strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value >= 0 or value == float("inf"):
            raise LlmregError(f"{name} must be a number >= 0, not {raw!r}")
        return value

    return parse


def _positive_int(name: str) -> Callable[[str], int | None]:
    def parse(raw: str) -> int | None:
        raw = raw.strip()
        if not raw:
            return None
        if not raw.isdigit() or int(raw) < 1:
            raise LlmregError(f"{name} must be a whole number >= 1, not {raw!r}")
        return int(raw)

    return parse


def _flag(raw: str) -> bool | None:
    raw = raw.strip().lower()
    if not raw:
        return None
    return raw not in ("0", "false", "no", "off")


def _words(raw: str) -> frozenset[str] | None:
    words = frozenset(w for w in raw.replace(",", " ").split() if w)
    return words or None


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One variable: its name, how its text is read, its default and what it is for."""

    name: str
    parse: Callable[[str], T | None]
    default: T
    doc: str
    config: str | None = None
    """The stack config key that sets the same thing for the Pulumi resources."""
    shown_default: str = ""

    def get(self, environ: Mapping[str, str] | None = None) -> T:
        """The variable's value (an empty variable counts as unset)."""
        raw = (os.environ if environ is None else environ).get(self.name)
        if raw is None:
            return self.default
        value = self.parse(raw)
        return self.default if value is None else value


URL: Setting[str | None] = Setting(
    "LLMREG_URL",
    _text,
    None,
    "The store: `sqlite:///path`, `postgresql://...` or `http(s)://host:port` of `llmreg serve`.",
    config="llmreg:url",
    shown_default="the embedded SQLite file",
)
TOKEN: Setting[str | None] = Setting(
    "LLMREG_TOKEN",
    _text,
    None,
    "Bearer token for an `http(s)://` store.",
    config="llmreg:token",
)
HOME: Setting[str | None] = Setting(
    "LLMREG_HOME",
    _text,
    None,
    "Directory of the embedded store: `$LLMREG_HOME/registry.db`.",
    shown_default="`${XDG_DATA_HOME:-~/.local/share}/llmreg`",
)
RETRY_SECONDS: Setting[float] = Setting(
    "LLMREG_RETRY_SECONDS",
    _positive_float("LLMREG_RETRY_SECONDS"),
    60.0,
    "Total seconds the HTTP store keeps retrying a request the registry did not answer "
    "(connection errors, 429, 502/503/504), with exponential backoff and jitter.",
    config="llmreg:retrySeconds",
    shown_default="60",
)
RETRY_ATTEMPTS: Setting[int | None] = Setting(
    "LLMREG_HTTP_RETRIES",
    _positive_int("LLMREG_HTTP_RETRIES"),
    None,
    "Cap on the HTTP store's attempts per request (the time budget applies either way).",
    shown_default="no cap",
)
DEBUG: Setting[bool] = Setting(
    "LLMREG_DEBUG",
    _flag,
    False,
    "`1`: errors of the Pulumi resources and the CLI carry the Python traceback.",
    shown_default="off",
)
RESTORE_KEYS: Setting[frozenset[str]] = Setting(
    "LLMREG_RESTORE_KEYS",
    _words,
    frozenset(),
    "Product tags (space or comma separated) whose registry public keys `pulumi up` may put "
    "back to the ones the stack holds, after someone changed them (see docs/security.md).",
    shown_default="none",
)
PRIVATE_KEY: Setting[str | None] = Setting(
    "LLMREG_PRIVATE_KEY",
    _text,
    None,
    "`llmreg resolve`: the environment's private key, when `--private-key-file` is not given.",
)
ADMIN_TOKEN: Setting[str | None] = Setting(
    "LLMREG_ADMIN_TOKEN",
    _text,
    None,
    "`llmreg serve`: the admin token (other tokens live in the database).",
)
RATE_LIMIT: Setting[float | None] = Setting(
    "LLMREG_RATE_LIMIT",
    _positive_float("LLMREG_RATE_LIMIT"),
    None,
    "`llmreg serve`: requests per minute per token (and per client address without a token).",
    shown_default="no limit",
)
LOG_LEVEL: Setting[str] = Setting(
    "LLMREG_LOG_LEVEL",
    _text,
    "info",
    "`llmreg serve`: log level of the JSON log lines.",
    shown_default="info",
)
TOKEN_CACHE_SECONDS: Setting[float] = Setting(
    "LLMREG_TOKEN_CACHE_SECONDS",
    _non_negative_float("LLMREG_TOKEN_CACHE_SECONDS"),
    1.0,
    "`llmreg serve`: seconds a server process trusts a token it verified without asking the "
    "database again; a revoked token is refused by other processes within that time "
    "(`0`: ask every time).",
    shown_default="1",
)
FORWARDED_ALLOW_IPS: Setting[str | None] = Setting(
    "LLMREG_FORWARDED_ALLOW_IPS",
    _text,
    None,
    "`llmreg serve`: addresses of trusted proxies (comma separated, or `*`) whose "
    "`X-Forwarded-For` names the client, for the per-address rate limit.",
    shown_default="none: the peer address counts",
)
CONSOLE: Setting[bool] = Setting(
    "LLMREG_CONSOLE",
    _flag,
    True,
    "`llmreg serve`: `0` turns the read-only web console (`/console/`) off.",
    shown_default="on",
)
CONSOLE_SECRET: Setting[str | None] = Setting(
    "LLMREG_CONSOLE_SECRET",
    _text,
    None,
    "`llmreg serve`: the key of the console's session cookies; give every server of one "
    "database the same value, or a person signs in again on each.",
    shown_default="random per `llmreg serve` (shared by its workers)",
)
SERVER_DB_URL: Setting[str | None] = Setting(
    "LLMREG_SERVER_DB_URL",
    _text,
    None,
    "`llmreg serve --workers N`: how the database URL reaches uvicorn's worker processes "
    "(set by `serve` itself).",
)

ALL: tuple[Setting[Any], ...] = (
    URL,
    TOKEN,
    HOME,
    RETRY_SECONDS,
    RETRY_ATTEMPTS,
    DEBUG,
    RESTORE_KEYS,
    PRIVATE_KEY,
    ADMIN_TOKEN,
    RATE_LIMIT,
    LOG_LEVEL,
    TOKEN_CACHE_SECONDS,
    FORWARDED_ALLOW_IPS,
    CONSOLE,
    CONSOLE_SECRET,
    SERVER_DB_URL,
)


def markdown_table() -> str:
    """The table of docs/settings.md."""
    rows = ["| variable | stack config | default | meaning |", "|---|---|---|---|"]
    for s in ALL:
        config = f"`{s.config}`" if s.config else ""
        rows.append(f"| `{s.name}` | {config} | {s.shown_default} | {s.doc} |")
    return "\n".join(rows) + "\n"
