"""Canonical JSON and state hashes (DESIGN.md section 3)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# one encoder for every call: json.dumps with options builds a new one each time (a few
# microseconds on every tool result); an encoder keeps no state between encodes
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of `value`: sorted keys, no spaces, UTF-8 kept.

    Raises `ValueError`/`TypeError` when `value` is not JSON (NaN, a set, a cycle).
    """
    return _CANONICAL.encode(value)


def state_hash(state: Any) -> str:
    """Return ``"sha256:" + sha256(canonical JSON of state)``."""
    digest = hashlib.sha256(canonical_json(state).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def json_copy(value: Any) -> Any:
    """Deep-copy a JSON value through its text form (rejects anything that is not JSON)."""
    return json.loads(json.dumps(value, allow_nan=False))
