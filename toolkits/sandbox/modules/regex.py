"""The sandbox's ``re``: Python's regex API on the linear-time engine RE2.

No pattern can backtrack catastrophically: RE2 runs in time linear in the text. The
work of one C call is still the text length times the program size, so a call whose
product is over `WORK_LIMIT` is refused before it runs. Everything C would build is
bounded: ``finditer`` returns a charged iterator, ``findall`` and ``split`` results are
bounded by the container limit and charged per match, and ``sub`` is built here from
the matches and the expanded template, refused as soon as it would pass the string
limit. Patterns RE2 cannot run (backreferences, lookaround) raise ``re.error``.
"""

from __future__ import annotations

import re as _python_re
import threading
from collections import OrderedDict
from typing import Any

import re2

from toolkits.sandbox.modules.core import (
    PLAIN,
    ChargedIterator,
    Rules,
    check_text,
    iterate,
    no_instances,
)
from toolkits.sandbox.modules.regex_match import Match, expand, subject
from toolkits.sandbox.modules.regex_syntax import (
    ASCII,
    FLAG_NAMES,
    MAX_PATTERN,
    UNICODE,
    check_flags,
    engine_error,
    error,
    parse_template,
    translate,
)

WORK_LIMIT = 100_000_000  # text length x program size of one RE2 call (~0.5 s worst case)

CACHED_PATTERNS = 32
_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_LATIN1 = re2.Options()
_LATIN1.log_errors = False
_LATIN1.encoding = re2.Options.Encoding.LATIN1


def _position(value: Any, default: int) -> int:
    if value is None:
        return default
    if type(value) is not int and type(value) is not bool:
        raise TypeError(f"position must be an int, not {type(value).__name__}")
    return int(value)


def _engine(translated: str) -> Any:
    """The compiled RE2 program of a translated pattern, from a small process-wide LRU.

    Each RE2 program may use up to ``max_mem`` (8 MB) for its lazily built DFA, so the
    number kept alive is bounded here (re2's own cache of 128 is emptied after each
    compile, so it holds none of them).
    """
    with _CACHE_LOCK:
        compiled = _CACHE.get(translated)
        if compiled is not None:
            _CACHE.move_to_end(translated)
            return compiled
    compiled = re2.compile(translated, _OPTIONS)
    with _CACHE_LOCK:
        re2.purge()
        _CACHE[translated] = compiled
        while len(_CACHE) > CACHED_PATTERNS:
            _CACHE.popitem(last=False)
    return compiled


def compile_pattern(guards: Any, pattern: Any, flags: Any = 0) -> Pattern:
    """``re.compile``: a sandbox `Pattern` (an already compiled one as it is)."""
    if type(pattern) is Pattern:
        if flags:
            raise ValueError("cannot process flags argument with a compiled pattern")
        return pattern
    check_text(guards, pattern, MAX_PATTERN, "pattern")
    flags = check_flags(flags)
    guards.ctx.charge(len(pattern) >> 4)
    translated = translate(pattern, flags)
    try:
        compiled = _engine(translated)
    except re2.error as exc:
        text = exc.args[0] if exc.args else "invalid pattern"
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        raise engine_error(text, pattern) from None
    return Pattern._make(guards, compiled, pattern, flags)


