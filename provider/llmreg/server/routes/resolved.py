"""An agent's resolved configuration in one environment, with its API key still *sealed*.

``GET /v1/products/{product}/agents/{agent}/resolved/{env}`` (read scope) answers::

    {
      "product": "shop",
      "env": "prd",
      "agent": {...AgentRecord wire...},
      "agentVersion": 3,
      "model": {...LlmModelRecord wire (every env, sealed keys only)...},
      "modelVersion": 7,
      "envConfig": {"slug": "prd", "active": true, "baseUrl": "https://...",   # baseUrl optional
                    "sealedKey": {"keyId": "...", "ciphertext": "..."},         # absent if no key
                    "keyFingerprint": "fp1:..."},
      "resolved": {                          # llmreg.overrides.ResolvedEnv, as Agent.resolved[env]
        "provider": "anthropic",
        "model": "claude-sonnet-4-20250514",
        "baseUrl": "https://...",                                               # optional
        "temperature": 0.3, "maxTokens": 1000, ...                              # set fields only
        "provenance": {"temperature": "env", "maxTokens": "agent", ...}       # model|agent|env
      }
    }

``resolved`` merges model < agent < env (``llmreg.overrides.resolve_env``); the runtime adds
its own layer and opens ``envConfig.sealedKey`` (or, during a staged key-pair rotation,
``envConfig.nextSealedKey``) with the env's private key (binding ``product|env|model.tag``).
The ``ETag`` is ``"a<agentVersion>.m<modelVersion>"``: it changes
whenever either record changes, and ``If-None-Match`` with it answers 304 without a body.
404 when the agent, its model, or an *active* config of the model for ``env`` is missing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse

from ...domain import AgentRecord, LlmModelRecord, ModelEnvRecord, Record
from ...overrides import ResolvedEnv, resolve_env
from ...store.base import Kind
from ..auth import require_read
from ..deps import Caller, Reg, etag_matches

router = APIRouter(prefix="/v1", tags=["resolved"])


class ResolvedAgent(Record):
    """The answer's shape (documented in OpenAPI; built directly as JSON for speed)."""

    product: str
    env: str
    agent: AgentRecord
    agent_version: int
    model: LlmModelRecord
    model_version: int
    env_config: ModelEnvRecord
    resolved: ResolvedEnv


def resolved_etag(agent_version: int, model_version: int) -> str:
    return f'"a{agent_version}.m{model_version}"'


@router.get(
    "/products/{product}/agents/{agent}/resolved/{env}",
    response_model=ResolvedAgent,
    response_model_exclude_none=True,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
def get_resolved(
    product: str,
    agent: str,
    env: str,
    reg: Reg,
    who: Caller,
    inm: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    require_read(who, product)
    stored_agent = reg.store.get(Kind.AGENT, product, agent)
    agent_rec = stored_agent.record
    assert isinstance(agent_rec, AgentRecord)
    stored_model = reg.store.get(Kind.MODEL, product, agent_rec.model)
    model_rec = stored_model.record
    assert isinstance(model_rec, LlmModelRecord)
    etag = resolved_etag(stored_agent.version, stored_model.version)
    if etag_matches(inm, etag):
        return Response(status_code=304, headers={"ETag": etag})

    env_rec = model_rec.active_env(env)
    resolved = resolve_env(model_rec.model_settings(), agent_rec, env).to_wire()
    body = {
        "product": product,
        "env": env,
        "agent": agent_rec.to_wire(),
        "agentVersion": stored_agent.version,
        "model": model_rec.to_wire(),
        "modelVersion": stored_model.version,
        "envConfig": env_rec.to_wire(),
        "resolved": resolved,
    }
    return JSONResponse(body, headers={"ETag": etag})
