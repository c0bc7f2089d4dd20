"""The ``llmreg`` command line (Typer). Errors: one line on stderr, exit 1; usage errors exit 2."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import LlmregError
from ..sealing import PrivateKey
from ..store.base import Kind, Store, TokenScope

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
    from ..server import serve as run  # type: ignore[import-not-found, unused-ignore]
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


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option()],
    scope: Annotated[TokenScope, typer.Option()],
    db: UrlOpt = None,
    product: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token; its secret is printed once."""
    st: Any = _store(db, None)
    info, secret = st.create_token(name, scope, product)
    data = {**info.to_wire(), "secret": secret}
    _emit(data, as_json) if as_json else typer.echo(f"{info.id} {secret}")


@token_app.command("revoke")
def token_revoke(token_id: str, db: UrlOpt = None) -> None:
    """Revoke a token by id."""
    st: Any = _store(db, None)
    if not st.revoke_token(token_id):
        raise LlmregError(f"token {token_id} not found")
    typer.echo(f"revoked {token_id}")


@token_app.command("list")
def token_list(db: UrlOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (never their secrets)."""
    st: Any = _store(db, None)
    _emit([t.to_wire() for t in st.list_tokens()], as_json)


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
    private_key_file: Annotated[Path | None, typer.Option()] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="field=value")] = None,
    explain: bool = False,
    show_key: bool = False,
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve an agent's effective config for an environment."""
    from ..runtime import resolve

    key_text = (
        private_key_file.read_text().strip()
        if private_key_file
        else os.environ.get("LLMREG_PRIVATE_KEY")
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
    fields = ["provider", "model", "baseUrl", "temperature", "maxTokens", "topP"]
    fields += ["stopSequences", "timeout"]
    snake = {"maxTokens": "max_tokens", "topP": "top_p", "stopSequences": "stop_sequences"}
    for f in fields:
        layer = cfg.provenance.get(snake.get(f, f), "model") if explain else None
        typer.echo(f"{f:15} {data[f]!s:30} {layer or ''}".rstrip())
    if show_key:
        typer.echo(f"{'apiKey':15} {cfg.api_key}")


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
def export_cmd(product: str, url: UrlOpt = None) -> None:
    """Export a product (ciphertexts only) as JSON on stdout."""
    st: Any = _store(url, None)
    typer.echo(json.dumps(st.export_product(product), indent=2, default=str))


@app.command("import")
def import_cmd(file: Path, url: UrlOpt = None) -> None:
    """Import a product exported with ``llmreg export``."""
    st: Any = _store(url, None)
    st.import_product(json.loads(file.read_text()), _actor())
    typer.echo("imported")


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
