"""`VLLMBackend`: a model run in-process by vLLM (the ``vllm`` extra:
``pip install 'gem-env[vllm]'``).

One engine (`vllm.LLM`) per backend, built on `check` or on the first call; calls run
one at a time on a worker thread (`asyncio.to_thread` under a lock: the offline engine
is not thread-safe, and batching belongs to ``vllm serve`` with `OpenAIBackend`).
A stage's ``response_format`` becomes guided decoding on its JSON Schema:
``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))`` on vLLM
0.11 and later, ``SamplingParams(guided_decoding=GuidedDecodingParams(json=schema))``
before. The generated text is the message's content; tools are given to the chat
template, and a tool call the model writes comes back as that text (the offline engine
parses no tool calls).
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from typing import Any

from synth.backends.base import LLMBackend
from synth.backends.errors import BackendRequestError, BackendUnavailableError
from synth.backends.openai_chat import TokenUsage
from synth.backends.structured import schema_of

__all__ = ["VLLM_HINT", "VLLMBackend"]

VLLM_HINT = "pip install 'gem-env[vllm]'"


class VLLMBackend(LLMBackend):
    """A model run by vLLM in this process (see the module docstring).

    Args:
        model: a Hugging Face model id or a local directory (``--model``).
        temperature, max_tokens: defaults for calls that pass none.
        engine_options: more `vllm.LLM` arguments (e.g. ``max_model_len``, ``dtype``,
            ``gpu_memory_utilization``).
    """

    kind = "vllm"

    def __init__(
        self,
        model: str,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        engine_options: dict[str, Any] | None = None,
    ):
        self.name = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.engine_options = dict(engine_options or {})
        self.usage = TokenUsage()
        self._llm: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VLLMBackend(model={self.name!r})"

    def _vllm(self) -> Any:
        try:
            return importlib.import_module("vllm")
        except ImportError as exc:
            raise BackendUnavailableError(
                f"--backend vllm needs the vllm package, which is not installed ({exc}). "
                f"Install it with {VLLM_HINT} (a CUDA GPU is needed), or use --backend "
                "openai against a `vllm serve` server."
            ) from None

    def _engine(self) -> Any:
        """The engine, built on first use (call with the lock held)."""
        if self._llm is None:
            vllm = self._vllm()
            try:
                self._llm = vllm.LLM(model=self.name, **self.engine_options)
            except Exception as exc:  # a wrong id, no GPU, out of memory: say which
                raise BackendUnavailableError(
                    f"vLLM could not load {self.name!r}: {type(exc).__name__}: {exc}. "
                    "Check --model (a Hugging Face id or a local directory) and the GPU."
                ) from exc
        return self._llm

    async def check(self) -> None:
        """Import vLLM and load the model, before any work.

        Raises:
            BackendUnavailableError: vLLM is not installed (with the install hint) or
                the model could not be loaded.
        """
        self._vllm()
        await asyncio.to_thread(self._locked, self._engine)

    def _locked(self, work: Any, *args: Any) -> Any:
        with self._lock:
            return work(*args)

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
        """The generated text as the assistant message's content (`stage` is ignored).

        Raises:
            BackendUnavailableError: vLLM is missing or the model could not be loaded.
            BackendRequestError: vLLM refused the request (e.g. a prompt too long).
        """
        vllm = self._vllm()
        params = _sampling_params(
            vllm,
            temperature=self.temperature if temperature is None else temperature,
            max_tokens=self.max_tokens if max_tokens is None else max_tokens,
            seed=seed,
            schema=schema_of(response_format),
        )
        return await asyncio.to_thread(self._locked, self._chat, messages, params, tools)

    def _chat(
        self, messages: list[dict[str, Any]], params: Any, tools: list[dict[str, Any]] | None
    ) -> dict[str, Any]:
        llm = self._engine()
        options: dict[str, Any] = {"use_tqdm": False}
        if tools:
            options["tools"] = tools
        try:
            (output,) = llm.chat(messages, params, **options)
        except (ValueError, TypeError) as exc:
            self.usage.failures += 1
            raise BackendRequestError(f"vLLM refused the request: {exc}") from exc
        completion = output.outputs[0]
        self.usage.requests += 1
        self.usage.prompt_tokens += len(getattr(output, "prompt_token_ids", None) or [])
        self.usage.completion_tokens += len(getattr(completion, "token_ids", None) or [])
        return {"role": "assistant", "content": completion.text}

    async def aclose(self) -> None:
        """Drop the engine (its memory goes with the last reference); idempotent."""
        with self._lock:
            self._llm = None


def _sampling_params(
    vllm: Any,
    *,
    temperature: float | None,
    max_tokens: int | None,
    seed: int | None,
    schema: dict[str, Any] | None,
) -> Any:
    """`vllm.SamplingParams` for one call, with guided decoding on `schema` (the API of
    the installed vLLM: ``structured_outputs`` since 0.11, ``guided_decoding`` before)."""
    options: dict[str, Any] = {}
    if temperature is not None:
        options["temperature"] = temperature
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    if seed is not None:
        options["seed"] = seed
    if schema is not None:
        guide = {"json": schema} if schema else {"json_object": True}
        sampling = importlib.import_module("vllm.sampling_params")
        if hasattr(sampling, "StructuredOutputsParams"):
            options["structured_outputs"] = sampling.StructuredOutputsParams(**guide)
        else:
            options["guided_decoding"] = sampling.GuidedDecodingParams(**guide)
    return vllm.SamplingParams(**options)
