"""`OpenAIBackend`: an `LLMBackend` on any OpenAI-compatible server (``vllm serve``,
llama.cpp's server, OpenAI), built on `OpenAIChatModel` (retries, backoff, a concurrency
bound, token accounting).

Structured outputs: a stage's ``response_format`` is sent as given. When the server
refuses it (a 400 or 422 about response_format, JSON Schema or a grammar, or an
unsupported parameter), the backend falls back to plain text once and for good: it
sends the call again without ``response_format``, with the schema written into the
system message (`synth.backends.structured.with_schema_instruction`), remembers it in
`OpenAIBackend.structured_outputs` (False) and counts every such call in
``usage.schema_fallbacks``. Later calls go straight to plain text.

What the server answers is returned as is, when it is a chat completion: an empty
``choices`` list or a null content comes back as ``{"role": "assistant", "content":
None}``, and text that ignores the schema as that text. Parsing the content (and
recording a malformed answer as an outcome with its raw text) is the calling stage's
job, the same for every backend.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

from synth.backends.base import LLMBackend
from synth.backends.errors import BackendRequestError
from synth.backends.openai_chat import OpenAIChatModel
from synth.backends.structured import (
    is_response_format_refusal,
    json_object_format,
    with_schema_instruction,
)

__all__ = ["OpenAIBackend", "not_served_message"]

log = logging.getLogger(__name__)


class OpenAIBackend(LLMBackend):
    """A model served behind an OpenAI-compatible API (see the module docstring).

    Args:
        model: the model name the server serves (``--model``).
        base_url: the API root, e.g. ``http://localhost:8000/v1`` (None: OpenAI's, or
            ``OPENAI_BASE_URL``).
        api_key: None reads ``OPENAI_API_KEY``, else ``"EMPTY"`` (local servers ignore it).
        timeout: seconds per attempt (a call may override it with ``timeout=``).
        max_retries, backoff, max_backoff: retries of transient errors
            (`OpenAIChatModel`).
        max_concurrency: at most this many requests in flight (None: unbounded).
        temperature, max_tokens: defaults for calls that pass none.
        extra_body: sent with every request (server-specific parameters).
        structured_outputs: None (find out on the first structured call), True, or
            False (never send ``response_format``; write the schema into the prompt).

    Attributes:
        structured_outputs: None until a structured call answered; True when the server
            took ``response_format``; False once it refused it (plain text from then on).
        chat: the underlying `OpenAIChatModel`.
    """

    kind = "openai"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 120.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        max_concurrency: int | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        extra_body: dict[str, Any] | None = None,
        structured_outputs: bool | None = None,
    ):
        self.chat = OpenAIChatModel(
            model,
            base_url,
            api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
            max_concurrency=max_concurrency,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        self.name = model
        self.usage = self.chat.usage
        self.structured_outputs = structured_outputs
        self._refused: set[str] = set()  # response_format types the server refused

    def __repr__(self) -> str:
        return f"OpenAIBackend(model={self.name!r}, base_url={self.chat.base_url!r})"

    def _formats(self, response_format: dict[str, Any]) -> list[dict[str, Any]]:
        """The response formats to try, best first, skipping those the server refused:
        the one asked for, then the same schema as ``json_object`` (llama.cpp's server)."""
        forms = [response_format]
        if response_format.get("type") == "json_schema":
            forms.append(json_object_format(response_format))
        return [f for f in forms if f["type"] not in self._refused]

    @property
    def where(self) -> str:
        """The server, for messages."""
        return self.chat.where

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
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """The next assistant message; `stage` is ignored, `timeout` overrides the
        per-attempt timeout of this call.

        Raises:
            BackendUnavailableError: the server could not be reached or kept failing.
            BackendRequestError: the server refused the request (a refused
                response_format is not raised: the call falls back to plain text).
        """
        options: dict[str, Any] = {
            "tools": tools,
            "temperature": temperature,
            "seed": seed,
            "max_tokens": max_tokens,
            "timeout": timeout,
        }
        if response_format is not None and self.structured_outputs is not False:
            for form in self._formats(response_format):
                try:
                    message = await self.chat.complete(messages, response_format=form, **options)
                except BackendRequestError as exc:
                    if not is_response_format_refusal(exc.status, str(exc)):
                        raise
                    self.usage.failures -= 1  # not a failure: the call goes on
                    log.warning("%s refused response_format %s (%s)", self.where, form["type"], exc)
                    self._refused.add(form["type"])
                    continue
                self.structured_outputs = True
                return message
            self.structured_outputs = False  # the schema goes in the prompt from now on
        if response_format is not None:
            messages = with_schema_instruction(messages, response_format)
            self.usage.schema_fallbacks += 1
        return await self.chat.complete(messages, **options)

    async def check(self) -> None:
        """Raise unless the server answers ``GET /models`` and serves the model (a server
        without a ``/models`` route passes).

        Raises:
            BackendUnavailableError: the server cannot be reached.
            BackendRequestError: it refused (e.g. a key is needed), or serves other
                models (the close matches are named).
        """
        served = await self.chat.list_models()
        message = not_served_message(self.name, served, self.where)
        if message is not None:
            raise BackendRequestError(message, 404)

    async def aclose(self) -> None:
        """Close the HTTP clients (safe to call more than once)."""
        await self.chat.aclose()


def not_served_message(model: str, served: list[str], where: str) -> str | None:
    """What to say when `served` (a server's model ids; empty: unknown) lacks `model`,
    naming close matches; None when the model is served or the list is unknown."""
    if not served or model in served:
        return None
    close = difflib.get_close_matches(model, served, n=3, cutoff=0.4)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return (
        f"the server at {where} does not serve {model!r}.{hint} "
        f"It serves: {', '.join(served[:10])}. Pass one of them as --model."
    )
