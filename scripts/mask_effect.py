"""Does masking personal data change what the model understands?

Parses every held-out message whose text the masker changes, once as typed and
once masked, with the trained model in this process, and counts how often the
predicted intent is the expected one in each form. docs/privacy.md has the
figures.

    .venv/bin/python -m scripts.mask_effect
"""

from __future__ import annotations

import asyncio
import pathlib

from privacy.mask import mask
from scripts import eval_metrics as em
from scripts.harness import MODEL, ROOT

SETS = ("messages.yml", "heldout.yml", "topics.yml", "typing.yml", "personal.yml")


async def main() -> None:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=str(MODEL))
    changed = []
    for name in SETS:
        path = ROOT / "eval" / name
        if path.exists():
            changed += [
                m for m in em.load_messages(pathlib.Path(path)) if mask(m.text).text != m.text
            ]
    right = {"typed": 0, "masked": 0}
    for message in changed:
        for form, text in (("typed", message.text), ("masked", mask(message.text).text)):
            parsed = await agent.parse_message(text)
            right[form] += parsed["intent"]["name"] == message.intent
    n = len(changed)
    print(f"{n} held-out messages hold personal data the masker replaces")
    for form, count in right.items():
        print(f"  intent right, {form}: {count}/{n}" + (f" ({count / n:.1%})" if n else ""))


if __name__ == "__main__":
    asyncio.run(main())