class Pattern:
    """A compiled pattern (``re.Pattern``); its methods mirror CPython's."""

    __slots__ = ("_g", "_index", "_latin", "_re", "_size", "flags", "groups", "pattern")
    __new__ = no_instances  # type: ignore[assignment]

    @classmethod
    def _make(cls, guards: Any, compiled: Any, pattern: str, flags: int) -> Pattern:
        self = object.__new__(cls)
        self._g, self._re, self.pattern = guards, compiled, pattern
        self.flags = flags if flags & ASCII else flags | UNICODE
        self.groups = compiled.groups
        self._index = compiled.groupindex
        self._size = compiled.programsize
        self._latin = -1
        return self

    @property
    def groupindex(self) -> dict[str, int]:
        """Group name -> group number."""
        return dict(self._index)

    def _work(self, text: str) -> None:
        n = len(text)
        if n * self._size > WORK_LIMIT:
            if self._latin < 0:  # Unicode classes inflate RE2's program, not its work
                try:
                    narrow = translate(self.pattern, self.flags | ASCII).encode()
                    self._latin = re2.compile(narrow, _LATIN1).programsize
                except re2.error:
                    self._latin = self._size
            if n * self._latin > WORK_LIMIT:
                self._g.too_big(
                    f"a regex of {self._latin} instructions on {n} characters exceeds the "
                    f"regex work limit of {WORK_LIMIT}; search a shorter text"
                )
        self._g.ctx.charge(n >> 10)

    def _one(self, fn: Any, string: Any, pos: Any, endpos: Any) -> Match | None:
        string = subject(string)
        self._work(string)
        found = fn(string, _position(pos, 0), _position(endpos, len(string)))
        return None if found is None else Match._make(self, found)

    def search(self, string: Any, pos: Any = 0, endpos: Any = None) -> Match | None:
        """The first match anywhere in `string`, or None."""
        return self._one(self._re.search, string, pos, endpos)

    def match(self, string: Any, pos: Any = 0, endpos: Any = None) -> Match | None:
        """A match at the start of `string`, or None."""
        return self._one(self._re.match, string, pos, endpos)

    def fullmatch(self, string: Any, pos: Any = 0, endpos: Any = None) -> Match | None:
        """A match of the whole `string`, or None."""
        return self._one(self._re.fullmatch, string, pos, endpos)

    def _raw(self, string: Any, pos: Any = 0, endpos: Any = None) -> Any:
        string = subject(string)
        self._work(string)
        matches = self._re.finditer(string, _position(pos, 0), _position(endpos, len(string)))
        return iterate(self._g, matches)

    def finditer(self, string: Any, pos: Any = 0, endpos: Any = None) -> ChargedIterator:
        """An iterator over the matches (each costs a step)."""
        raw = self._raw(string, pos, endpos)
        return ChargedIterator.make(self._g, (Match._make(self, m) for m in raw))

    def findall(self, string: Any, pos: Any = 0, endpos: Any = None) -> list[Any]:
        """Every match: the matched text, the one group, or a tuple of the groups."""
        out: list[Any] = []
        limit, groups, chars = self._g.max_items, self.groups, 0
        for m in self._raw(string, pos, endpos):
            start, end = m.span()
            chars += end - start
            out.append(
                m.group() if not groups else m.groups("")[0] if groups == 1 else m.groups("")
            )
            if len(out) > limit:
                self._g.too_big(f"findall() found more than {limit} matches")
        self._g.ctx.charge((chars * max(groups, 1)) >> 8)
        return out

    def split(self, string: Any, maxsplit: Any = 0) -> list[Any]:
        """`string` split at the matches (with the groups in between, as CPython does)."""
        string = subject(string)
        maxsplit = _position(maxsplit, 0)
        if maxsplit < 0:
            return [string]
        pieces: list[Any] = []
        last, count, limit = 0, 0, self._g.max_items
        for m in self._raw(string):
            if maxsplit and count >= maxsplit:
                break
            start, end = m.span()
            pieces.append(string[last:start])
            pieces.extend(m.group(g) for g in range(1, self.groups + 1))
            last, count = end, count + 1
            if len(pieces) > limit:
                self._g.too_big(f"split() would build more than {limit} pieces")
        pieces.append(string[last:])
        return pieces

    def subn(self, repl: Any, string: Any, count: Any = 0) -> tuple[str, int]:
        """``(new string, number of replacements)``; refused past the string limit."""
        string = subject(string)
        count = _position(count, 0)
        g = self._g
        template = (
            None if callable(repl) else parse_template(subject(repl), self.groups, self._index)
        )
        limit, pieces, total, last, done = g.max_str, [], 0, 0, 0
        for m in self._raw(string):
            if count and done >= count:
                break
            start, end = m.span()
            if template is None:
                new = repl(Match._make(self, m))
                if type(new) is not str:
                    raise TypeError(f"expected str instance, {type(new).__name__} found")
            else:
                new = expand(g, template, m)
            total += start - last + len(new)
            if total > limit:
                g.too_big(f"sub() would build a string over {limit} characters")
            pieces.append(string[last:start])
            pieces.append(new)
            last, done = end, done + 1
        if total + len(string) - last > limit:
            g.too_big(f"sub() would build a string over {limit} characters")
        pieces.append(string[last:])
        g.ctx.charge(len(pieces) >> 4)
        return "".join(pieces), done

    def sub(self, repl: Any, string: Any, count: Any = 0) -> str:
        """`string` with matches replaced by `repl` (a template or a function of the match)."""
        return self.subn(repl, string, count)[0]


