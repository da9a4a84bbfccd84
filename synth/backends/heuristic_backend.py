"""`HeuristicBackend`: the offline, deterministic default backend (no GPU, no key, no
download). It answers the stages it knows with `synth.heuristic`, the rule-based
extractor, instead of a model.

- ``relevance``: the JSON of ``synth.heuristic.relevance(document)``.
- ``extraction`` and ``repair``: the JSON of ``synth.heuristic.extract(document,
  document_id)``; the id is read from a line ``document_id: <id>`` of the user message
  holding the document (``"document"`` when there is none).

The document is the text between ``<document>`` and ``</document>`` (`document_of`).
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from synth.backends.base import DOCUMENT_CLOSE, DOCUMENT_OPEN, LLMBackend, document_of
from synth.backends.errors import BackendRequestError
from synth.backends.openai_chat import TokenUsage

__all__ = ["HEURISTIC_STAGES", "HeuristicBackend", "document_id_of"]

HEURISTIC_STAGES = ("relevance", "extraction", "repair")
_DOCUMENT_ID = re.compile(r"^\s*document_id:\s*(\S+)\s*$", re.MULTILINE)


class HeuristicBackend(LLMBackend):
    """Answers the relevance, extraction and repair stages without a model (see the
    module docstring); every answer is counted in ``usage.requests`` (tokens stay 0)."""

    kind = "heuristic"

    def __init__(self) -> None:
        self.name = "heuristic"
        self.usage = TokenUsage()

    def __repr__(self) -> str:
        return "HeuristicBackend()"

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        stage: str | None = None,
    ) -> dict[str, Any]:
        """The stage's answer as an assistant message whose content is its JSON; the
        sampling options and `response_format` are ignored (the answer already has the
        stage's answer model).

        Raises:
            BackendRequestError: `stage` is not one the heuristic serves.
        """
        if stage not in HEURISTIC_STAGES:
            raise BackendRequestError(
                f"the heuristic backend answers the stages {', '.join(HEURISTIC_STAGES)}, "
                f"not {stage!r}; run that stage with a model (--backend openai|vllm|llama-cpp)"
            )
        heuristic = importlib.import_module("synth.heuristic")
        document = document_of(messages)
        if stage == "relevance":
            answer = heuristic.relevance(document)
        else:
            answer = heuristic.extract(document, document_id_of(messages) or "document")
        self.usage.requests += 1
        return {"role": "assistant", "content": _json(answer)}


def document_id_of(messages: list[dict[str, Any]]) -> str | None:
    """The id on a ``document_id: <id>`` line of the last user message holding a
    document, read outside the document itself; None when there is none."""
    for message in reversed(messages):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and DOCUMENT_OPEN in content:
            before, _, rest = content.partition(DOCUMENT_OPEN)
            _, _, after = rest.partition(DOCUMENT_CLOSE)
            found = _DOCUMENT_ID.search(before) or _DOCUMENT_ID.search(after)
            return found.group(1) if found else None
    return None


def _json(answer: Any) -> str:
    dump = getattr(answer, "model_dump_json", None)
    return dump() if callable(dump) else json.dumps(answer)
