"""No phantom diffs (design §5), as a property: for any valid program, right after `pulumi up`
the next preview finds nothing to change, and neither does a `pulumi refresh` followed by a
preview: `check` normalizes inputs so that the registry's copy, the state and the program
agree."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmreg.deploy import DeployContext

from .stack import agent_props, model_props, product_props, resources

ENVS = ["dev", "stg", "prd"]
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
unit = st.floats(0, 1, allow_nan=False)
layer = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0, 2, allow_nan=False),
        "maxTokens": st.integers(1, 10**6).map(float),
        "topP": unit,
        "stopSequences": st.lists(text, max_size=3),
        "timeout": st.integers(1, 10**7).map(float),
    },
)


@st.composite
def programs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    envs = draw(st.lists(st.sampled_from(ENVS), min_size=1, max_size=3, unique=True))
    model_envs = [
        {
            "slug": env,
            **draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "baseUrl": st.just(f"https://{env}.gw.internal/v1"),
                        "active": st.booleans(),
                        "description": text,
                    },
                )
            ),
        }
        for env in envs
    ]
    model = {
        **draw(layer),
        **draw(st.fixed_dictionaries({}, optional={"description": text})),
        "envs": model_envs,
        "apiKeys": {env: f"sk-{env}-{draw(st.integers(0, 999))}" for env in envs},
    }
    agent = {
        "modelConfig": draw(layer),
        "envs": [
            {"slug": env, "modelConfig": draw(layer)}
            for env in draw(st.lists(st.sampled_from(envs), unique=True))
        ],
        "systemPrompt": draw(st.none() | text),
    }
    return model, agent, envs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_no_phantom_diffs(program: tuple[dict[str, Any], dict[str, Any], list[str]]) -> None:
    model_over, agent_over, envs = program
    with tempfile.TemporaryDirectory() as tmp:
        ctx = DeployContext({"url": f"sqlite:///{Path(tmp) / 'registry.db'}"})
        shop, model, agent = resources(ctx)
        product_news = product_props(envs=ENVS)

        def model_news() -> dict[str, Any]:
            return model_props(shop, **model_over)

        def agent_news() -> dict[str, Any]:
            return agent_props(model, shop, **agent_over)

        shop.up(product_news)
        model.up(model_news())
        agent.up(agent_news())
        for resource, news in ((shop, product_news), (model, model_news()), (agent, agent_news())):
            assert resource.preview_changes(news) == [], resource.name
            resource.refresh()
            assert resource.preview_changes(news) == [], f"{resource.name} after refresh"
        assert set(agent.state["resolved"]) <= set(envs)
