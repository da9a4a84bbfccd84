"""Faults the stand-in server can inject into successive completions (retry and
robustness tests of the backends).

A fault kind is one of `FAULT_KINDS`:

- HTTP errors: ``"429"`` (with a ``Retry-After`` header), ``"500"``, and
  ``"reject_response_format"`` (a 400 saying response_format is not supported, sent only
  when the request carries a response_format; others are answered normally).
- The wire: ``"timeout"`` (the answer comes later than the client waits), ``"reset"``
  (the connection is closed without a response), ``"truncated"`` (a 200 whose JSON body
  is cut in the middle), ``"non_json"`` (a 200 with an HTML body).
- Answers a caller must handle: ``"empty_choices"`` (``"choices": []``), ``"no_content"``
  (content null, no tool calls) and ``"schema_ignored"`` (text that is not JSON,
  whatever was asked).

`Faults` says which completion gets which fault: one kind for every completion, a
sequence (the n-th completion gets the n-th entry; None or past the end: no fault), or
a function from the completion's number (1-based) to a kind or None.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

__all__ = [
    "FAULT_KINDS",
    "WIRE_FAULTS",
    "Faults",
    "answer_fault",
    "check_faults",
    "fault_for",
    "http_fault",
    "write_wire_fault",
]

FAULT_KINDS = frozenset(
    {
        "429",
        "500",
        "timeout",
        "reset",
        "truncated",
        "non_json",
        "empty_choices",
        "no_content",
        "schema_ignored",
        "reject_response_format",
    }
)
WIRE_FAULTS = frozenset({"reset", "truncated", "non_json"})
NOT_JSON_TEXT = "Sure! The text describes a procedure; here is a summary of it."

Faults = str | Sequence[str | None] | Callable[[int], str | None] | None


def check_faults(faults: Faults) -> Faults:
    """`faults` itself, after checking every kind it names now (a function is checked
    per request).

    Raises:
        ValueError: an unknown kind, naming the known ones.
    """
    kinds = [faults] if isinstance(faults, str) else [] if callable(faults) else faults or []
    for kind in kinds:
        _check_kind(kind)
    return faults


def fault_for(faults: Faults, number: int) -> str | None:
    """The fault of completion `number` (1-based), or None."""
    if faults is None:
        return None
    if isinstance(faults, str):
        kind: str | None = faults
    elif callable(faults):
        kind = faults(number)
    else:
        kind = faults[number - 1] if number <= len(faults) else None
    return _check_kind(kind)


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in FAULT_KINDS:
        raise ValueError(
            f"unknown stand-in fault {kind!r}; known: {', '.join(sorted(FAULT_KINDS))}"
        )
    return kind


def http_fault(
    kind: str | None, body: dict[str, Any], retry_after: float
) -> tuple[int, dict[str, Any], dict[str, str]] | None:
    """``(status, error payload, headers)`` when `kind` answers with an HTTP error."""
    if kind == "429":
        headers = {"Retry-After": f"{retry_after:g}"}
        return 429, _error("stand-in fault: rate limited", 429), headers
    if kind == "500":
        return 500, _error("stand-in fault: internal error", 500), {}
    if kind == "reject_response_format" and "response_format" in body:
        message = (
            "response_format is not supported by this server: unsupported parameter "
            "'response_format' (json_schema)"
        )
        return 400, _error(message, 400), {}
    return None


def answer_fault(kind: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    """The completion `payload` as `kind` spoils it (unchanged for other kinds)."""
    if kind == "empty_choices":
        return {**payload, "choices": []}
    if kind in ("no_content", "schema_ignored"):
        content = None if kind == "no_content" else NOT_JSON_TEXT
        choice = {"index": 0, "message": {"role": "assistant", "content": content}}
        return {**payload, "choices": [{**choice, "finish_reason": "stop"}]}
    return payload


def write_wire_fault(handler: BaseHTTPRequestHandler, kind: str, data: bytes) -> None:
    """Answer (or not) on `handler`'s connection as wire fault `kind` says; `data` is the
    JSON body a healthy answer would have sent. The connection is closed afterwards."""
    handler.close_connection = True
    if kind == "reset":  # linger 0: close() sends a TCP reset, no response at all
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        return
    if kind == "non_json":
        data, content_type = _HTML, "text/html; charset=utf-8"
        length = len(data)
    else:  # truncated: the announced length, half the bytes
        content_type, length = "application/json", len(data)
        data = data[: len(data) // 2]
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.write(data)
    handler.wfile.flush()


_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def _error(message: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}
