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
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Header, Response

from ...domain import AgentRecord, LlmModelRecord, ProductRecord
from ...errors import Conflict, FieldProblem, NotFound
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


def _precondition(exc: Conflict) -> ApiError:
    """A stale If-Match is 412; a reused idempotency key stays a 409 conflict."""
    message = str(exc)
    if "idempotency key" in message:
        return ApiError(409, "conflict", message)
    return ApiError(412, "precondition_failed", message)


def _put(
    reg: Registry,
    who: Principal,
    record: AnyRecord,
    kind: Kind,
    product: str,
    tag: str,
    response: Response,
    if_match: str | None,
    inm: str | None,
    key: str | None,
    actor: str | None,
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
    expected = _expected(reg, kind, product, tag, if_match, inm)
    try:
        stored = reg.store.put(
            record, expected_version=expected, actor=who.actor(actor), idempotency_key=key
        )
    except Conflict as exc:
        if expected is not None and expected >= 1:
            raise _precondition(exc) from None
        raise
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
    try:
        deleted = reg.store.delete(
            kind, product, tag, expected_version=expected, actor=who.actor(actor)
        )
    except Conflict as exc:
        if expected is not None and "changed since it was read" in str(exc):
            raise _precondition(exc) from None
        raise
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
    if_match: IfMatch = None,
    inm: IfNoneMatch = None,
    key: IdempotencyKey = None,
    actor: Actor = None,
) -> Stored[AnyRecord]:
    return _put(reg, who, record, Kind.PRODUCT, tag, tag, response, if_match, inm, key, actor)


@router.delete("/products/{tag}", status_code=204, tags=["products"])
def delete_product(
    tag: str, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
) -> Response:
    return _delete(reg, who, Kind.PRODUCT, tag, tag, if_match, actor)


# -- models ----------------------------------------------------------------------------------


@router.get(
    "/products/{product}/models",
    response_model=list[Stored[LlmModelRecord]],
    response_model_exclude_none=True,
    tags=["models"],
)
def list_models(product: str, reg: Reg, who: Caller) -> list[Stored[AnyRecord]]:
    require_read(who, product)
    return reg.store.list(Kind.MODEL, product)


@router.get(
    "/products/{product}/models/{tag}",
    response_model=Stored[LlmModelRecord],
    responses={304: {"description": "Not modified"}},
    response_model_exclude_none=True,
    tags=["models"],
)
def get_model(
    product: str, tag: str, reg: Reg, who: Caller, response: Response, inm: IfNoneMatch = None
) -> Stored[AnyRecord] | Response:
    require_read(who, product)
    return _get(reg, Kind.MODEL, product, tag, response, inm)


@router.put(
    "/products/{product}/models/{tag}",
    response_model=Stored[LlmModelRecord],
    response_model_exclude_none=True,
    tags=["models"],
)
def put_model(
    product: str,
    tag: str,
    record: Annotated[LlmModelRecord, Body()],
    reg: Reg,
    who: Caller,
    response: Response,
    if_match: IfMatch = None,
    inm: IfNoneMatch = None,
    key: IdempotencyKey = None,
    actor: Actor = None,
) -> Stored[AnyRecord]:
    return _put(reg, who, record, Kind.MODEL, product, tag, response, if_match, inm, key, actor)


@router.delete("/products/{product}/models/{tag}", status_code=204, tags=["models"])
def delete_model(
    product: str, tag: str, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
) -> Response:
    return _delete(reg, who, Kind.MODEL, product, tag, if_match, actor)


# -- agents ----------------------------------------------------------------------------------


@router.get(
    "/products/{product}/agents",
    response_model=list[Stored[AgentRecord]],
    response_model_exclude_none=True,
    tags=["agents"],
)
def list_agents(product: str, reg: Reg, who: Caller) -> list[Stored[AnyRecord]]:
    require_read(who, product)
    return reg.store.list(Kind.AGENT, product)


@router.get(
    "/products/{product}/agents/{tag}",
    response_model=Stored[AgentRecord],
    responses={304: {"description": "Not modified"}},
    response_model_exclude_none=True,
    tags=["agents"],
)
def get_agent(
    product: str, tag: str, reg: Reg, who: Caller, response: Response, inm: IfNoneMatch = None
) -> Stored[AnyRecord] | Response:
    require_read(who, product)
    return _get(reg, Kind.AGENT, product, tag, response, inm)


@router.put(
    "/products/{product}/agents/{tag}",
    response_model=Stored[AgentRecord],
    response_model_exclude_none=True,
    tags=["agents"],
)
def put_agent(
    product: str,
    tag: str,
    record: Annotated[AgentRecord, Body()],
    reg: Reg,
    who: Caller,
    response: Response,
    if_match: IfMatch = None,
    inm: IfNoneMatch = None,
    key: IdempotencyKey = None,
    actor: Actor = None,
) -> Stored[AnyRecord]:
    return _put(reg, who, record, Kind.AGENT, product, tag, response, if_match, inm, key, actor)


@router.delete("/products/{product}/agents/{tag}", status_code=204, tags=["agents"])
def delete_agent(
    product: str, tag: str, reg: Reg, who: Caller, if_match: IfMatch = None, actor: Actor = None
) -> Response:
    return _delete(reg, who, Kind.AGENT, product, tag, if_match, actor)
