"""Does the Telex/VNI decoder change what the model reads in ordinary messages?

Parses the held-out sets with the trained model in this process, once as is
and once with the decoder switched off, and prints intent accuracy for each
(aggregate figures only).

    .venv/bin/python -m scripts.decode_effect
"""

from __future__ import annotations

import asyncio
import logging

import components.normalize as normalize
from scripts import eval_metrics as em
from scripts.harness import MODEL, ROOT

SETS = ("messages.yml", "heldout.yml", "topics.yml", "typing.yml")


async def accuracy(agent) -> dict[str, str]:
    figures = {}
    for name in SETS:
        messages = em.load_messages(ROOT / "eval" / name)
        right = 0
        for message in messages:
            parsed = await agent.parse_message(message.text)
            right += parsed["intent"]["name"] == message.intent
        figures[name] = f"{right}/{len(messages)} ({right / len(messages):.1%})"
    return figures


async def main() -> None:
    from rasa.core.agent import load_agent

    logging.disable(logging.INFO)
    agent = await load_agent(model_path=str(MODEL))
    on = await accuracy(agent)
    normalize.decode = lambda word: word  # the tokenizer decodes through this
    off = await accuracy(agent)
    for name in SETS:
        print(f"{name}: decoder on {on[name]}, off {off[name]}")


if __name__ == "__main__":
    asyncio.run(main())
