"""Small text helpers shared by the heuristic participants and the fidelity guard.

Words, crude stems, sentences, id-like tokens and how a fact key is said aloud. All
deterministic and dependency-free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

STOP_MARKER = "###STOP###"

_WORD = re.compile(r"[A-Za-z]+|[0-9]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# A string that is "id-like" for grounding (DESIGN.md section 4): it holds a digit or an @.
_ID_LIKE = re.compile(r"[0-9@]")
_ID_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*[A-Za-z0-9]")

_STOPWORDS_TEXT = """
a an and are as at be been but by can could do does for from get got had has have
i i'm if in into is it its just me my need no not of on or our please so than that the
their them then there these they this to too up us was we were what when which who will
with would you your id ids number info information"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def words(text: str) -> list[str]:
    """Lower-case words and digit runs of `text` ("SLT-0202" -> ["slt", "0202"])."""
    return [w.lower() for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A crude stem: the first five letters of a word (returned/return -> "retur")."""
    return word[:5] if word.isalpha() else word


def stems(text: str) -> set[str]:
    """Stems of the meaningful words of `text` (stopwords left out)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS}


def sentences(text: str) -> list[str]:
    """Split text into sentences (on . ! ? followed by space, and on newlines)."""
    return [s.strip() for s in _SENTENCE.split(text or "") if s.strip()]


def humanize(key: str) -> str:
    """How a snake_case key is said aloud: ``date_of_birth`` -> ``date of birth``."""
    return re.sub(r"[_\s]+", " ", key).strip().lower()


def key_tokens(key: str) -> set[str]:
    """The meaningful words of a key (``order_id`` -> {"order"}; ``badge_last_4`` ->
    {"badge", "last"})."""
    return {w for w in words(humanize(key)) if w not in STOPWORDS and not w.isdigit()}


def is_id_like(value: Any) -> bool:
    """Whether grounding checks this value: a string holding a digit or an @, or a number
    other than 0 and 1 (booleans are not numbers here)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value not in (0, 1)
    return isinstance(value, str) and bool(_ID_LIKE.search(value))


def id_tokens(text: str) -> list[str]:
    """Id-like tokens of a text (with a digit or @), e.g. ``ORD-1001``, ``a@b.com``."""
    out = []
    for m in _ID_TOKEN.finditer(text or ""):
        token = m.group(0).rstrip(".")
        if _ID_LIKE.search(token) and token not in out:
            out.append(token)
    return out


def appears(value: str, text: str) -> bool:
    """Whether `value` occurs in `text` verbatim and word-bounded."""
    if not value:
        return False
    pattern = r"(?<![A-Za-z0-9_])" + re.escape(value) + r"(?![A-Za-z0-9_])"
    return re.search(pattern, text) is not None


def say(value: Any) -> str:
    """A fact value as the user would say it (dicts as ``key: value`` pairs)."""
    if isinstance(value, dict):
        return ", ".join(f"{humanize(str(k))}: {say(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(say(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def join_words(items: Iterable[str]) -> str:
    """``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def normalize_choice(text: Any) -> str:
    """Normalize a value for comparison with enum members (``"wrong size"`` ->
    ``"wrong_size"``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
