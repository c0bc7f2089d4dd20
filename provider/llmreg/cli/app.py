"""The ``llmreg`` command line (Typer). Errors: one line on stderr, exit 1; usage errors exit 2."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import LlmregError
from ..sealing import PrivateKey
from ..settings import PRIVATE_KEY
from ..store.base import Kind, Store, TokenAdmin, TokenScope

if TYPE_CHECKING:
    from ..runtime import ResolvedConfig

app = typer.Typer(no_args_is_help=True, help="llmreg: LLM model and agent registry.")
token_app = typer.Typer(no_args_is_help=True, help="Manage API tokens (registry database).")
app.add_typer(token_app, name="token")

UrlOpt = Annotated[
    str | None, typer.Option("--url", "--db", envvar="LLMREG_URL", help="Store URL.")
]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="LLMREG_TOKEN", help="API token.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _store(url: str | None, token: str | None) -> Store:
    from ..store.url import open_store

    return open_store(url, token)


def _emit(data: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    elif isinstance(data, list):
        for item in data:
            typer.echo(item if isinstance(item, str) else json.dumps(item, default=str))
    else:
        typer.echo(json.dumps(data, indent=2, default=str))


def _public_wire(record: Any) -> dict[str, Any]:
    """A record's wire form with sealed keys replaced by key id + fingerprint."""
    wire: dict[str, Any] = record.to_wire()
    for env in wire.get("envs", []):
        sealed = env.pop("sealedKey", None)
        if sealed:
            env["keyId"] = sealed.get("keyId")
    return wire


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    db: Annotated[str | None, typer.Option(help="Database URL.")] = None,
    workers: int = 1,
    admin_token: Annotated[str | None, typer.Option(envvar="LLMREG_ADMIN_TOKEN")] = None,
    log_level: str = "info",
) -> None:
    """Run the registry server."""
    from ..server import serve as run
    from ..store.url import default_url

    run(
        host=host,
        port=port,
        db_url=db or default_url(),
        workers=workers,
        admin_token=admin_token,
        log_level=log_level,
    )


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
        _emit({**info.to_wire(), "secret": secret}, True)
    else:
        typer.echo(f"{info.id} {secret}")


@token_app.command("revoke")
def token_revoke(token_id: str, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Revoke a token by id."""
    if not _token_admin(url, token).revoke_token(token_id):
        raise LlmregError(f"token {token_id} does not exist: `llmreg token list` shows the ids")
    typer.echo(f"revoked {token_id}")


@token_app.command("list")
def token_list(url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (never their secrets)."""
    _emit([t.to_wire() for t in _token_admin(url, token).list_tokens()], as_json)


def _kind_app(kind: Kind, noun: str) -> typer.Typer:
    sub = typer.Typer(no_args_is_help=True, help=f"Inspect {noun}s.")

    @sub.command("list")
    def list_(
        product: Annotated[str | None, typer.Argument()] = None,
        url: UrlOpt = None,
        token: TokenOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        items = _store(url, token).list(kind, product)
        if as_json:
            _emit([_public_wire(s.record) for s in items], True)
        else:
            _emit([getattr(s.record, "tag", "") for s in items], False)

    @sub.command("show")
    def show(
        product: str,
        tag: Annotated[str | None, typer.Argument()] = None,
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
        _emit({"version": s.version, "record": _public_wire(s.record)}, as_json)

    return sub


app.add_typer(_kind_app(Kind.PRODUCT, "product"), name="product")
app.add_typer(_kind_app(Kind.MODEL, "model"), name="model")
app.add_typer(_kind_app(Kind.AGENT, "agent"), name="agent")


@app.command("resolve")
def resolve_cmd(
    product: str,
    env: str,
    agent: str,
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

    key_text = private_key_file.read_text().strip() if private_key_file else PRIVATE_KEY.get()
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
    _print_resolved(cfg, data, explain=explain)
    if show_key:
        typer.echo(f"{'apiKey':15} {cfg.api_key}")


_WIRE_TO_SETTING = {
    "temperature": "temperature",
    "maxTokens": "max_tokens",
    "topP": "top_p",
    "stopSequences": "stop_sequences",
    "timeout": "timeout",
}


def _print_resolved(cfg: ResolvedConfig, data: dict[str, Any], *, explain: bool) -> None:
    """One line per value; with ``explain`` a third column names the layer it came from
    (provider, model and baseUrl always come from the model's record)."""
    if explain:
        typer.echo(f"{'FIELD':15} {'VALUE':40} FROM")
    for wire in ["provider", "model", "baseUrl", *_WIRE_TO_SETTING]:
        value = data[wire]
        shown = "-" if value is None else json.dumps(value) if wire == "stopSequences" else value
        layer = ""
        if explain and value is not None:
            layer = str(cfg.provenance.get(_WIRE_TO_SETTING.get(wire, ""), "model"))
        typer.echo(f"{wire:15} {shown!s:40} {layer}".rstrip())


@app.command()
def history(
    product: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[Kind | None, typer.Option()] = None,
    tag: Annotated[str | None, typer.Option()] = None,
    limit: int = 100,
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit history, newest first."""
    entries = _store(url, token).history(product=product, kind=kind, tag=tag, limit=limit)
    _emit([e.to_wire() for e in entries], bool(as_json))


@app.command("export")
def export_cmd(product: str, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Export a product's records as JSON on stdout (API keys as ciphertext only)."""
    from ..store.backup import export_product

    typer.echo(json.dumps(export_product(_store(url, token), product), indent=2))


@app.command("import")
def import_cmd(file: Path, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Import a file written by `llmreg export` (each record is upserted)."""
    from ..store.backup import import_product

    try:
        data = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LlmregError(f"cannot read {file}: {exc}") from None
    records = import_product(_store(url, token), data, actor=_actor())
    typer.echo(f"imported {len(records)} records into product '{records[0].tag}'")


def main() -> None:
    try:
        app(standalone_mode=False)
    except LlmregError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click/typer usage errors (typer vendors click)
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        raise