def _match_text(guards: Any, m: Match, repr_: bool) -> str:
    whole = m.group(0)
    return f"<re.Match object; span={m.span()!r}, match={repr(whole[:50])[:50]}>"


def _pattern_text(guards: Any, p: Pattern, repr_: bool) -> str:
    names = [f"re.{name}" for bit, (name, _) in FLAG_NAMES.items() if p.flags & bit & ~UNICODE]
    flags = ", " + "|".join(names) if names else ""
    return f"re.compile({repr(p.pattern[:200])[:200]}{flags})"


def _class_text(guards: Any, cls: Any, repr_: bool) -> str:
    return f"<class 're.{cls.__name__}'>"


_MATCH_NAMES = ("group", "groups", "groupdict", "start", "end", "span", "expand", "string")
_MATCH_NAMES += ("re", "pos", "endpos", "lastindex", "lastgroup")
_PATTERN_NAMES = ("search", "match", "fullmatch", "findall", "finditer", "sub", "subn")
_PATTERN_NAMES += ("split", "pattern", "flags", "groups", "groupindex")

INSTANCE_RULES: dict[type, Rules] = {
    Match: Rules(
        "re.Match",
        dict.fromkeys(_MATCH_NAMES, PLAIN),
        text=_match_text,
        hint="use m.group() or m.groups()",
        exposed=True,
        counterpart=_python_re.Match,
    ),
    Pattern: Rules(
        "re.Pattern",
        dict.fromkeys(_PATTERN_NAMES, PLAIN),
        text=_pattern_text,
        hint="use p.pattern",
        exposed=True,
        counterpart=_python_re.Pattern,
    ),
    error: Rules(
        "re.error",
        dict.fromkeys(("msg", "pattern", "pos"), PLAIN),
        exposed=True,
        counterpart=_python_re.error("x"),
    ),
}
CLASS_RULES: dict[type, Rules] = {
    Match: Rules("re.Match", {}, text=_class_text, counterpart=_python_re.Match),
    Pattern: Rules("re.Pattern", {}, text=_class_text, counterpart=_python_re.Pattern),
    error: Rules("re.error", {}, text=_class_text, counterpart=_python_re.error),
}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``re`` facade, bound to `guards`."""

    def compile(pattern: Any, flags: Any = 0) -> Pattern:
        return compile_pattern(guards, pattern, flags)

    def search(pattern: Any, string: Any, flags: Any = 0) -> Match | None:
        return compile_pattern(guards, pattern, flags).search(string)

    def match(pattern: Any, string: Any, flags: Any = 0) -> Match | None:
        return compile_pattern(guards, pattern, flags).match(string)

    def fullmatch(pattern: Any, string: Any, flags: Any = 0) -> Match | None:
        return compile_pattern(guards, pattern, flags).fullmatch(string)

    def findall(pattern: Any, string: Any, flags: Any = 0) -> list[Any]:
        return compile_pattern(guards, pattern, flags).findall(string)

    def finditer(pattern: Any, string: Any, flags: Any = 0) -> ChargedIterator:
        return compile_pattern(guards, pattern, flags).finditer(string)

    def sub(pattern: Any, repl: Any, string: Any, count: Any = 0, flags: Any = 0) -> str:
        return compile_pattern(guards, pattern, flags).sub(repl, string, count)

    def subn(pattern: Any, repl: Any, string: Any, count: Any = 0, flags: Any = 0) -> tuple:
        return compile_pattern(guards, pattern, flags).subn(repl, string, count)

    def split(pattern: Any, string: Any, maxsplit: Any = 0, flags: Any = 0) -> list[Any]:
        return compile_pattern(guards, pattern, flags).split(string, maxsplit)

    def escape(pattern: Any) -> str:
        return guards.check_size(_python_re.escape(subject(pattern)))

    def purge() -> None:
        """Nothing to clear: compiled patterns are cached by the engine."""

    names: dict[str, Any] = {
        "compile": compile,
        "search": search,
        "match": match,
        "fullmatch": fullmatch,
        "findall": findall,
        "finditer": finditer,
        "sub": sub,
        "subn": subn,
        "split": split,
        "escape": escape,
        "purge": purge,
        "error": error,
        "Pattern": Pattern,
        "Match": Match,
        "NOFLAG": 0,
    }
    for bit, (name, short) in FLAG_NAMES.items():
        names[name] = names[short] = bit
    return names
