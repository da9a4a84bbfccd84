"""The content-addressed cache of model calls (SQLite), and the backend that uses it.

A call's key is the SHA-256 of the canonical JSON of what decides its answer: the
backend's signature (kind, model), the messages, the tools, the response format and
the sampling parameters (temperature, seed, max tokens). A resumed or repeated run
therefore pays for no call twice. `CachedBackend` wraps any `LLMBackend`; hits and
misses are counted (``stats.json`` reports them). Only answers are cached, never
errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from synth.backends.base import LLMBackend

__all__ = ["CachedBackend", "ModelCallCache", "call_key"]


def call_key(signature: dict[str, Any], request: dict[str, Any]) -> str:
    """The cache key of one call."""
    text = json.dumps(
        {"backend": signature, **request}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ModelCallCache:
    """A SQLite table ``calls(key, answer)``; thread-safe, WAL mode, one connection."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30.0
        )  # other processes (Ray workers) may hold the write lock for a while
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, answer TEXT)")
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached answer of `key`, or None."""
        with self._lock:
            row = self._db.execute("SELECT answer FROM calls WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(row[0])

    def put(self, key: str, answer: dict[str, Any]) -> None:
        """Store an answer (the first one wins)."""
        text = json.dumps(answer, ensure_ascii=False)
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO calls (key, answer) VALUES (?, ?)", (key, text))

    def close(self) -> None:
        """Close the database; idempotent."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None  # type: ignore[assignment]


class CachedBackend(LLMBackend):
    """`backend` with its answers cached in `cache` (same `complete` contract)."""

    def __init__(self, backend: LLMBackend, cache: ModelCallCache):
        self.backend = backend
        self.cache = cache
        self.kind = backend.kind  # type: ignore[misc]
        self.name = backend.name
        self.usage = backend.usage
        self.calls = 0  # calls asked for (hits + misses)

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
        """The cached answer, or the backend's (then cached)."""
        request = {
            "messages": messages,
            "tools": tools,
            "temperature": temperature,
            "seed": seed,
            "max_tokens": max_tokens,
            "response_format": response_format,
            "stage": stage,
        }
        key = call_key(self.backend.signature(), request)
        self.calls += 1
        cached = await asyncio.to_thread(self.cache.get, key)
        if cached is not None:
            return cached
        answer = await self.backend.complete(
            messages,
            tools=tools,
            temperature=temperature,
            seed=seed,
            max_tokens=max_tokens,
            response_format=response_format,
            stage=stage,
        )
        await asyncio.to_thread(self.cache.put, key, answer)
        return answer

    async def check(self) -> None:
        """The wrapped backend's check."""
        await self.backend.check()

    async def aclose(self) -> None:
        """Close the wrapped backend (the cache is closed by its owner)."""
        await self.backend.aclose()

    def signature(self) -> dict[str, Any]:
        """The wrapped backend's signature."""
        return self.backend.signature()
