"""Synthesized values: concrete, plausible values for the parameters a text names but
gives no value for, drawn deterministically (seeded by the document id and the
parameter name) from small built-in tables, and fitted to the text's bounds. A value
fits what the name means: an amount is a round sum, a count a small number, a day a
weekday, a code the number of digits the step says, a payee's name a person's name.
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["seed_of", "synthesize"]

_FIRST = ["Maya", "Jonas", "Priya", "Luis", "Amara", "Chen", "Sofia", "Tomas", "Lena", "Omar"]
_LAST = ["Fischer", "Okafor", "Lindqvist", "Moreno", "Tanaka", "Novak", "Haddad", "Brennan"]
_ADJ = ["Blue", "Quiet", "Amber", "Silver", "North", "Cedar", "Harbor", "Maple", "Coral", "Swift"]
_NOUN = ["Harbor", "Falcon", "Meadow", "River", "Summit", "Lantern", "Orchard", "Comet", "Willow"]
_STREETS = ["Maple Street", "Harbor Road", "Cedar Avenue", "Mill Lane", "Park Terrace"]
_NOTES = [
    "Please handle this before Friday",
    "Thanks for the quick help",
    "Requested by the front office",
    "Needed for the new project",
]


def seed_of(*parts: str) -> int:
    """A stable integer seed of strings (sha256; never Python's randomized hash)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return int(digest[:12], 16)


def _pick(table: list[str], seed: int, shift: int = 0) -> str:
    return table[(seed >> shift) % len(table)]


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_COLOURS = ["blue", "green", "red", "black", "white", "grey", "yellow"]
_SIZES = ["Small", "Medium", "Large"]
_PERSON = ("full", "payee", "recipient", "contact", "customer", "guest", "person", "holder")
_PERSON_NAMES = ("attendee", "guest", "people", "person", "member", "recipient", "invitee")
_MONEY = ("amount", "price", "total", "cost", "fee", "budget", "sum")
_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _shaped(shape: str, seed: int) -> str | None:
    """A value of the look the step says: ``digits:6`` -> six digits."""
    what, _, size = shape.partition(":")
    if not size.isdigit() or not 1 <= int(size) <= 40:
        return None
    n = int(size)
    if what == "digits":
        return "".join(str((seed >> (3 * i)) % 10) for i in range(n)).replace("0", "7", 1)
    return "".join(_ALNUM[(seed >> (5 * i)) % len(_ALNUM)] for i in range(n))


def _string(name: str, seed: int) -> str:
    n = name.lower()
    parts = n.split("_")
    first, last = _pick(_FIRST, seed), _pick(_LAST, seed, 5)
    digits = 1000 + seed % 9000
    if parts[-1] in ("day", "weekday") or n == "days":
        return _pick(_WEEKDAYS, seed)
    if parts[-1] in ("colour", "color"):
        return _pick(_COLOURS, seed)
    if parts[-1] == "size":
        return _pick(_SIZES, seed)
    if parts[-1] in ("guests", "attendees", "invitees", "members", "recipients", "people"):
        return f"{first} {last}, {_pick(_FIRST, seed, 9)} {_pick(_LAST, seed, 13)}"
    if parts[-1] == "names" or (parts[-1] == "name" and set(parts) & set(_PERSON)):
        if parts[-1] == "names" or set(parts) & set(_PERSON_NAMES):
            other = f"{_pick(_FIRST, seed, 9)} {_pick(_LAST, seed, 13)}"
            return f"{first} {last}, {other}" if parts[-1] == "names" else f"{first} {last}"
        return f"{first} {last}"
    if parts[-1] in ("reference", "ref"):
        return "".join(_ALNUM[(seed >> (5 * i)) % len(_ALNUM)] for i in range(6))
    if any(w in parts for w in _MONEY):
        return str(10 * (2 + seed % 30))
    if parts[-1] in ("quantity", "count"):
        return str(1 + seed % 4)
    if "email" in n or "e_mail" in n:
        return f"{first.lower()}.{last.lower()}@example.com"
    if "password" in n or "passphrase" in n or n in ("key", "wifi_key", "network_key"):
        return f"{_pick(_ADJ, seed)}-{_pick(_NOUN, seed, 7)}-{digits}"
    if n in ("pin", "passcode") or n.endswith("_pin"):
        return str(digits)
    if "code" in n and "zip" not in n and "postal" not in n:
        return str(100000 + seed % 900000)
    if "zip" in n or "postal" in n:
        return str(10000 + seed % 90000)
    if "phone" in n or "mobile" in n:
        return f"555-{100 + seed % 900:03d}-{digits}"
    if "username" in n or n in ("user", "login", "user_id", "account"):
        return f"{first.lower()}{last[0].lower()}{seed % 90 + 10}"
    if n in ("first_name", "given_name"):
        return first
    if n in ("last_name", "surname", "family_name"):
        return last
    if n in ("name", "full_name", "your_name", "contact_name", "recipient"):
        return f"{first} {last}"
    if n.endswith("_id") or n == "id" or (n.endswith("_number") and "phone" not in n):
        letters = "".join(w[0] for w in n.split("_")[:-1] if w).upper() or "ID"
        return f"{letters}-{100000 + seed % 900000}"
    if "token" in n or n.endswith("_key") or n == "api_key":
        return f"tok_{seed % 16**10:010x}"
    if "url" in n or "website" in n or "link" in n:
        return f"https://www.example.com/{_pick(_NOUN, seed).lower()}"
    if "address" in n and "ip" not in n and "mac" not in n:
        return f"{10 + seed % 180} {_pick(_STREETS, seed, 3)}"
    if "ip" in n.split("_"):
        return f"192.168.1.{10 + seed % 200}"
    if "birth" in n:
        return f"19{70 + seed % 25}-{1 + seed % 12:02d}-{1 + (seed >> 4) % 28:02d}"
    if "date" in n:
        return f"2026-{1 + seed % 12:02d}-{1 + (seed >> 4) % 28:02d}"
    if "time" in n:
        return f"{8 + seed % 10:02d}:{(seed >> 3) % 4 * 15:02d}"
    if n in ("amount", "price", "total") or n.endswith("_amount"):
        return str(10 + seed % 490)
    if any(
        w in n for w in ("note", "comment", "message", "description", "reason", "bio", "caption")
    ):
        return _pick(_NOTES, seed)
    if "command" in n:
        return "status"
    return f"{_pick(_ADJ, seed)} {_pick(_NOUN, seed, 7)}"


def synthesize(
    name: str,
    kind: str,
    document_id: str,
    bounds: dict[str, int] | None = None,
    shape: str = "",
) -> Any:
    """A value for parameter `name` of `kind` (``string`` or ``integer``) within `bounds`,
    of the `shape` the step says (``digits:6``), by what the name means (an amount is a
    round sum, a day a weekday, a name a person's)."""
    seed = seed_of(document_id, name)
    bounds = bounds or {}
    parts = name.lower().split("_")
    if kind == "integer":
        if "minimum" not in bounds and "maximum" not in bounds:
            if any(w in parts for w in _MONEY):
                return 10 * (2 + seed % 30)  # 20 .. 310, a round sum
            if parts[-1] in ("quantity", "count") or name.startswith("number_of"):
                return 1 + seed % 4
            if parts[-1] == "age":
                return 18 + seed % 50
        lo = bounds.get("minimum", 2)
        hi = bounds.get("maximum", max(lo + 20, 30))
        if any(w in parts for w in _MONEY) and hi - lo >= 20:
            return min(hi, max(lo, 10 * ((lo + seed % max(1, hi - lo + 1)) // 10)))
        return lo + seed % max(1, hi - lo + 1)
    value = (_shaped(shape, seed) if shape else None) or _string(name, seed)
    lo = bounds.get("minLength", 0)
    hi = bounds.get("maxLength", 200)
    pad = f"-{_pick(_NOUN, seed, 11)}"
    while len(value) < lo:
        value += pad
    return value[: max(hi, 1)]
