"""Python regular-expression syntax on RE2: pattern translation, flags, templates, errors.

RE2 runs in time linear in the text (no backtracking, so no pattern can hang a call),
at the price of backreferences and lookaround. This module turns a Python pattern and
flags into RE2 syntax with Python's meaning where RE2 differs: ``\\d``, ``\\w`` and
``\\s`` are Unicode classes (RE2's are ASCII), ``\\Z`` is ``\\z``, ``\\uXXXX`` and
``\\N{NAME}`` are code points, ``re.VERBOSE`` whitespace and comments are dropped. It
also parses ``sub``/``expand`` templates exactly as CPython does.

Known differences from CPython that remain: ``\\b`` is an ASCII word boundary, ``$``
without ``re.MULTILINE`` matches only at the very end (not before a final newline),
and an empty match right after an empty match is skipped (``findall('a?|b', 'b')``).
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

IGNORECASE, MULTILINE, DOTALL, UNICODE, VERBOSE, ASCII = 2, 8, 16, 32, 64, 256
#: flag -> (name, short name)
FLAG_NAMES = {
    IGNORECASE: ("IGNORECASE", "I"),
    MULTILINE: ("MULTILINE", "M"),
    DOTALL: ("DOTALL", "S"),
    UNICODE: ("UNICODE", "U"),
    VERBOSE: ("VERBOSE", "X"),
    ASCII: ("ASCII", "A"),
}
_KNOWN_FLAGS = IGNORECASE | MULTILINE | DOTALL | UNICODE | VERBOSE | ASCII
MAX_PATTERN = 5_000
_ENGINE = (
    "the sandbox's regex engine (RE2) runs in linear time and has no backreferences "
    "(\\1, (?P=name)) and no lookahead or lookbehind ((?=...), (?!...), (?<=...), (?<!...))"
)

_SPACE = "\\t\\n\\x0b\\f\\r\\x1c-\\x1f \\x85\\xa0\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"  # noqa: E501
#: Python's Unicode meaning of an escape: (outside a class, inside a class or None)
_UNICODE = {
    "d": ("\\p{Nd}", "\\p{Nd}"),
    "D": ("\\P{Nd}", "\\P{Nd}"),
    "w": ("[\\p{L}\\p{N}_]", "\\p{L}\\p{N}_"),
    "W": ("[^\\p{L}\\p{N}_]", None),
    "s": (f"[{_SPACE}]", _SPACE),
    "S": (f"[^{_SPACE}]", None),
}
_ASCII = {
    "s": ("[\\t\\n\\x0b\\f\\r ]", "\\t\\n\\x0b\\f\\r "),
    "S": ("[^\\t\\n\\x0b\\f\\r ]", None),
}
_TEMPLATE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TEMPLATE_ESCAPES["\\"] = "\\"
_OCT = "01234567"
_DIGITS = "0123456789"


class error(Exception):  # noqa: N801, N818 - the name Python's re gives it
    """A pattern or template the sandbox's ``re`` cannot use (``re.error`` in tool code)."""

    def __init__(self, msg: str, pattern: str | None = None, pos: int | None = None):
        super().__init__(msg)
        self.msg = msg
        self.pattern = pattern
        self.pos = pos


error.__module__ = "re"


def engine_error(message: str, pattern: str) -> error:
    """`error` for a pattern RE2 refused, saying what the engine cannot do."""
    shown = pattern if len(pattern) <= 100 else pattern[:100] + "..."
    return error(f"{message} in pattern {shown!r}; {_ENGINE}", pattern)


def check_flags(flags: Any) -> int:
    """`flags` as an int of known bits (``re.I | re.M``), else an error."""
    if type(flags) is not int and type(flags) is not bool:
        raise TypeError(f"flags must be an int, not {type(flags).__name__}")
    if flags & ~_KNOWN_FLAGS:
        raise ValueError("only the flags I, M, S, X, A and U are available")
    return int(flags)


