"""Products, models and agents: list, get, put (create/replace) and delete.

Conditional requests (optimistic concurrency):

- ``GET`` answers with ``ETag: "<version>"``; ``If-None-Match`` with that ETag gives 304.
- ``PUT`` replaces the record whole. ``If-None-Match: *`` creates only (409 ``already_exists``
  if a different record is there; the same record back if it is identical). ``If-Match:
  "<n>"`` replaces version n only (412 ``precondition_failed`` otherwise); ``If-Match: *``
  needs the record to exist. Without either header the PUT is an unconditional upsert: If-Match
  is not required (no 428), since the Store contract offers unconditional writes too.
- ``DELETE`` honours ``If-Match`` the same way; 204 when deleted, 404 when it was missing.
- ``Idempotency-Key`` on PUT: a retry with the same key returns the first result, writes nothing.
- ``X-Llmreg-Actor``: who the audit history names (see ``auth.Principal.actor``).

Bodies are the domain records' camelCase JSON (``LlmModelRecord`` holds *sealed* keys only:
an ``apiKey`` field is rejected with a 400 naming it).

Models and agents have the same four routes under a product, made by ``_product_child_routes``
(annotations are evaluated at definition, no ``from __future__ import annotations``, so that
FastAPI sees each route's concrete record type).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Header, Response

from ...domain import AgentRecord, LlmModelRecord, ProductRecord
from ...errors import FieldProblem, NotFound
from ...store.base import AnyRecord, Kind, Stored, describe, product_of
from ..auth import ACTOR_HEADER, Principal, require_read, require_write
from ..deps import Caller, Reg, Registry, etag_matches, if_match_version
from ..errors import ApiError

router = APIRouter(prefix="/v1")

R = TypeVar("R", bound=AnyRecord)

IfMatch = Annotated[str | None, Header(alias="If-Match")]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]
Actor = Annotated[str | None, Header(alias=ACTOR_HEADER, max_length=200)]


@dataclass(frozen=True)
class WriteHeaders:
    """The headers a write honours (see the module docstring)."""

    if_match: str | None
    if_none_match: str | None
    idempotency_key: str | None
    actor: str | None


def _write_headers(
    if_match: IfMatch = None,
    inm: IfNoneMatch = None,
    key: IdempotencyKey = None,
    actor: Actor = None,
) -> WriteHeaders:
    return WriteHeaders(if_match, inm, key, actor)


Writing = Annotated[WriteHeaders, Depends(_write_headers)]


def _get(
    reg: Registry, kind: Kind, product: str, tag: str, response: Response, inm: str | None
) -> Stored[AnyRecord] | Response:
    stored = reg.store.get(kind, product, tag)
    if etag_matches(inm, stored.etag):
        return Response(status_code=304, headers={"ETag": stored.etag})
    response.headers["ETag"] = stored.etag
    return stored


def _expected(
    reg: Registry, kind: Kind, product: str, tag: str, if_match: str | None, inm: str | None
) -> int | None:
    version = if_match_version(if_match)
    if version is not None and inm is not None:
        raise ApiError(400, "bad_precondition", "send If-Match or If-None-Match, not both")
    if inm is not None:
        if inm.strip() != "*":
            raise ApiError(400, "bad_precondition", "on writes If-None-Match may only be *")
        return 0
    if version == "*":
        try:
            return reg.store.get(kind, product, tag).version
        except NotFound:
            raise ApiError(
                412, "precondition_failed", f"{describe(kind, product, tag)} does not exist"
            ) from None
    assert not isinstance(version, str)
    return version


def _put(
    reg: Registry,
    who: Principal,
    record: AnyRecord,
    kind: Kind,
    product: str,
    tag: str,
    response: Response,
    headers: WriteHeaders,
) -> Stored[AnyRecord]:
    require_write(who, product)
    mismatched = []
    if product_of(record) != product:
        mismatched.append(FieldProblem("product", f"must be '{product}', as in the URL"))
    if record.tag != tag:
        mismatched.append(FieldProblem("tag", f"must be '{tag}', as in the URL"))
    if mismatched:
        raise ApiError(
            400,
            "validation_failed",
            "the record does not match its URL",
            fields=mismatched,
            what=describe(kind, product, tag),
        )
    expected = _expected(reg, kind, product, tag, headers.if_match, headers.if_none_match)
    stored = reg.store.put(
        record,
        expected_version=expected,
        actor=who.actor(headers.actor),
        idempotency_key=headers.idempotency_key,
    )
    response.headers["ETag"] = stored.etag
    return stored


def _delete(
    reg: Registry,
    who: Principal,
    kind: Kind,
    product: str,
    tag: str,
    if_match: str | None,
    actor: str | None,
) -> Response:
    require_write(who, product)
    expected = _expected(reg, kind, product, tag, if_match, None)
    deleted = reg.store.delete(
        kind, product, tag, expected_version=expected, actor=who.actor(actor)
    )
    if not deleted:
        raise NotFound(f"{describe(kind, product, tag)} does not exist")
    return Response(status_code=204)


# -- products --------------------------------------------------------------------------------


@router.get(
    "/products",
    response_model=list[Stored[ProductRecord]],
    response_model_exclude_none=True,
    tags=["products"],
)
def list_products(reg: Reg, who: Caller) -> list[Stored[AnyRecord]]:
    """Products the token may read (all of them for the admin token)."""
    if who.is_admin:
        return reg.store.list(Kind.PRODUCT)
    assert who.product is not None
    return reg.store.list(Kind.PRODUCT, who.product)


@router.get(
    "/products/{tag}",
    response_model=Stored[ProductRecord],
    responses={304: {"description": "Not modified"}},
    response_model_exclude_none=True,
    tags=["products"],
)
def get_product(
    tag: str, reg: Reg, who: Caller, response: Response, inm: IfNoneMatch = None
) -> Stored[AnyRecord] | Response:
    require_read(who, tag)
    return _get(reg, Kind.PRODUCT, tag, tag, response, inm)


@router.put(
    "/products/{tag}",
    response_model=Stored[ProductRecord],
    response_model_exclude_none=True,
    tags=["products"],
)
def put_product(
    tag: str,
    record: Annotated[ProductRecord, Body()],
    reg: Reg,
    who: Caller,
    response: Response,
    headers: Writing,
) -> Stored[AnyRecord]:
    return _put(reg, who, record, Kind.PRODUCT, tag, tag, response, headers)


@router.delete("/products/{tag}", status_code=204, tags=["products"])
def delete_product(
    tag: str, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
) -> Response:
    return _delete(reg, who, Kind.PRODUCT, tag, tag, if_match, actor)


# -- models and agents -------------------------------------------------------------------------


def _product_child_routes(kind: Kind, record_type: type[LlmModelRecord | AgentRecord]) -> None:
    """list/get/put/delete for one kind of record that lives in a product."""
    noun = kind.value
    collection = f"/products/{{product}}/{noun}"
    item = f"{collection}/{{tag}}"
    one = Stored[record_type]  # type: ignore[valid-type]
    Payload = Annotated[record_type, Body()]  # type: ignore[valid-type]

    def list_records(product: str, reg: Reg, who: Caller) -> list[Stored[AnyRecord]]:
        require_read(who, product)
        return reg.store.list(kind, product)

    def get_record(
        product: str, tag: str, reg: Reg, who: Caller, response: Response, inm: IfNoneMatch = None
    ) -> Stored[AnyRecord] | Response:
        require_read(who, product)
        return _get(reg, kind, product, tag, response, inm)

    def put_record(
        product: str,
        tag: str,
        record: Payload,
        reg: Reg,
        who: Caller,
        response: Response,
        headers: Writing,
    ) -> Stored[AnyRecord]:
        return _put(reg, who, record, kind, product, tag, response, headers)

    def delete_record(
        product: str, tag: str, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
    ) -> Response:
        return _delete(reg, who, kind, product, tag, if_match, actor)

    def route(path: str, endpoint: Callable[..., object], method: str, **extra: Any) -> None:
        verb = endpoint.__name__.split("_")[0]
        name = f"{verb}_{noun}" if verb == "list" else f"{verb}_{noun.removesuffix('s')}"
        router.add_api_route(path, endpoint, methods=[method], name=name, tags=[noun], **extra)

    route(
        collection, list_records, "GET", response_model=list[one], response_model_exclude_none=True
    )
    route(
        item, get_record, "GET", response_model=one, response_model_exclude_none=True,
        responses={304: {"description": "Not modified"}},
    )  # fmt: skip
    route(item, put_record, "PUT", response_model=one, response_model_exclude_none=True)
    route(item, delete_record, "DELETE", status_code=204)


_product_child_routes(Kind.MODEL, LlmModelRecord)
_product_child_routes(Kind.AGENT, AgentRecord)
