"""LLM backends: the `LLMBackend` base and its implementations, chat models behind
`gem_env.protocols.ChatModel`, and a stand-in server.

- `LLMBackend` (`base`) and `make_backend` (`factory`): what ``--backend
  heuristic|openai|vllm|llama-cpp`` builds.
- `HeuristicBackend` (`heuristic_backend`): offline and deterministic, the default.
- `OpenAIBackend` (`openai_backend`): any OpenAI-compatible server, with the
  structured-output fallback to plain text.
- `VLLMBackend` (`vllm_backend`) and `LlamaCppBackend` (`llama_cpp_backend`):
  in-process engines (extras ``vllm`` and ``llama-cpp``), imported on first use.
- `OpenAIChatModel` (`openai_chat`): the OpenAI client with retries, backoff and token
  accounting (`TokenUsage`).
- `StandInServer` (`stand_in`): a tiny OpenAI-compatible HTTP server in a thread for
  tests and offline demos, answering with scripted, agent-played or per-stage turns,
  with injectable faults.
- Errors (`errors`): `BackendError`, `BackendUnavailableError`, `BackendRequestError`,
  `BackendConfigError`.

The `openai`, `vllm` and `llama_cpp` packages are imported on first use, so importing
this package is cheap.
"""

from synth.backends.base import LLMBackend, document_of
from synth.backends.errors import (
    BackendConfigError,
    BackendError,
    BackendRequestError,
    BackendUnavailableError,
)
from synth.backends.factory import BACKEND_KINDS, make_backend
from synth.backends.heuristic_backend import HeuristicBackend
from synth.backends.llama_cpp_backend import LlamaCppBackend, find_smollm2_gguf
from synth.backends.openai_backend import OpenAIBackend
from synth.backends.openai_chat import OpenAIChatModel, TokenUsage
from synth.backends.stand_in import StandInServer, agent_responder, scripted, stage_responder
from synth.backends.vllm_backend import VLLMBackend

__all__ = [
    "BACKEND_KINDS",
    "BackendConfigError",
    "BackendError",
    "BackendRequestError",
    "BackendUnavailableError",
    "HeuristicBackend",
    "LLMBackend",
    "LlamaCppBackend",
    "OpenAIBackend",
    "OpenAIChatModel",
    "StandInServer",
    "TokenUsage",
    "VLLMBackend",
    "agent_responder",
    "document_of",
    "find_smollm2_gguf",
    "make_backend",
    "scripted",
    "stage_responder",
]
