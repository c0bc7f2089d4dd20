"""The ``llmreg`` command line (Typer).

Output is for people (tables) unless ``--json`` asks for the machine-readable form, which stays
stable for scripts. Errors print one line on stderr (``error: ...``) and exit 1; usage errors
exit 2; a command that needs an optional extra names it (``pip install 'llmreg[server]'``).
``LLMREG_DEBUG=1`` shows the Python traceback of an unexpected error.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic.alias_generators import to_camel

from .. import settings
from ..domain import OVERRIDABLE_FIELDS, AgentRecord, LlmModelRecord, ProductRecord
from ..errors import LlmregError
from ..sealing import PrivateKey
from ..store.base import AnyRecord, Kind, Store, Stored, TokenAdmin, TokenScope
from . import output

if TYPE_CHECKING:
    from ..runtime import ResolvedConfig

app = typer.Typer(
    no_args_is_help=True,
    help="llmreg: LLM model and agent registry.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
token_app = typer.Typer(
    no_args_is_help=True, help="Manage API tokens (registry database).", rich_markup_mode=None
)
app.add_typer(token_app, name="token")

SERVER_EXTRA = "pip install 'llmreg[server]'"
SERVER_MODULES = frozenset(
    {"fastapi", "uvicorn", "starlette", "psycopg", "prometheus_client", "fastapi_offline", "jinja2"}
)
"""What the ``server`` extra installs: the registry server and the PostgreSQL driver."""

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        "--db",
        envvar="LLMREG_URL",
        help="Store URL: sqlite:///path, postgresql://... or http(s):// of `llmreg serve` "
        "(default: the embedded SQLite file).",
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option("--token", envvar="LLMREG_TOKEN", help="API token of an http(s):// registry."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmreg")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"llmreg {_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print llmreg's version and exit.",
        ),
    ] = False,
) -> None:
    """llmreg: LLM model and agent registry."""


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _store(url: str | None, token: str | None) -> Store:
    from ..store.url import open_store

    return open_store(url, token)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _public_wire(record: Any) -> dict[str, Any]:
    """A record's wire form with sealed keys replaced by key id + fingerprint."""
    wire: dict[str, Any] = record.to_wire()
    for env in wire.get("envs", []):
        sealed = env.pop("sealedKey", None)
        if sealed:
            env["keyId"] = sealed.get("keyId")
        staged = env.pop("nextSealedKey", None)
        if staged:
            env["nextKeyId"] = staged.get("keyId")
    return wire


# -- serve ------------------------------------------------------------------------------------


class LogLevel(str, Enum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8080,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL: sqlite:///path or postgresql://... "
            "(default: $LLMREG_URL, else the embedded SQLite file)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (about one per CPU core).")
    ] = 1,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="LLMREG_ADMIN_TOKEN",
            help="The admin token (prefer the environment variable: a command line is visible "
            "to other users).",
        ),
    ] = None,
    log_level: Annotated[
        LogLevel, typer.Option(help="Level of the JSON log lines on stderr.")
    ] = LogLevel.info,
) -> None:
    """Run the registry server.

    Needs the server extra: pip install 'llmreg[server]'. Every log line on stderr is JSON;
    metrics at /metrics, API documentation at /docs.
    """
    from ..server import serve as run
    from ..store.url import default_url

    run(
        host=host,
        port=port,
        db_url=db or default_url(),
        workers=workers,
        admin_token=admin_token,
        log_level=log_level.value,
    )


# -- keys and tokens -----------------------------------------------------------------------------


@app.command()
def keygen(
    as_json: JsonOpt = False,
    private_key_file: Annotated[
        Path | None, typer.Option(help="Write the private key here (mode 0600), not to stdout.")
    ] = None,
) -> None:
    """Generate an environment key pair; the private key is yours to store."""
    key = PrivateKey.generate()
    out: dict[str, str] = {"keyId": key.key_id, "publicKey": key.public_key.text}
    if private_key_file is not None:
        fd = os.open(private_key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.reveal() + "\n")
        out["privateKeyFile"] = str(private_key_file)
    else:
        out["privateKey"] = key.reveal()
    if as_json:
        typer.echo(json.dumps(out))
    else:
        for k, v in out.items():
            typer.echo(f"{k}: {v}")


