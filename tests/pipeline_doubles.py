"""Test doubles of the pipeline: a backend that answers each stage from a script keyed
by document id. HAND-WRITTEN STAND-INS FOR LLM OUTPUT, labelled as such: the good
extraction is a bundled example toolkit with one of its bundled scenarios; the bad
ones are what models get wrong (an import, a loop, prose instead of JSON).

Also runnable as a script (for the kill-and-resume test): ``python -m
tests.pipeline_doubles CORPUS OUT`` runs the pipeline on this backend.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from typing import Any

from gem_env.scenarios import bundled_scenario
from synth.backends.base import LLMBackend, document_of
from synth.backends.openai_chat import TokenUsage
from synth.config import RunConfig
from toolkits.examples import load_example
from toolkits.spec import dump_toolkit

_DOC_ID = re.compile(r"^document_id: (.+)$", re.M)


def good_extraction() -> dict[str, Any]:
    """A usable extraction answer: the store toolkit and its cancel-a-return scenario."""
    scenario = bundled_scenario("store_cancel_open_return").model_dump(
        mode="json", exclude_none=True
    )
    scenario.pop("toolkit", None)
    scenario["id"] = "cancel_return"
    return {
        "workflow": {
            "description": "Cancel an open return",
            "steps": [
                {"id": "s1", "text": "Find the customer's orders by email", "tool": "find_orders"},
                {
                    "id": "s2",
                    "text": "Cancel the return",
                    "tool": "cancel_rma",
                    "depends_on": ["s1"],
                },
            ],
            "execution_graph": "(find_orders)->(cancel_rma)",
            "rules": [
                {
                    "text": "Only open returns can be cancelled",
                    "enforced_by": {"tool": "cancel_rma"},
                }
            ],
        },
        "toolkit": dump_toolkit(load_example("online_store_returns")),
        "scenarios": [scenario],
    }


def importing_extraction() -> dict[str, Any]:
    """A toolkit whose source imports os (the sandbox refuses to compile it)."""
    answer = good_extraction()
    answer["toolkit"]["source"] = "import os\n" + answer["toolkit"]["source"]
    return answer


def looping_extraction() -> dict[str, Any]:
    """A toolkit whose first tool loops for ever (the step budget ends every call)."""
    answer = good_extraction()
    source = answer["toolkit"]["source"]
    answer["toolkit"]["source"] = source.replace(
        "def find_orders(state, email):",
        "def find_orders(state, email):\n    while True:\n        pass",
        1,
    )
    return answer


# document id -> stage -> the answers of successive calls (the last repeats)
SCRIPT: dict[str, dict[str, list[Any]]] = {
    "good": {"relevance": [{"relevant": True, "summary": "cancel a return"}],
             "extraction": [good_extraction()]},
    "plain": {"relevance": [{"relevant": False, "procedural": False, "reason": "a news item"}]},
    "recipe": {"relevance": [{"relevant": False, "procedural": True, "reason": "a recipe"}]},
    "fixed": {"relevance": [{"relevant": True}],
              "extraction": [importing_extraction()], "repair": [good_extraction()]},
    "looping": {"relevance": [{"relevant": True}], "extraction": [looping_extraction()]},
    "garbage": {"relevance": [{"relevant": True}],
                "extraction": ["Sure! Here is the toolkit you asked for."]},
}  # fmt: skip


class ScriptedStages(LLMBackend):
    """Answers each stage of a document from `SCRIPT` (kind ``heuristic``, so grounding
    runs the oracle agent and the heuristic user)."""

    kind = "heuristic"

    def __init__(self, script: dict[str, dict[str, list[Any]]] | None = None):
        self.name = "scripted-stages"
        self.usage = TokenUsage()
        self.script = SCRIPT if script is None else script
        self.asked: list[tuple[str, str]] = []  # (document id, stage) of every call

    async def complete(self, messages: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
        stage = options.get("stage") or ""
        user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        found = _DOC_ID.search(user)
        document_id = (found.group(1) if found else "").split("#")[0]
        assert document_of(messages), "every stage sends the document"
        self.asked.append((document_id, stage))
        answers = self.script.get(document_id, {}).get(stage) or self.script.get(
            document_id, {}
        ).get("extraction")
        if not answers:
            return {"role": "assistant", "content": json.dumps({"relevant": False})}
        done = sum(1 for d, s in self.asked[:-1] if d == document_id and s == stage)
        answer = answers[min(done, len(answers) - 1)]
        self.usage.requests += 1
        self.usage.prompt_tokens += 10
        self.usage.completion_tokens += 5
        content = answer if isinstance(answer, str) else json.dumps(answer)
        return {"role": "assistant", "content": content}


def corpus_lines() -> list[str]:
    """The test corpus: one line per scripted document, a corrupt line, a duplicate id."""
    lines = [json.dumps({"id": doc, "text": f"How to do {doc}: click Save."}) for doc in SCRIPT]
    lines.insert(3, '{"id": "broken", "text": "unterminated')
    lines.append(json.dumps({"id": "good", "text": "the same id again"}))
    return lines


async def run_pipeline(corpus: str, out: str, concurrency: int = 2) -> Any:
    """The pipeline on `ScriptedStages` (the same backend for every stage)."""
    from synth.pipeline import Pipeline

    config = RunConfig(corpus=corpus, out=out, concurrency=concurrency, check_examples=5)
    backend = ScriptedStages()
    backends = {"relevance": backend, "extraction": backend, "grounding": backend}
    return await Pipeline(config, backends).run()


if __name__ == "__main__":
    asyncio.run(run_pipeline(sys.argv[1], sys.argv[2]))
