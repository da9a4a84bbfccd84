"""`IdIndex`: a set of document ids in about 16 bytes per id (the ids a reader has seen,
the documents the ledger has committed): a run over many millions of documents must
not keep every id as a Python string."""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["IdIndex"]

_RECENT_IDS = 4096


class IdIndex:
    """The first line of every document id seen, in about 16 bytes per id.

    Memory grows with the ids, so it is kept small: an id is keyed by its 8-byte BLAKE2b
    digest (a false duplicate needs a 64-bit collision, about 1 in 3,700 for 100 million
    ids); recent keys sit in a dict and move into sorted numpy arrays once they are an
    eighth of those (at least `_RECENT_IDS`), so a merge copies little and rarely.
    """

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._keys = np.empty(0, np.int64)
        self._lines = np.empty(0, np.int64)

    def first(self, document_id: str, line: int) -> int:
        """The line `document_id` was first seen at (`line` when it is new)."""
        key = _key(document_id)
        found = self._find(key)
        if found is not None:
            return found
        self._recent[key] = line
        if len(self._recent) >= max(_RECENT_IDS, len(self._keys) >> 3):
            keys = sorted(self._recent)
            new_keys = np.array(keys, np.int64)
            at = self._keys.searchsorted(new_keys)
            self._keys = np.insert(self._keys, at, new_keys)
            self._lines = np.insert(self._lines, at, np.array([self._recent[k] for k in keys]))
            self._recent = {}
        return line

    def add(self, document_id: str) -> None:
        """Remember `document_id` (used as a set)."""
        self.first(document_id, 0)

    def __contains__(self, document_id: object) -> bool:
        return isinstance(document_id, str) and self._find(_key(document_id)) is not None

    def __len__(self) -> int:
        return len(self._recent) + len(self._keys)

    def _find(self, key: int) -> int | None:
        first = self._recent.get(key)
        if first is not None:
            return first
        i = int(self._keys.searchsorted(key))
        if i < len(self._keys) and self._keys[i] == key:
            return int(self._lines[i])
        return None


def _key(document_id: str) -> int:
    data = document_id.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)
