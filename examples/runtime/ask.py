"""An agent runtime in a few lines: resolve an agent for an environment, then ask it one question
with its provider's official SDK, configured by llmreg (key, base URL, timeout, sampling
settings, system prompt, tools).

Run it (README.md next to this file)::

    pip install 'llmreg[all]'          # or just the provider's extra, e.g. 'llmreg[anthropic]'
    export LLMREG_URL=https://llmreg.internal LLMREG_TOKEN=...   # a read token of the product
    export LLMREG_PRIVATE_KEY=llmreg-sk1-...                      # the environment's private key
    python examples/runtime/ask.py shop customer-support prd "Where is my order 42?"
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import llmreg


def ask(cfg: llmreg.ResolvedConfig, question: str, *, stream: bool = False) -> str:
    """One chat turn with ``cfg``'s provider; the reply's text."""
    client = cfg.client()
    if cfg.provider == "google":  # Gemini's conversation is `contents`, made of `parts`
        params = cfg.request_params(messages=[{"role": "user", "parts": [{"text": question}]}])
        if stream:
            return "".join(c.text or "" for c in client.models.generate_content_stream(**params))
        return str(client.models.generate_content(**params).text)
    params = cfg.request_params(messages=[{"role": "user", "content": question}])
    if cfg.provider == "anthropic":
        if stream:
            with client.messages.stream(**params) as events:
                return "".join(events.text_stream)
        reply: Any = client.messages.create(**params)
        return "".join(block.text for block in reply.content if block.type == "text")
    if cfg.provider == "cohere":
        if stream:
            events = client.chat_stream(**params)
            return "".join(
                e.delta.message.content.text for e in events if e.type == "content-delta"
            )
        return "".join(part.text for part in client.chat(**params).message.content)
    # openai, and custom (an OpenAI-compatible endpoint)
    if stream:
        chunks = client.chat.completions.create(stream=True, **params)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return str(client.chat.completions.create(**params).choices[0].message.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("product")
    parser.add_argument("agent")
    parser.add_argument("env")
    parser.add_argument("question")
    parser.add_argument("--temperature", type=float, help="runtime override (highest layer)")
    parser.add_argument("--stream", action="store_true", help="stream the reply")
    args = parser.parse_args()
    overrides = {"temperature": args.temperature} if args.temperature is not None else None
    cfg = llmreg.resolve(
        product=args.product,
        env=args.env,
        agent=args.agent,
        overrides=overrides,
        private_key=os.environ.get("LLMREG_PRIVATE_KEY"),
    )
    print(ask(cfg, args.question, stream=args.stream))


if __name__ == "__main__":
    main()
