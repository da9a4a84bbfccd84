"""The pool of compiled toolkits the verifiers lease from: `toolkits.pool`, shared with
the env's rewards (one compile per distinct toolkit for both)."""

from __future__ import annotations

from toolkits.pool import DEFAULT_POOL, Key, ToolkitPool
from toolkits.trust import Isolation

__all__ = ["DEFAULT_POOL", "Isolation", "Key", "ToolkitPool"]