def _token_admin(url: str | None, token: str | None) -> TokenAdmin:
    store = _store(url, token)
    if not isinstance(store, TokenAdmin):  # pragma: no cover - every store kind is one today
        raise LlmregError(f"{store!r} cannot manage tokens")
    return store


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A name for the audit history, e.g. ci-deploy.")],
    scope: Annotated[TokenScope, typer.Option(help="read or write (one product), or admin.")],
    product: Annotated[str | None, typer.Option(help="The product of a read/write token.")] = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token; its secret is printed this once (the registry keeps only a hash)."""
    info, secret = _token_admin(url, token).create_token(name, scope, product)
    if as_json:
        _print_json({**info.to_wire(), "secret": secret})
        return
    on = f" on product '{info.product}'" if info.product else ""
    typer.echo(f"created token {info.id} ('{info.name}', {info.scope}{on})")
    typer.echo(f"secret (shown this once, keep it in a secret store): {secret}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `llmreg token list`).")],
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Revoke a token by id."""
    if not _token_admin(url, token).revoke_token(token_id):
        raise LlmregError(f"token {token_id} does not exist: `llmreg token list` shows the ids")
    typer.echo(f"revoked {token_id}")


@token_app.command("list")
def token_list(url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (never their secrets)."""
    tokens = _token_admin(url, token).list_tokens()
    if as_json:
        _print_json([t.to_wire() for t in tokens])
        return
    output.table(
        ["ID", "NAME", "SCOPE", "PRODUCT", "CREATED", "REVOKED"],
        [(t.id, t.name, t.scope, t.product, t.created_at, t.revoked) for t in tokens],
        empty="no tokens",
    )


# -- products, models, agents -------------------------------------------------------------------


def _envs_of(record: AnyRecord) -> str:
    if isinstance(record, LlmModelRecord):
        return ", ".join(e.slug if e.active else f"{e.slug} (inactive)" for e in record.envs)
    return ", ".join(e.slug for e in record.envs)


def _list_row(kind: Kind, stored: Stored[AnyRecord]) -> list[Any]:
    r = stored.record
    when = (stored.version, stored.updated_at, stored.updated_by)
    if isinstance(r, ProductRecord):
        return [r.tag, r.name, _envs_of(r), *when]
    if isinstance(r, LlmModelRecord):
        return [r.tag, r.name, r.provider, r.model, _envs_of(r), *when]
    assert isinstance(r, AgentRecord)
    return [r.tag, r.name, r.model, [t.name for t in r.tools], _envs_of(r), *when]


_LIST_HEADERS = {
    Kind.PRODUCT: ["TAG", "NAME", "ENVS"],
    Kind.MODEL: ["TAG", "NAME", "PROVIDER", "MODEL", "ENVS"],
    Kind.AGENT: ["TAG", "NAME", "MODEL", "TOOLS", "ENVS"],
}


def _show(stored: Stored[AnyRecord]) -> None:
    """A record for people: its fields, then its environments (and an agent's tools)."""
    wire = _public_wire(stored.record)
    envs = wire.pop("envs", [])
    tools = wire.pop("tools", [])
    output.fields(
        [
            *wire.items(),
            ("version", stored.version),
            ("updated", stored.updated_at),
            ("updatedBy", stored.updated_by),
        ]
    )
    record = stored.record
    if envs:
        output.heading("envs")
        if isinstance(record, ProductRecord):
            output.table(
                ["SLUG", "KEY ID", "PUBLIC KEY", "NEXT KEY ID"],
                [(e["slug"], e["keyId"], e["publicKey"], e.get("nextKeyId")) for e in envs],
            )
        elif isinstance(record, LlmModelRecord):
            output.table(
                ["SLUG", "ACTIVE", "BASE URL", "KEY ID", "NEXT KEY ID", "FINGERPRINT"],
                [
                    (
                        e["slug"],
                        e.get("active", True),
                        e.get("baseUrl"),
                        e.get("keyId"),
                        e.get("nextKeyId"),
                        e.get("keyFingerprint"),
                    )
                    for e in envs
                ],
            )
        else:
            output.table(
                ["SLUG", "MODEL CONFIG"], [(e["slug"], e.get("modelConfig")) for e in envs]
            )
    if tools:
        output.heading("tools")
        output.table(["NAME", "DESCRIPTION"], [(t["name"], t.get("description")) for t in tools])


def _kind_app(kind: Kind, noun: str) -> typer.Typer:
    sub = typer.Typer(no_args_is_help=True, help=f"Inspect {noun}s.", rich_markup_mode=None)
    product_help = (
        "Only this product (default: every product the token may read)."
        if kind is Kind.PRODUCT
        else f"The product whose {noun}s to list."
    )

    @sub.command("list", help=f"List {noun}s, one row each.")
    def list_(
        product: str | None = typer.Argument(None, help=product_help),
        url: UrlOpt = None,
        token: TokenOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        if kind is not Kind.PRODUCT and product is None:
            raise typer.BadParameter(
                f"name the product whose {noun}s to list", param_hint="PRODUCT"
            )
        items = _store(url, token).list(kind, product)
        if as_json:
            _print_json([_public_wire(s.record) for s in items])
            return
        output.table(
            [*_LIST_HEADERS[kind], "VERSION", "UPDATED", "BY"],
            [_list_row(kind, s) for s in items],
            empty=f"no {noun}s",
        )

    tag_help = f"The {noun}'s tag." if kind is not Kind.PRODUCT else "(not used for products)"

    @sub.command("show", help=f"Show one {noun}: its fields and environments (keys as key ids).")
    def show(
        product: Annotated[str, typer.Argument(help="The product's tag.")],
        tag: str | None = typer.Argument(None, help=tag_help),
        url: UrlOpt = None,
        token: TokenOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        if kind is Kind.PRODUCT:
            s = _store(url, token).get(kind, product, product)
        else:
            if tag is None:
                raise typer.BadParameter("TAG is required")
            s = _store(url, token).get(kind, product, tag)
        if as_json:
            _print_json({"version": s.version, "record": _public_wire(s.record)})
        else:
            _show(s)

    return sub


app.add_typer(_kind_app(Kind.PRODUCT, "product"), name="product")
app.add_typer(_kind_app(Kind.MODEL, "model"), name="model")
app.add_typer(_kind_app(Kind.AGENT, "agent"), name="agent")


# -- resolve ----------------------------------------------------------------------------------


@app.command("resolve")
def resolve_cmd(
    product: Annotated[str, typer.Argument(help="The product's tag.")],
    env: Annotated[str, typer.Argument(help="The environment, e.g. prd.")],
    agent: Annotated[str, typer.Argument(help="The agent's tag.")],
    private_key_file: Annotated[
        Path | None,
        typer.Option(help="The environment's private key file (else $LLMREG_PRIVATE_KEY)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="A runtime override, field=value (e.g. temperature=0.2)."),
    ] = None,
    explain: Annotated[bool, typer.Option(help="Name the layer each value came from.")] = False,
    show_key: Annotated[
        bool, typer.Option(help="Also print the opened API key (a secret: debugging only).")
    ] = False,
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve an agent's effective config for an environment."""
    from ..runtime import resolve

    key_text = (
        private_key_file.read_text().strip() if private_key_file else settings.PRIVATE_KEY.get()
    )
    overrides: dict[str, Any] = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set {item!r}: expected field=value")
        try:
            overrides[name] = json.loads(value)
        except json.JSONDecodeError:
            overrides[name] = value
    cfg = resolve(product, env, agent, overrides, key_text, store=_store(url, token))
    data = cfg.to_dict(include_key=show_key)
    if as_json:
        typer.echo(json.dumps(data))
        return
    _print_resolved(cfg, data, explain=explain, show_key=show_key)


RESOLVED_FIELDS: tuple[str, ...] = ("provider", "model", "base_url", *OVERRIDABLE_FIELDS)
"""The rows of ``llmreg resolve``: snake_case names of ``ResolvedConfig`` (shown camelCase)."""
_FROM_MODEL = frozenset({"provider", "model", "base_url"})


def _print_resolved(
    cfg: ResolvedConfig, data: dict[str, Any], *, explain: bool, show_key: bool
) -> None:
    """A FIELD / VALUE table; with ``explain`` a FROM column names the layer each value came
    from (``cfg.provenance``; provider, model and baseUrl always come from the model)."""
    rows: list[list[Any]] = []
    for name in RESOLVED_FIELDS:
        wire = to_camel(name)
        value = data[wire]
        layer: Any = None
        if explain and value is not None:
            layer = "model" if name in _FROM_MODEL else cfg.provenance.get(name)
        shown = json.dumps(value) if name == "stop_sequences" and value is not None else value
        rows.append([wire, shown, layer] if explain else [wire, shown])
    if cfg.fallbacks:
        chain = ", ".join(f"{f.model_tag} ({f.provider} {f.model})" for f in cfg.fallbacks)
        rows.append(["fallbacks", chain, "agent"] if explain else ["fallbacks", chain])
    if cfg.termination is not None:
        limits = json.dumps(cfg.termination.to_wire())
        rows.append(["termination", limits, "agent"] if explain else ["termination", limits])
    if show_key:
        rows.append(["apiKey", cfg.api_key, None] if explain else ["apiKey", cfg.api_key])
    output.table(["FIELD", "VALUE", "FROM"] if explain else ["FIELD", "VALUE"], rows)


# -- history, export, import --------------------------------------------------------------------


@app.command()
def history(
    product: Annotated[
        str | None, typer.Option(help="Only this product's writes (a product token needs it).")
    ] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only products, models or agents.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only records with this tag.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many entries.")] = 100,
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit history, newest first: who changed which fields of what, and when."""
    entries = _store(url, token).history(product=product, kind=kind, tag=tag, limit=limit)
    if as_json:
        _print_json([e.to_wire() for e in entries])
        return
    output.table(
        ["AT", "ACTOR", "ACTION", "KIND", "RECORD", "VERSION", "CHANGED"],
        [
            (
                e.at,
                e.actor,
                e.action,
                e.kind,
                e.product if e.kind == Kind.PRODUCT else f"{e.product}/{e.tag}",
                e.version,
                e.changed_fields,
            )
            for e in entries
        ],
        empty="no history",
    )


@app.command("export")
def export_cmd(
    product: Annotated[str, typer.Argument(help="The product to export.")],
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Export a product's records as JSON on stdout (API keys as ciphertext only)."""
    from ..store.backup import export_product

    typer.echo(json.dumps(export_product(_store(url, token), product), indent=2))


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A file written by `llmreg export`.")],
    url: UrlOpt = None,
    token: TokenOpt = None,
) -> None:
    """Import a file written by `llmreg export` (each record is upserted)."""
    from ..store.backup import import_product

    try:
        data = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LlmregError(f"cannot read {file}: {exc}") from None
    done = import_product(_store(url, token), data, actor=_actor())
    wrote = len(done.written)
    line = f"imported {wrote} record{'' if wrote == 1 else 's'} into product '{done.product}'"
    if done.unchanged:
        line += f" ({len(done.unchanged)} already identical, not written)"
    typer.echo(line)


# -- entry point ------------------------------------------------------------------------------


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The one-line error for a module of an optional extra that is not installed."""
    root = (exc.name or "").split(".")[0]
    if root in SERVER_MODULES:
        command = " ".join(a for a in sys.argv[1:2] if not a.startswith("-"))
        what = f"`llmreg {command}`" if command else "this command"
        return (
            f"{what} needs the registry server's packages ({root} is not installed): {SERVER_EXTRA}"
        )
    return None


def main() -> None:
    try:
        app(standalone_mode=False)
    except LlmregError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except ModuleNotFoundError as exc:
        message = missing_extra(exc)
        if message is None or settings.DEBUG.get():
            raise
        typer.echo(f"error: {message}", err=True)
        sys.exit(1)
    except Exception as exc:  # click/typer usage errors (typer vendors click)
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        if settings.DEBUG.get():
            raise
        typer.echo(
            f"error: unexpected {type(exc).__name__}: {exc} "
            f"(set {settings.DEBUG.name}=1 for the traceback)",
            err=True,
        )
        sys.exit(1)
