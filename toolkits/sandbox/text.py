"""Text guards: f-string parts, `str()`/`repr()` and %-formatting, bounded and deterministic.

Python's own `str()` of a container can be exponentially long (a value shared many
times) and prints memory addresses for functions; these guards print JSON-like
values exactly as Python does, everything else as ``<type>``, within the string limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolkits.sandbox import modules
from toolkits.sandbox.classes import CPYTHON_NAMES
from toolkits.sandbox.oset import OrderedSet
from toolkits.sandbox.sizes import SizeGuards

_SCALARS = (str, int, float, bool, type(None))


class TextGuards(SizeGuards):
    """Bounded text building."""

    classes: Any  # the toolkit's `Classes` (set by `Guards`): how stand-ins print

    def mod(self, a: Any, b: Any) -> Any:
        """`a % b`; %-formatting is size-estimated first and prints only plain values."""
        if type(a) is not str:
            return a % b
        if type(b) is tuple:
            b = tuple(x if type(x) in _SCALARS else self.safe_str(x) for x in b)
        elif type(b) is dict:
            b = {k: (v if type(v) in _SCALARS else self.safe_str(v)) for k, v in b.items()}
        elif type(b) not in _SCALARS:
            b = self.safe_str(b)
        self._percent_estimate(a, b)
        return self.check_size(a % b)

    def _percent_estimate(self, fmt: str, b: Any) -> None:
        """Fail when `fmt % b` would exceed the string limit (one linear scan)."""
        args = b if type(b) is tuple else (b,)
        n, pos, total = len(fmt), 0, len(fmt)
        i = fmt.find("%")
        while i != -1:
            j, key = i + 1, None
            if j < n and fmt[j] == "(":
                end = fmt.find(")", j)
                if end == -1:
                    return  # an invalid format: Python raises ValueError
                key, j = fmt[j + 1 : end], end + 1
            while j < n and fmt[j] in "-+ #0":
                j += 1
            numbers = []
            for _part in range(2):
                start = j
                while j < n and fmt[j].isdigit():
                    j += 1
                if (j < n and fmt[j] == "*") or j - start > 5:
                    self.too_big("%-format width or precision too large")
                numbers.append(int(fmt[start:j]) if j > start else 0)
                if j < n and fmt[j] == ".":
                    j += 1
                else:
                    break
            if j < n and fmt[j] != "%":
                if key is not None and type(b) is dict:
                    arg = b.get(key, "")
                else:
                    arg = args[pos] if pos < len(args) else ""
                    pos += 1
                size = (
                    len(arg)
                    if type(arg) is str
                    else 24 + (arg.bit_length() // 3 if type(arg) is int else 0)
                )
                total += max(numbers[0], size + (numbers[1] if len(numbers) > 1 else 0))
                if total > self.max_str:
                    self.too_big(f"%-formatted string would exceed {self.max_str} characters")
            i = fmt.find("%", j + 1)

    # -- text --------------------------------------------------------------------------

    def fmt(self, value: Any, conversion: int = -1) -> Any:
        """An f-string part: scalars pass; anything else becomes its bounded `str`.

        `conversion` is the f-string's `!r` / `!s` / `!a` (as `ord`), -1 for none.
        """
        if conversion == 114 or conversion == 97:  # !r, !a
            text = self.safe_repr(value) if type(value) is not str else repr(value)
            return ascii(text)[1:-1] if conversion == 97 and not text.isascii() else text
        if conversion == 115:  # !s
            return self.safe_str(value)
        if type(value) is str:
            if len(value) > self.max_str:
                self.too_big(f"string of {len(value)} characters exceeds {self.max_str}")
            return value
        if type(value) in _SCALARS:
            if type(value) is int and value.bit_length() > self.max_bits:
                self.too_big("integer too large to format")
            return value
        if modules.formattable(value):
            return modules.format_proxy(self, value)
        return self.safe_str(value)

    def safe_str(self, value: Any) -> str:
        """`str(value)`, bounded and deterministic (exceptions print like Python's)."""
        if type(value) is str:
            return value
        if isinstance(value, BaseException):
            args = value.args
            if not args:
                return ""
            if len(args) == 1:
                if isinstance(value, KeyError):
                    return self.safe_repr(args[0])
                return self.safe_str(args[0])
            return self.safe_repr(args)
        shown = modules.text(self, value, False)
        return shown if shown is not None else self.safe_repr(value)

    def text_size(self, value: Any) -> int:
        """Estimated length of `str(value)`; fails when over the string limit."""
        return len(self.safe_repr(value))

    def safe_repr(self, value: Any) -> str:
        """`repr(value)` for JSON-like values, bounded in size and deterministic."""
        parts: list[str] = []
        budget = [self.max_str]
        self._repr_into(value, parts, budget, 0)
        return "".join(parts)

    def _repr_into(self, value: Any, parts: list[str], budget: list[int], depth: int) -> None:
        if depth > 200:
            self.too_big("value nested too deeply to print")
        t = type(value)
        if t in _SCALARS:
            if t is int and value.bit_length() > self.max_bits:
                self.too_big("integer too large to print")
            text = repr(value)
        elif t is list or t is tuple or t is OrderedSet or t is dict:
            self.ctx.charge(len(value) + 1)
            if t is dict:
                opening, closing = "{", "}"
                items: Any = value.items()
            elif t is list:
                opening, closing, items = "[", "]", value
            elif t is tuple:
                opening, closing, items = "(", ",)" if len(value) == 1 else ")", value
            else:
                opening, closing, items = ("{", "}", value) if value else ("set(", ")", ())
            parts.append(opening)
            budget[0] -= 1
            for i, item in enumerate(items):
                if i:
                    parts.append(", ")
                if t is dict:
                    self._repr_into(item[0], parts, budget, depth + 1)
                    parts.append(": ")
                    self._repr_into(item[1], parts, budget, depth + 1)
                else:
                    self._repr_into(item, parts, budget, depth + 1)
            parts.append(closing)
            return
        elif isinstance(value, BaseException):
            text = f"{type(value).__name__}({', '.join(self.safe_repr(a) for a in value.args)})"
        else:
            shown = self.classes.label(value)
            if shown is None:
                shown = modules.text(self, value, True)
            text = shown if shown is not None else f"<{_type_name(value)}>"
        budget[0] -= len(text)
        if budget[0] < 0:
            self.too_big(f"text longer than {self.max_str} characters")
        parts.append(text)

    def _sized_str_method(self, s: str, name: str) -> Callable[..., Any]:
        method = getattr(s, name)
        limit = self.max_str

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if name == "join":
                items = list(args[0]) if args else []
                self.ctx.charge(len(items))
                total = sum(len(x) for x in items if type(x) is str) + len(s) * len(items)
                if total > limit:
                    self.too_big(f"joined string would exceed {limit} characters")
                return method(items)
            if name == "replace" and len(args) >= 2:
                old, new = args[0], args[1]
                if type(old) is str and type(new) is str:
                    hits = len(s) + 1 if old == "" else s.count(old)
                    if len(s) + hits * max(len(new) - len(old), 0) > limit:
                        self.too_big(f"replaced string would exceed {limit} characters")
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                if type(size) is int and len(s) * max(size, 1) > limit:
                    self.too_big(f"expanded string would exceed {limit} characters")
            elif args and type(args[0]) is int and args[0] > limit:
                self.too_big(f"{name} width {args[0]} exceeds {limit}")
            return self.check_size(method(*args, **kwargs))

        return guarded

    def _checked_method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def checked(*args: Any, **kwargs: Any) -> Any:
            return self.check_size(method(*args, **kwargs))

        return checked


def _type_name(value: Any) -> str:
    t = type(value)
    if t in CPYTHON_NAMES:
        return CPYTHON_NAMES[t]
    if callable(value) and not isinstance(value, type):
        return "function"
    return t.__name__
