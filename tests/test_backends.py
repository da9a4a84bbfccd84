"""OpenAIChatModel against the stand-in server: completions, tool calls, retries, errors, usage."""

from __future__ import annotations

import asyncio
import socket

import pytest

from synth.backends import (
    BackendRequestError,
    BackendUnavailableError,
    OpenAIChatModel,
    StandInServer,
    scripted,
)

TOOLS = [
    {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }
]
CALL = {"tool_calls": [{"function": {"name": "lookup", "arguments": {"order_id": "A-1"}}}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scripted_turns_come_back_as_openai_messages() -> None:
    async def main(url: str) -> None:
        model = OpenAIChatModel("stand-in", base_url=url)
        first = await model.complete([{"role": "user", "content": "hi"}], tools=TOOLS, seed=3)
        assert first["role"] == "assistant" and first["content"] is None
        (call,) = first["tool_calls"]
        assert call["type"] == "function" and call["function"]["name"] == "lookup"
        assert call["function"]["arguments"] == '{"order_id": "A-1"}'
        history = [{"role": "user", "content": "hi"}, {**first}]
        second = await model.complete(history)
        assert second == {"role": "assistant", "content": "Done."}
        assert model.usage.requests == 2 and model.usage.total_tokens > 0
        assert await model.list_models() == ["stand-in"]
        await model.aclose()

    with StandInServer(scripted([CALL, "Done."])) as server:
        asyncio.run(main(server.url))
        assert server.requests[0]["seed"] == 3 and server.requests[0]["tools"] == TOOLS
        assert "tools" not in server.requests[1]


def test_transient_failures_are_retried_and_counted() -> None:
    with StandInServer(scripted(["ok"]), fail_first=2, fail_status=503) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url, backoff=0.01)
        reply = asyncio.run(model.complete([{"role": "user", "content": "hi"}]))
        assert reply["content"] == "ok"
        assert model.usage.retries == 2 and model.usage.failures == 0
        assert len(server.requests) == 3


def test_retries_give_up_with_a_clear_error() -> None:
    with StandInServer(scripted(["ok"]), fail_first=10, fail_status=500) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url, backoff=0.01, max_retries=2)
        with pytest.raises(BackendUnavailableError, match="failed 3 time"):
            asyncio.run(model.complete([{"role": "user", "content": "hi"}]))
        assert model.usage.failures == 1 and len(server.requests) == 3


def test_refusals_are_not_retried_and_say_what_to_fix() -> None:
    with StandInServer(scripted(["ok"]), api_key="sekret") as server:
        wrong_model = OpenAIChatModel("other", base_url=server.url, api_key="sekret")
        with pytest.raises(BackendRequestError, match="check --model") as info:
            asyncio.run(wrong_model.complete([{"role": "user", "content": "hi"}]))
        assert info.value.status == 404
        no_key = OpenAIChatModel("stand-in", base_url=server.url, api_key="wrong")
        with pytest.raises(BackendRequestError, match="--api-key"):
            asyncio.run(no_key.list_models())
        assert len(server.requests) == 1  # the 404 was not retried; the 401 never got in


def test_unreachable_server() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    model = OpenAIChatModel("m", base_url=url, max_retries=1, backoff=0.01)
    with pytest.raises(BackendUnavailableError, match="cannot reach the model server"):
        asyncio.run(model.list_models())
    with pytest.raises(BackendUnavailableError, match="Check --base-url"):
        asyncio.run(model.complete([{"role": "user", "content": "hi"}]))


def test_requests_overlap_and_concurrency_is_bounded() -> None:
    """Observed by the server (no wall-clock thresholds): how many requests overlap."""

    async def burst(model: OpenAIChatModel, n: int) -> None:
        await asyncio.gather(
            *(model.complete([{"role": "user", "content": str(i)}]) for i in range(n))
        )

    with StandInServer(scripted(["ok"]), latency=0.2) as server:
        asyncio.run(burst(OpenAIChatModel("stand-in", base_url=server.url), 8))
        free = server.max_in_flight
    with StandInServer(scripted(["ok"]), latency=0.2) as server:
        asyncio.run(burst(OpenAIChatModel("stand-in", base_url=server.url, max_concurrency=2), 8))
        bounded = server.max_in_flight
    assert free >= 4  # requests overlapped (8 sent at once; >= 4 seen in flight together)
    assert bounded == 2  # never more than two in flight
