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
an ``apiKey`` field is rejected with a 400 naming it). Answers are serialized straight from the
stored records (``json_of``), without a second validation.

Models and agents have the same four routes under a product, made by ``_product_child_routes``
(annotations are evaluated at definition, no ``from __future__ import annotations``, so that
FastAPI sees each route's concrete record type).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Response

from ...domain import AgentRecord, LlmModelRecord, ProductRecord
from ...errors import FieldProblem, NotFound
from ...store.base import AnyRecord, Kind, Stored, describe, product_of
from ..auth import Principal, require_read, require_write
from ..bodies import StrictJsonRoute
from ..deps import (
    Actor,
    Caller,
    IdempotencyKey,
    IfMatch,
    IfNoneMatchRead,
    IfNoneMatchWrite,
    ProductPath,
    Reg,
    Registry,
    etag_matches,
    if_match_version,
    slug_path,
)
from ..errors import ApiError
from ..openapi import READ, errors, not_modified
from . import examples

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)

R = TypeVar("R", bound=AnyRecord)

GET_ONE = {**not_modified(), **errors(*READ, 404)}
LIST = errors(*READ)
PUT = errors(*READ, 409, 412, 413)
DELETE = errors(*READ, 404, 409, 412)


def json_of(stored: Stored[AnyRecord]) -> bytes:
    """A stored record's JSON answer (camelCase, unset fields left out)."""
    return stored.model_dump_json(by_alias=True, exclude_none=True).encode()


def stored_response(stored: Stored[AnyRecord]) -> Response:
    return Response(json_of(stored), media_type="application/json", headers={"ETag": stored.etag})


def list_response(items: Sequence[Stored[AnyRecord]]) -> Response:
    return Response(
        b"[" + b",".join(json_of(s) for s in items) + b"]", media_type="application/json"
    )


@dataclass(frozen=True)
class WriteHeaders:
    """The headers a write honours (see the module docstring)."""

    if_match: str | None
    if_none_match: str | None
    idempotency_key: str | None
    actor: str | None


async def _write_headers(
    if_match: IfMatch = None,
    inm: IfNoneMatchWrite = None,
    key: IdempotencyKey = None,
    actor: Actor = None,
) -> WriteHeaders:
    return WriteHeaders(if_match, inm, key, actor)


Writing = Annotated[WriteHeaders, Depends(_write_headers)]


def _get(reg: Registry, kind: Kind, product: str, tag: str, inm: str | None) -> Response:
    stored = reg.store.get(kind, product, tag)
    if etag_matches(inm, stored.etag):
        return Response(status_code=304, headers={"ETag": stored.etag})
    return stored_response(stored)


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
    headers: WriteHeaders,
) -> Response:
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
    return stored_response(stored)


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

ProductTag = Annotated[str, slug_path("The product's tag.", "shop")]


@router.get(
    "/products",
    response_model=list[Stored[ProductRecord]],
    responses=errors(401, 429, 503),
    tags=["products"],
)
def list_products(reg: Reg, who: Caller) -> Response:
    """Products the token may read (all of them for the admin token)."""
    if who.is_admin:
        return list_response(reg.store.list(Kind.PRODUCT))
    assert who.product is not None
    return list_response(reg.store.list(Kind.PRODUCT, who.product))


@router.get(
    "/products/{tag}",
    response_model=Stored[ProductRecord],
    responses=GET_ONE,
    tags=["products"],
)
def get_product(tag: ProductTag, reg: Reg, who: Caller, inm: IfNoneMatchRead = None) -> Response:
    """A product and its environments' public keys."""
    require_read(who, tag)
    return _get(reg, Kind.PRODUCT, tag, tag, inm)


@router.put(
    "/products/{tag}",
    response_model=Stored[ProductRecord],
    responses=PUT,
    tags=["products"],
)
def put_product(
    tag: ProductTag,
    record: Annotated[
        ProductRecord,
        Body(openapi_examples=examples.body("a product with two environments", examples.PRODUCT)),
    ],
    reg: Reg,
    who: Caller,
    headers: Writing,
) -> Response:
    """Create or replace a product (see the conditional headers)."""
    return _put(reg, who, record, Kind.PRODUCT, tag, tag, headers)


@router.delete("/products/{tag}", status_code=204, responses=DELETE, tags=["products"])
def delete_product(
    tag: ProductTag, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
) -> Response:
    """Delete a product (409 while it has models or agents)."""
    return _delete(reg, who, Kind.PRODUCT, tag, tag, if_match, actor)


# -- models and agents -------------------------------------------------------------------------


def _product_child_routes(
    kind: Kind,
    record_type: type[LlmModelRecord | AgentRecord],
    example: dict[str, Any],
) -> None:
    """list/get/put/delete for one kind of record that lives in a product."""
    noun = kind.value
    singular = noun.removesuffix("s")
    collection = f"/products/{{product}}/{noun}"
    item = f"{collection}/{{tag}}"
    one = Stored[record_type]  # type: ignore[valid-type]
    Tag = Annotated[str, slug_path(f"The {singular}'s tag.", example["tag"])]
    Payload = Annotated[
        record_type,  # type: ignore[valid-type]
        Body(openapi_examples=examples.body(f"a {singular}", example)),
    ]

    def list_records(product: ProductPath, reg: Reg, who: Caller) -> Response:
        require_read(who, product)
        return list_response(reg.store.list(kind, product))

    def get_record(
        product: ProductPath, tag: Tag, reg: Reg, who: Caller, inm: IfNoneMatchRead = None
    ) -> Response:
        require_read(who, product)
        return _get(reg, kind, product, tag, inm)

    def put_record(
        product: ProductPath,
        tag: Tag,
        record: Payload,
        reg: Reg,
        who: Caller,
        headers: Writing,
    ) -> Response:
        return _put(reg, who, record, kind, product, tag, headers)

    def delete_record(
        product: ProductPath,
        tag: Tag,
        reg: Reg,
        who: Caller,
        if_match: IfMatch = None,
        actor: Actor = None,
    ) -> Response:
        return _delete(reg, who, kind, product, tag, if_match, actor)

    def route(path: str, endpoint: Callable[..., object], method: str, **extra: Any) -> None:
        verb = endpoint.__name__.split("_")[0]
        name = f"{verb}_{noun}" if verb == "list" else f"{verb}_{singular}"
        router.add_api_route(path, endpoint, methods=[method], name=name, tags=[noun], **extra)

    route(collection, list_records, "GET", response_model=list[one], responses=LIST)
    route(item, get_record, "GET", response_model=one, responses=GET_ONE)
    route(item, put_record, "PUT", response_model=one, responses=PUT)
    route(item, delete_record, "DELETE", status_code=204, responses=DELETE)


_product_child_routes(Kind.MODEL, LlmModelRecord, examples.MODEL)
_product_child_routes(Kind.AGENT, AgentRecord, examples.AGENT)
