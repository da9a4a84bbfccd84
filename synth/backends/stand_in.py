"""A tiny OpenAI-compatible HTTP server for tests and offline demos (real package code).

`StandInServer` serves ``POST /v1/chat/completions`` and ``GET /v1/models`` from a
`http.server` in a background thread on 127.0.0.1, answering each request with a
*responder*: a function from the request body to an assistant message dict. It can
add latency, fail the first requests, and inject faults into successive completions
(`synth.backends.stand_in_faults`: 429, 500, timeouts, resets, truncated or non-JSON
bodies, empty or non-JSON answers, a refused response_format)::

    with StandInServer(scripted([{"tool_calls": [...]}, "All done."])) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url)

The responders (`scripted`, `agent_responder`, `stage_responder`) live in
`synth.backends.stand_in_responders` and are re-exported here.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from synth.backends.stand_in_faults import (
    WIRE_FAULTS,
    Faults,
    answer_fault,
    check_faults,
    fault_for,
    http_fault,
    write_wire_fault,
)
from synth.backends.stand_in_responders import (
    Responder,
    agent_responder,
    scripted,
    stage_of,
    stage_responder,
)

__all__ = [
    "Responder",
    "StandInServer",
    "agent_responder",
    "scripted",
    "stage_of",
    "stage_responder",
]


@dataclass
class _Reply:
    """What the handler sends: a status and JSON payload, or a wire fault."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    wire_fault: str | None = None


class StandInServer:
    """An OpenAI-compatible server on 127.0.0.1 in a daemon thread (a context manager).

    Args:
        responder: request body -> assistant message dict or text.
        model: the one model id served; other names get 404 like vLLM.
        port: 0 picks a free port. latency: seconds slept per completion.
        fail_first: the first N completions fail with `fail_status` (retry tests).
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>``.
        faults: which completion gets which fault (`synth.backends.stand_in_faults`).
        retry_after: the ``Retry-After`` seconds of a ``"429"`` fault.
        timeout_delay: seconds a ``"timeout"`` fault waits before answering (make it
            longer than the client's timeout).

    Attributes:
        requests: every completion request body, in arrival order (faulted ones too, so
            a test counts a client's attempts).
        faults_injected: the fault kinds applied, in order.
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
        faults: Faults = None,
        retry_after: float = 0.0,
        timeout_delay: float = 1.0,
    ):
        self.responder = responder
        self.model = model
        self.latency = latency
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.api_key = api_key
        self.faults = check_faults(faults)
        self.retry_after = retry_after
        self.timeout_delay = timeout_delay
        self.requests: list[dict[str, Any]] = []
        self.faults_injected: list[str] = []
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
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="stand-in-server",
                daemon=True,
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

    def _complete(self, body: dict[str, Any]) -> _Reply:
        with self._lock:
            self.requests.append(body)
            number = next(self._ids)
        if body.get("model") != self.model:
            return _Reply(404, _error(f"The model `{body.get('model')}` does not exist.", 404))
        if body.get("stream"):
            return _Reply(400, _error("streaming is not supported by the stand-in server", 400))
        if not isinstance(body.get("messages"), list):
            return _Reply(400, _error("'messages' must be a list", 400))
        fault = fault_for(self.faults, number)
        if fault == "reject_response_format" and "response_format" not in body:
            fault = None
        if fault is not None:
            with self._lock:
                self.faults_injected.append(fault)
        failed = http_fault(fault, body, self.retry_after)
        if failed is not None:
            return _Reply(*failed)
        if fault == "timeout":
            time.sleep(self.timeout_delay)
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
            error = _error("stand-in failure (fail_first)", self.fail_status)
            return _Reply(self.fail_status, error)
        try:
            turn = self.responder(body)
        except Exception as exc:  # a broken responder is a 500, visible to the client
            return _Reply(500, _error(f"responder failed: {type(exc).__name__}: {exc}", 500))
        turn_number = sum(1 for m in body["messages"] if m.get("role") == "assistant")
        message = _assistant(turn, turn_number)
        prompt = len(json.dumps(body.get("messages"))) // 4
        completion = len(json.dumps(message)) // 4
        payload = {
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
        return _Reply(200, answer_fault(fault, payload), wire_fault=fault)

    def _models(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "stand-in"}],
        }


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 drops bursts of connections
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet when a client gave up (a timeout fault answers after it left)."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
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
            reply = server._complete(body)
            if reply.wire_fault in WIRE_FAULTS:
                write_wire_fault(self, reply.wire_fault, json.dumps(reply.payload).encode())
            else:
                self._send(reply.status, reply.payload, reply.headers)

    return Handler
