"""A tiny OpenAI-compatible HTTP server for tests and offline demos (real package code).

`StandInServer` serves ``POST /v1/chat/completions`` and ``GET /v1/models`` from a
`http.server` in a background thread on 127.0.0.1, answering each request with a
*responder*: a function from the request body to an assistant message dict. It can
add latency and fail the first requests (to exercise retries)::

    with StandInServer(scripted([{"tool_calls": [...]}, "All done."])) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url)

Responders here:
- `scripted(turns)`: the i-th assistant turn of each conversation is ``turns[i]`` (the
  turn is counted from the request's messages, so concurrent conversations each walk
  the script); past the end the last turn repeats.
- `agent_responder(make_agent, scenarios)`: plays a `gem_env` agent (e.g. the
  heuristic agent) behind the API: the scenario is found by the conversation's system
  prompt, a fresh agent is reset and asked for the next turn.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], dict[str, Any] | str]


def scripted(turns: Sequence[dict[str, Any] | str]) -> Responder:
    """A responder whose i-th assistant turn in every conversation is ``turns[i]``.

    A turn is an assistant message dict (``content`` and/or ``tool_calls``; ``role`` and
    call ids are filled in) or plain text.
    """
    if not turns:
        raise ValueError("scripted() needs at least one turn")
    script = list(turns)

    def respond(body: dict[str, Any]) -> dict[str, Any] | str:
        done = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        return script[min(done, len(script) - 1)]

    return respond


def agent_responder(make_agent: Callable[[], Any], scenarios: Sequence[Any]) -> Responder:
    """Serve a `gem_env` agent: find the scenario by system prompt, reset, act.

    The agent must decide from the conversation (a fresh agent answers each request),
    which holds for the heuristic agent. `scenarios` are `gem_env.scenario.Scenario`s.
    """
    by_prompt = {s.system_prompt: s for s in scenarios}

    def respond(body: dict[str, Any]) -> dict[str, Any] | str:
        from gem_env.messages import Message
        from gem_env.protocols import reset_agent

        messages = [Message.model_validate(m) for m in body.get("messages", [])]
        system = next((m.content for m in messages if m.role == "system"), None)
        scenario = by_prompt.get(system or "")
        if scenario is None:
            return "I cannot help with that."
        tools = body.get("tools") or []
        agent = make_agent()
        opening = next((m.content or "" for m in messages if m.role == "user"), "")
        reset_agent(agent, scenario, tools, opening, body.get("seed"))
        turn = asyncio.run(agent.act(messages, tools))
        if isinstance(turn, Message):
            return turn.to_openai()
        return turn

    return respond


class StandInServer:
    """An OpenAI-compatible server on 127.0.0.1 in a daemon thread (a context manager).

    Args:
        responder: request body -> assistant message dict or text.
        model: the one model id served; other names get 404 like vLLM.
        port: 0 picks a free port. latency: seconds slept per completion.
        fail_first: the first N completions fail with `fail_status` (retry tests).
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>``.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        model: str = "stand-in",
        port: int = 0,
        latency: float = 0.0,
        fail_first: int = 0,
        fail_status: int = 500,
        api_key: str | None = None,
    ):
        self.responder = responder
        self.model = model
        self.latency = latency
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0  # most completions served at the same time
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API root to give a client as `base_url`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StandInServer:
        """Serve in a background thread; return self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name="stand-in-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling (called from handler threads) ------------------------------

    def _complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            number = next(self._ids)
        if body.get("model") != self.model:
            return 404, _error(f"The model `{body.get('model')}` does not exist.", 404)
        if body.get("stream"):
            return 400, _error("streaming is not supported by the stand-in server", 400)
        if not isinstance(body.get("messages"), list):
            return 400, _error("'messages' must be a list", 400)
        if self.latency:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                time.sleep(self.latency)
            finally:
                with self._lock:
                    self.in_flight -= 1
        if number <= self.fail_first:
            return self.fail_status, _error("stand-in failure (fail_first)", self.fail_status)
        try:
            turn = self.responder(body)
        except Exception as exc:  # a broken responder is a 500, visible to the client
            return 500, _error(f"responder failed: {type(exc).__name__}: {exc}", 500)
        turn_number = sum(1 for m in body["messages"] if m.get("role") == "assistant")
        message = _assistant(turn, turn_number)
        prompt = len(json.dumps(body.get("messages"))) // 4
        completion = len(json.dumps(message)) // 4
        return 200, {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "stand-in"}],
        }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops bursts of connections
    daemon_threads = True


def _assistant(turn: dict[str, Any] | str, number: int) -> dict[str, Any]:
    """The message of a turn; call ids ``call_<turn>_<i>`` depend on the conversation only."""
    if isinstance(turn, str):
        return {"role": "assistant", "content": turn}
    message = {"role": "assistant", "content": turn.get("content")}
    calls = []
    for i, call in enumerate(turn.get("tool_calls") or []):
        function = dict(call.get("function", call))
        arguments = function.get("arguments", {})
        calls.append(
            {
                "id": call.get("id") or f"call_{number}_{i}",
                "type": "function",
                "function": {
                    "name": function["name"],
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
                },
            }
        )
    if calls:
        message["tool_calls"] = calls
    return message


def _error(message: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def _handler(server: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()  # headers and body go out in two writes: no Nagle delay
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if server.api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {server.api_key}":
                return True
            self._send(401, _error("Incorrect API key provided.", 401))
            return False

        def do_GET(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") in ("/v1/models", "/models"):
                self._send(200, server._models())
            else:
                self._send(404, _error(f"no route {self.path}", 404))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self._authorized():
                return
            if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                self._send(404, _error(f"no route {self.path}", 404))
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as exc:
                self._send(400, _error(f"body is not JSON: {exc.msg}", 400))
                return
            if not isinstance(body, dict):
                self._send(400, _error("body must be a JSON object", 400))
                return
            self._send(*server._complete(body))

    return Handler
