"""`OpenAIChatModel`: any OpenAI-compatible chat server through the official `openai` client.

Implements `gem_env.protocols.ChatModel` for vLLM (`vllm serve ...`), llama.cpp's
server, OpenAI itself, or the stand-in server of `synth.backends.stand_in`. It owns the
request, retries with exponential backoff and jitter (connection errors, timeouts, 408,
409, 429 and 5xx; `Retry-After` is honoured), an optional concurrency bound, and token
accounting (`usage`). A 200 whose body is not a chat completion (an HTML page from a
proxy, a cut-off JSON body) is retried like a connection error. A refused request (400,
401, 403, 404, 422) is not retried: it raises `BackendRequestError` saying what to fix.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import threading
from typing import Any

from pydantic import BaseModel, Field

from synth.backends.errors import BackendRequestError, BackendUnavailableError
from synth.backends.structured import is_response_format_refusal

_RETRY_STATUS = frozenset({408, 409, 429})


class _MalformedResponseError(Exception):
    """The server answered 200 with a body that is not a chat completion (retried)."""


class TokenUsage(BaseModel):
    """Running totals of one model's traffic."""

    requests: int = Field(default=0, description="Completions that succeeded.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = Field(default=0, description="Attempts repeated after a transient error.")
    failures: int = Field(default=0, description="Completions that failed for good.")
    schema_fallbacks: int = Field(
        default=0,
        description="Structured requests sent as plain text with the schema in the prompt "
        "because the server refused `response_format`.",
    )

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class OpenAIChatModel:
    """An OpenAI-compatible chat model (see the module docstring).

    Args:
        model: the model name the server serves (e.g. the `vllm serve` argument).
        base_url: the server's API root, e.g. ``http://localhost:8000/v1``; None means
            OpenAI's (or ``OPENAI_BASE_URL``).
        api_key: None reads ``OPENAI_API_KEY``, else ``"EMPTY"`` (local servers ignore it).
        timeout: seconds per attempt.
        max_retries: attempts after the first for transient errors.
        backoff: first delay in seconds; doubles per retry, with jitter, up to `max_backoff`.
        max_concurrency: at most this many requests in flight from the async client
            (None: unbounded).
        temperature, max_tokens, extra_body: defaults sent with every request.
    """

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
    ):
        self.name = model
        self.model = model
        self.base_url = base_url
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.extra_body = dict(extra_body or {})
        self.usage = TokenUsage()
        self._max_concurrency = max_concurrency
        self._lock = threading.Lock()
        self._client: Any = None
        self._sync_client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def where(self) -> str:
        """The server, for messages."""
        return self.base_url or "the OpenAI API"

    def _bind(self) -> tuple[Any, bool]:
        """The client for the running loop, and whether it is the async one.

        An httpx connection pool belongs to one event loop. The first loop to call gets
        the `AsyncOpenAI` client (again after that loop closes); a call from another
        loop (e.g. a synchronous user simulator running ``asyncio.run`` on a worker
        thread while the driver's loop runs) uses one shared, thread-safe `OpenAI`
        client on an executor thread instead of building a client per call.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                from openai import AsyncOpenAI

                self._client = AsyncOpenAI(**self._client_options())
                self._loop = loop
                self._semaphore = (
                    asyncio.Semaphore(self._max_concurrency) if self._max_concurrency else None
                )
            if loop is self._loop:
                return self._client, True
            if self._sync_client is None:
                from openai import OpenAI

                self._sync_client = OpenAI(**self._client_options())
            return self._sync_client, False

    def _client_options(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": 0,  # retries are ours: counted, with our backoff
        }

    async def aclose(self) -> None:
        """Close the HTTP clients (safe to call more than once)."""
        with self._lock:
            client, self._client, loop, self._loop = self._client, None, self._loop, None
            sync_client, self._sync_client = self._sync_client, None
        if client is not None and loop is asyncio.get_running_loop():
            await client.close()
        if sync_client is not None:
            sync_client.close()

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Return the next assistant message as an OpenAI dict (role, content, tool_calls).

        Args:
            messages: the conversation, OpenAI chat messages.
            tools: OpenAI function tools offered to the model.
            temperature, seed, max_tokens: per-call values (None: the model's defaults).
            response_format: sent as given (e.g. a ``json_schema`` structured output).
            timeout: seconds for each attempt of this call (None: the model's `timeout`).

        Raises:
            BackendUnavailableError: the server could not be reached or kept failing.
            BackendRequestError: the server refused the request (not retried).
        """
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            kwargs["tools"] = tools
        temperature = self.temperature if temperature is None else temperature
        if temperature is not None:
            kwargs["temperature"] = temperature
        if seed is not None:
            kwargs["seed"] = seed
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if response_format is not None:
            kwargs["response_format"] = response_format
        if timeout is not None:
            kwargs["timeout"] = timeout
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body
        response = await self._with_retries(kwargs)
        return self._message(response)

    async def _create(self, kwargs: dict[str, Any]) -> Any:
        client, is_async = self._bind()
        if not is_async:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                None, functools.partial(client.chat.completions.create, **kwargs)
            )
        if self._semaphore is None:
            return await client.chat.completions.create(**kwargs)
        async with self._semaphore:
            return await client.chat.completions.create(**kwargs)

    async def _with_retries(self, kwargs: dict[str, Any]) -> Any:
        import openai

        attempt = 0
        while True:
            try:
                response = await self._create(kwargs)
                if isinstance(response, str):  # a non-JSON body (an HTML error page)
                    raise _MalformedResponseError(f"not a chat completion: {response[:80]!r}")
                return response
            except (_MalformedResponseError, json.JSONDecodeError) as exc:
                error, delay = exc, None
            except openai.APIStatusError as exc:
                status = exc.status_code
                refused_format = "response_format" in kwargs and is_response_format_refusal(
                    status, str(exc)
                )  # some servers (llama-cpp-python's) refuse it with a 500
                if refused_format or (status not in _RETRY_STATUS and status < 500):
                    self.usage.failures += 1
                    raise BackendRequestError(self._refusal(exc), status) from None
                error: Exception = exc
                delay = _retry_after(exc)
            except openai.APIConnectionError as exc:  # includes timeouts
                error, delay = exc, None
            if attempt >= self.max_retries:
                self.usage.failures += 1
                raise BackendUnavailableError(
                    f"model server {self.where} failed {attempt + 1} time(s); last error: "
                    f"{_describe(error)}. Is it running and serving {self.model!r}? "
                    "Check --base-url, or raise the retries."
                ) from error
            if delay is None:
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                delay *= 0.5 + random.random() / 2
            attempt += 1
            self.usage.retries += 1
            await asyncio.sleep(min(delay, self.max_backoff))

    def _refusal(self, exc: Any) -> str:
        status = exc.status_code
        detail = _describe(exc)
        hint = {
            401: "pass a valid --api-key (or set OPENAI_API_KEY)",
            403: "the key may not use this model; check --api-key",
            404: f"check --model ({self.model!r}) and --base-url ({self.where}; "
            "usually ends in /v1)",
        }.get(status, "the request was rejected; see the server's message")
        return f"model server {self.where} refused the request ({status}): {detail}. {hint}"

    def _message(self, response: Any) -> dict[str, Any]:
        usage = getattr(response, "usage", None)
        self.usage.requests += 1
        if usage is not None:
            self.usage.prompt_tokens += usage.prompt_tokens or 0
            self.usage.completion_tokens += usage.completion_tokens or 0
        choices = getattr(response, "choices", None) or []
        if not choices:
            return {"role": "assistant", "content": None}
        message = choices[0].message
        out: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            out["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.function.name,
                        "arguments": call.function.arguments or "{}",
                    },
                }
                for call in message.tool_calls
                if getattr(call, "function", None) is not None
            ]
        return out

    async def list_models(self) -> list[str]:
        """The model ids the server lists (a cheap reachability check).

        Raises:
            BackendUnavailableError: the server cannot be reached.
            BackendRequestError: it refused (e.g. 401: a key is needed).
        Returns an empty list when the server has no ``/models`` route.
        """
        import openai

        client, is_async = self._bind()
        try:
            if is_async:
                page = await client.models.list()
            else:
                page = await asyncio.get_running_loop().run_in_executor(None, client.models.list)
        except openai.NotFoundError:
            return []
        except openai.APIStatusError as exc:
            raise BackendRequestError(self._refusal(exc), exc.status_code) from None
        except openai.APIConnectionError as exc:
            raise BackendUnavailableError(
                f"cannot reach the model server at {self.where}: {_describe(exc)}. "
                "Is it running? Check --base-url (e.g. http://localhost:8000/v1)."
            ) from exc
        return [m.id for m in page.data]


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in message:
        message = f"{message} ({type(cause).__name__}: {cause})"
    return message


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
