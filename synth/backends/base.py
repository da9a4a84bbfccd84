"""`LLMBackend`: the one small base every model backend implements (and gem_env's
`ChatModel` protocol, so a backend can also play the agent or the user).

A backend turns chat messages into one assistant message dict (OpenAI shape:
``{"role": "assistant", "content": ..., "tool_calls": [...]}``). A stage asks for a
structured answer by passing ``response_format`` (`synth.stages.answers.answer_schema`);
the answer is then the message's ``content`` (JSON text). ``stage`` names the asking
stage (``relevance``, ``extraction``, ...): backends that need it (the offline heuristic
one) dispatch on it, the others ignore it. Every stage puts the text it works on in its
last user message between ``<document>`` and ``</document>``.

Subclasses: `synth.backends.openai_backend.OpenAIBackend` (any OpenAI-compatible
server), `vllm_backend.VLLMBackend` and `llama_cpp_backend.LlamaCppBackend`
(in-process, extras), `heuristic_backend.HeuristicBackend` (offline, the default).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from synth.backends.openai_chat import TokenUsage

__all__ = ["DOCUMENT_CLOSE", "DOCUMENT_OPEN", "LLMBackend", "document_of"]

DOCUMENT_OPEN, DOCUMENT_CLOSE = "<document>", "</document>"


class LLMBackend(ABC):
    """A chat model a pipeline stage (or an agent, or a user simulator) talks to.

    Attributes:
        kind: ``heuristic``, ``openai``, ``vllm`` or ``llama-cpp``.
        name: the model's name (what the server serves; provenance records it).
        usage: running token and request totals.
    """

    kind: ClassVar[str]
    name: str
    usage: TokenUsage

    @abstractmethod
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
        """The next assistant message for `messages`.

        Raises:
            BackendUnavailableError: the backend could not be reached (after retries).
            BackendRequestError: the request was refused (what to fix is in the message).
        """

    async def check(self) -> None:
        """Before any work: raise `BackendError` saying what to fix when the backend
        cannot serve (server unreachable, model not served, extra not installed)."""
        return None

    async def aclose(self) -> None:
        """Release connections, engines and threads; idempotent."""
        return None

    def signature(self) -> dict[str, Any]:
        """What identifies this backend's answers in the model-call cache."""
        return {"kind": self.kind, "model": self.name}


def document_of(messages: list[dict[str, Any]]) -> str:
    """The text between ``<document>`` and ``</document>`` in the last user message
    that holds one ("" when none does)."""
    for message in reversed(messages):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and DOCUMENT_OPEN in content:
            start = content.index(DOCUMENT_OPEN) + len(DOCUMENT_OPEN)
            end = content.find(DOCUMENT_CLOSE, start)
            return content[start : end if end >= 0 else len(content)].strip("\n")
    return ""
