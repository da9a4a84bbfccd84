"""Small text helpers shared by the heuristic participants and the fidelity guard.

Words, crude stems, sentences, id-like tokens and how a fact key is said aloud; and
the concepts a question asks for (compounds and synonyms of a small curated table, keys
split from snake_case and camelCase), used by the heuristic user. All deterministic and
dependency-free.
"""

from __future__ import annotations

import functools
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


# -- what a question asks for, in other words (used by the heuristic user) ---------------

# Compounds said as one thing, rewritten before the words are split (lower-case text).
_PHRASES = [
    (r"\be-?mails?(?: address(?:es)?)?\b", "email"),
    (r"\border (?:numbers?|no\b\.?|ids?|#)", "order"),
    (r"\b(?:(?:tele)?phone|mobile|cell(?:ular)?|cell ?phone|contact|callback) numbers?\b", "phone"),
    (r"\b(?:credit|debit|payment|bank) cards?(?: numbers?)?\b|\bcard numbers?\b", "card"),
    (r"\b(?:full|complete|legal) name\b", "name"),
    (r"\b(?:surname|family name)\b", "last name"),
    (r"\b(?:given name|forename|christian name)\b", "first name"),
    (r"\b(?:date of birth|birth ?date|birthday|dob|born)\b", "birth date"),
    (r"\b(?:zip|post|postal) ?codes?\b|\bzip\b", "postal code"),
    (r"\b(?:user ?name|login(?: name)?|user id)\b", "username"),
    (r"\b(?:pass ?word|passcode|pass phrase|passphrase)\b", "password"),
    (r"\b(?:street|mailing|shipping|home|postal) address(?:es)?\b|\bstreet\b", "address"),
    (r"\btime of (?:the )?day\b", "time"),
]
_PHRASE_RES = [(re.compile(p), r) for p, r in _PHRASES]
# Single words that mean one of the curated concepts (checked before stopwords drop).
SYNONYMS = {
    "mail": "email",
    "telephone": "phone",
    "mobile": "phone",
    "cell": "phone",
    "cellphone": "phone",
    "when": "date",
    "day": "date",
    "days": "date",
    "why": "reason",
    "addr": "address",
    "who": "name",
    "whom": "name",
    "purchase": "order",
    "login": "username",
    "passcode": "password",
}
# The curated concepts that are things a user is asked for (heads of a key's words).
CONCEPT_NOUNS = frozenset(
    [
        "email",
        "phone",
        "name",
        "date",
        "address",
        "card",
        "order",
        "reason",
        "password",
        "username",
        "time",
    ]
)
# Words a key may carry that a question need not repeat (``customer_email`` ~ email).
_KEY_FILLERS = frozenset(
    ["customer", "client", "account", "contact", "current", "primary", "my", "full"]
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_REACH = frozenset(["reach", "call", "text", "contact"])


@functools.lru_cache(maxsize=4096)
def key_words(key: str) -> str:
    """A key said aloud, snake_case and camelCase split: ``orderId`` -> ``order id``."""
    return humanize(_CAMEL.sub(" ", key))


def concept_words(text: str) -> list[str]:
    """The meaningful words of `text` with compounds and synonyms mapped to one curated
    concept (``e-mail address`` -> ``email``, ``When were you born?`` -> ``date``,
    ``birth``, ``date``), stopwords left out, in order."""
    lowered = (text or "").lower()
    for pattern, repl in _PHRASE_RES:
        lowered = pattern.sub(repl, lowered)
    raw = words(lowered)
    out = [SYNONYMS.get(w, w) for w in raw]
    if "number" in raw and _REACH.intersection(raw):  # "a number to reach you"
        out.append("phone")
    return [w for w in out if w not in STOPWORDS]


def concepts(text: str) -> set[str]:
    """Stems of `concept_words(text)`: compare what a question asks with a key."""
    return {stem(w) for w in concept_words(text)}


@functools.lru_cache(maxsize=4096)
def key_concepts(key: str) -> frozenset[str]:
    """Stems of a key's concepts (`concept_words` of `key_words`), without digits and
    without words a question need not repeat (``customer_email`` -> {"email"}); all of
    them when they are all such words (``account_number`` -> {"accou"})."""
    found = [w for w in concept_words(key_words(key)) if not w.isdigit()]
    kept = [w for w in found if w not in _KEY_FILLERS] or found
    return frozenset(stem(w) for w in kept)


@functools.lru_cache(maxsize=4096)
def key_head(key: str) -> str | None:
    """The curated concept a key is about, when its last concept is one
    (``return_address`` -> ``address``, ``date_of_birth`` -> ``date``), else None."""
    found = [w for w in concept_words(key_words(key)) if not w.isdigit()]
    return found[-1] if found and found[-1] in CONCEPT_NOUNS else None