@functools.lru_cache(maxsize=512)
def translate(pattern: str, flags: int) -> str:
    """The RE2 pattern meaning what `pattern` means to Python's ``re`` with `flags`."""
    out: list[str] = []
    i, n = 0, len(pattern)
    if pattern.startswith("(?"):
        end = pattern.find(")")
        letters = pattern[2:end] if end > 2 else ""
        if letters and all(c in "aiLmsux" for c in letters):
            if "L" in letters:
                raise error("the LOCALE flag is not available", pattern)
            flags |= (VERBOSE if "x" in letters else 0) | (ASCII if "a" in letters else 0)
            flags |= (IGNORECASE if "i" in letters else 0) | (MULTILINE if "m" in letters else 0)
            flags |= DOTALL if "s" in letters else 0
            i = end + 1
    inline = "".join(
        c for bit, c in ((IGNORECASE, "i"), (MULTILINE, "m"), (DOTALL, "s")) if flags & bit
    )
    if inline:
        out.append(f"(?{inline})")
    verbose, classes = bool(flags & VERBOSE), (_ASCII if flags & ASCII else _UNICODE)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i = _escape(pattern, i, in_class, classes, out)
        elif in_class:
            if c == "]":
                in_class = False
            elif c == "[" and pattern.startswith("[:", i):
                c = "\\["  # RE2 reads [:alpha:] as a POSIX class; Python reads a literal [
            out.append(c)
            i += 1
        elif c == "[":
            in_class = True
            i += 1
            out.append("[")
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("\\]")  # a ] right after [ or [^ is a literal
                i += 1
        elif verbose and c in " \t\n\r\f\v":
            i += 1
        elif verbose and c == "#":
            end = pattern.find("\n", i)
            i = n if end == -1 else end + 1
        elif c == "(" and pattern.startswith("(?#", i):
            end = pattern.find(")", i)
            if end == -1:
                raise error("missing ), unterminated comment", pattern, i)
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _escape(pattern: str, i: int, in_class: bool, classes: dict, out: list[str]) -> int:
    """Translate the escape at `pattern[i]` (a backslash) into `out`; the next index."""
    if i + 1 >= len(pattern):
        raise error("bad escape (end of pattern)", pattern, i)
    e = pattern[i + 1]
    if e in classes:
        outside, inside = classes[e]
        out.append(outside if not in_class else (inside or "\\" + e))
        return i + 2
    if e == "Z" and not in_class:
        out.append("\\z")
        return i + 2
    if e in "uU":
        size = 4 if e == "u" else 8
        digits = pattern[i + 2 : i + 2 + size]
        if len(digits) != size or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise error(f"incomplete escape \\{e}{digits}", pattern, i)
        out.append(f"\\x{{{digits}}}")
        return i + 2 + size
    if e == "N" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i)
        try:
            char = unicodedata.lookup(pattern[i + 3 : end]) if end != -1 else ""
        except KeyError:
            char = ""
        if not char:
            raise error("bad character name in \\N{...}", pattern, i)
        out.append(f"\\x{{{ord(char):x}}}")
        return end + 1
    out.append(pattern[i : i + 2])
    return i + 2


def parse_template(template: str, groups: int, groupindex: dict[str, int]) -> list[Any]:
    """A ``sub`` template as a list of literal strings and group numbers (CPython's rules)."""
    if "\\" not in template:
        return [template]
    parts: list[Any] = []
    literal: list[str] = []

    def group(index: int) -> None:
        if index > groups:
            raise error(f"invalid group reference {index}", template)
        if literal:
            parts.append("".join(literal))
            literal.clear()
        parts.append(index)

    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c != "\\":
            literal.append(c)
            i += 1
            continue
        if i + 1 >= n:
            raise error("bad escape (end of pattern)", template, i)
        c = template[i + 1]
        i += 2
        if c == "g":
            if not template.startswith("<", i):
                raise error("missing <", template, i)
            end = template.find(">", i)
            if end == -1:
                raise error("missing >, unterminated name", template, i)
            name, i = template[i + 1 : end], end + 1
            if name.isidentifier():
                if name not in groupindex:
                    raise IndexError(f"unknown group name {name!r}")
                group(groupindex[name])
            elif name.isascii() and name.isdecimal():
                group(int(name))
            else:
                raise error(f"bad character in group name {name!r}", template, i)
        elif c == "0":
            digits = c
            while i < n and len(digits) < 3 and template[i] in _OCT:
                digits += template[i]
                i += 1
            literal.append(chr(int(digits, 8) & 0xFF))
        elif c in _DIGITS:
            digits = c
            if i < n and template[i] in _DIGITS:
                digits += template[i]
                i += 1
                if c in _OCT and digits[1] in _OCT and i < n and template[i] in _OCT:
                    value = int(digits + template[i], 8)
                    i += 1
                    if value > 0o377:
                        raise error(f"octal escape value \\{value:o} outside of range 0-0o377")
                    literal.append(chr(value))
                    continue
            group(int(digits))
        elif c in _TEMPLATE_ESCAPES:
            literal.append(_TEMPLATE_ESCAPES[c])
        elif c.isascii() and c.isalpha():
            raise error(f"bad escape \\{c}", template, i - 2)
        else:
            literal.append("\\" + c)
    if literal:
        parts.append("".join(literal))
    return parts
