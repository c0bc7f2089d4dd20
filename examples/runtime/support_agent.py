"""Run a declared agent with one call: llmreg resolves it, runs the tool loop with its provider's
official SDK, checks each tool call against the tool's JSON Schema, falls back to the agent's
fallback models on a rate limit, a server error or a timeout, and stops at its limits.

Run it (README.md next to this file)::

    pip install 'llmreg[all]'          # the agent loop is 'llmreg[agents]', plus the SDKs you use
    export LLMREG_URL=https://llmreg.internal LLMREG_TOKEN=...   # a read token of the product
    export LLMREG_PRIVATE_KEY=llmreg-sk1-...                      # the environment's private key
    python examples/runtime/support_agent.py shop customer-support prd "Where is order 42?"
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import llmreg
from llmreg import Done, Fallback, TextDelta, ToolEnd

ORDERS = {"42": {"status": "shipped", "carrier": "DHL"}}


def lookup_order(order_id: str) -> dict[str, str]:
    """The handler of the agent's declared ``lookup_order`` tool."""
    order = ORDERS.get(order_id)
    if order is None:
        raise KeyError(f"no order {order_id}")  # goes back to the model as the tool's error
    return {"order_id": order_id, **order}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("product")
    parser.add_argument("agent")
    parser.add_argument("env")
    parser.add_argument("question")
    parser.add_argument("--stream", action="store_true", help="print the events as they come")
    args = parser.parse_args()
    common: dict[str, Any] = {
        "product": args.product,
        "env": args.env,
        "agent": args.agent,
        "input": args.question,
        "handlers": {"lookup_order": lookup_order},
        "private_key": os.environ.get("LLMREG_PRIVATE_KEY"),
    }
    if args.stream:
        for event in llmreg.stream(**common):
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, ToolEnd):
                print(f"[tool {event.call.name}: {'ok' if event.call.ok else 'error'}]")
            elif isinstance(event, Fallback):
                print(f"[{event.from_model} failed ({event.reason}); trying {event.to_model}]")
            elif isinstance(event, Done):
                result = event.result
        print()
    else:
        result = llmreg.run(**common)
        print(result.output if result.status == "completed" else "")
    print(
        f"{result.status} after {result.iterations} model call(s) on {result.model}, "
        f"{len(result.tool_calls)} tool call(s), {result.usage.total_tokens} tokens"
        + (f": {result.stop_reason}" if result.stop_reason else "")
    )


if __name__ == "__main__":
    main()
