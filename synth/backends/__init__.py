"""LLM backends: chat models behind `gem_env.protocols.ChatModel`, and a stand-in server.

- `OpenAIChatModel` (`openai_chat`): any OpenAI-compatible server (vLLM, llama.cpp's
  server, OpenAI) through the official `openai` client, with retries, backoff and
  token accounting (`TokenUsage`).
- `StandInServer` (`stand_in`): a tiny OpenAI-compatible HTTP server in a thread for
  tests and offline demos, answering with scripted or agent-played turns.
- Errors (`errors`): `BackendError`, `BackendUnavailableError`, `BackendRequestError`.

The `openai` package is imported on first use, so importing this package is cheap.
"""

from synth.backends.errors import BackendError, BackendRequestError, BackendUnavailableError
from synth.backends.openai_chat import OpenAIChatModel, TokenUsage
from synth.backends.stand_in import StandInServer, agent_responder, scripted

__all__ = [
    "BackendError",
    "BackendRequestError",
    "BackendUnavailableError",
    "OpenAIChatModel",
    "StandInServer",
    "TokenUsage",
    "agent_responder",
    "scripted",
]
