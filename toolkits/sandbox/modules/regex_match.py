"""The sandbox's ``re.Match`` and template expansion (`regex` makes the matches).

A `Match` wraps one match of the RE2 engine and mirrors CPython's API (groups by number
or name, spans, ``expand``); tool code cannot build one. Expanded templates are bounded
by the string limit as they are built.
"""

from __future__ import annotations

from typing import Any

from toolkits.sandbox.modules.core import no_instances
from toolkits.sandbox.modules.regex_syntax import parse_template


def subject(value: Any) -> str:
    """`value` when it is a str (the text to search or a template), else TypeError."""
    if type(value) is not str:
        raise TypeError(f"expected string, got '{type(value).__name__}'")
    return value


def expand(guards: Any, template: list[Any], m: Any) -> str:
    """A parsed template filled with the groups of the re2 match `m`, bounded."""
    if len(template) == 1 and type(template[0]) is str:
        return template[0]
    out, total, limit = [], 0, guards.max_str
    for part in template:
        text = part if type(part) is str else (m[part] or "")
        total += len(text)
        if total > limit:
            guards.too_big(f"expanded template exceeds {limit} characters")
        out.append(text)
    return "".join(out)


class Match:
    """One match (``re.Match``); its methods mirror CPython's."""

    __slots__ = ("_m", "_p")
    __new__ = no_instances  # type: ignore[assignment]

    @classmethod
    def _make(cls, pattern: Any, found: Any) -> Match:
        self = object.__new__(cls)
        self._p, self._m = pattern, found
        return self

    def _group(self, group: Any) -> int:
        if type(group) is str:
            if group not in self._p._index:
                raise IndexError("no such group")
            return self._p._index[group]
        if type(group) is not int or not 0 <= group <= self._p.groups:
            raise IndexError("no such group")
        return group

    def group(self, *groups: Any) -> Any:
        """The text of one group (default 0, the whole match) or a tuple of several."""
        if len(groups) <= 1:
            return self._m[self._group(groups[0] if groups else 0)]
        return tuple(self._m[self._group(g)] for g in groups)

    def __getitem__(self, group: Any) -> Any:
        return self._m[self._group(group)]

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        """The text of every group (`default` for groups that did not take part)."""
        return self._m.groups(default)

    def groupdict(self, default: Any = None) -> dict[str, Any]:
        """Named groups -> their text."""
        return self._m.groupdict(default)

    def start(self, group: Any = 0) -> int:
        """Where a group starts (-1 when it did not take part)."""
        return self._m.start(self._group(group))

    def end(self, group: Any = 0) -> int:
        """Where a group ends (-1 when it did not take part)."""
        return self._m.end(self._group(group))

    def span(self, group: Any = 0) -> tuple[int, int]:
        """``(start, end)`` of a group."""
        return tuple(self._m.span(self._group(group)))  # type: ignore[return-value]

    def expand(self, template: Any) -> str:
        """`template` with group references filled in (as ``sub`` does)."""
        parts = parse_template(subject(template), self._p.groups, self._p._index)
        return expand(self._p._g, parts, self._m)

    @property
    def string(self) -> str:
        """The text searched."""
        return self._m.string

    @property
    def re(self) -> Any:
        """The pattern that matched."""
        return self._p

    @property
    def pos(self) -> int:
        """Where the search started."""
        return self._m.pos

    @property
    def endpos(self) -> int:
        """Where the search ended."""
        return self._m.endpos

    @property
    def lastindex(self) -> int | None:
        """The number of the last group that matched."""
        return self._m.lastindex

    @property
    def lastgroup(self) -> str | None:
        """The name of the last group that matched."""
        return self._m.lastgroup
