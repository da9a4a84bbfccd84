"""`str.format` and `str.format_map` in the sandbox: CPython's results, bounded.

`SafeFormatter` (a `string.Formatter`) renders a format string as `str.format` does
(automatic and manual field numbering, conversions, nested specs like ``{:{w}}``, the
same error messages), except that

- a field that looks up an attribute or an item (``{0.__class__}``, ``{x[0]}``) is a
  sandbox violation: pass the value itself;
- widths and precisions (nested ones too) are bounded by `MAX_FORMAT_WIDTH`, as
  f-string specs are, and so is the size of the result (`max_string_length`);
- containers and other values print with the bounded, deterministic `safe_str`; a
  spec applies to a value as `format()` applies it (to strings, numbers, booleans,
  None, and to module values whose `toolkits.sandbox.modules.formattable` says so);
  a spec on any other value is CPython's TypeError.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from toolkits.result import ErrorKind
from toolkits.sandbox import modules
from toolkits.sandbox.classes import cpython_name
from toolkits.sandbox.policy_sizes import MAX_FORMAT_WIDTH, spec_too_wide

if TYPE_CHECKING:
    from toolkits.sandbox.text import TextGuards

_PLAIN = (str, int, float, bool, type(None))
_CONVERSIONS = {"r": 114, "s": 115, "a": 97}


class SafeFormatter(string.Formatter):
    """The bounded `str.format` of one toolkit (see the module docstring)."""

    def __init__(self, guards: TextGuards):
        self.guards = guards

    def vformat(self, format_string: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
        """``format_string.format(*args, **kwargs)`` (`kwargs` may be any mapping)."""
        guards = self.guards
        fields = [0]
        text = self._render(format_string, args, kwargs, 2, [0], fields)
        guards.ctx.charge(fields[0])
        return guards.check_size(text)

    def _render(
        self,
        fmt: str,
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        depth: int,
        auto: list[Any],
        fields: list[int],
    ) -> str:
        if depth <= 0:
            raise ValueError("Max string recursion exceeded")
        guards = self.guards
        limit = guards.max_str
        out: list[str] = []
        size = 0
        for literal, field, spec, conversion in self.parse(fmt):
            if literal:
                out.append(literal)
                size += len(literal)
            if field is None:
                continue
            fields[0] += 1
            value = self.get_field_value(field, args, kwargs, auto)
            if conversion is not None:
                code = _CONVERSIONS.get(conversion)
                if code is None:
                    raise ValueError(f"Unknown conversion specifier {conversion}")
                value = guards.fmt(value, code)
            if spec and "{" in spec:
                spec = self._render(spec, args, kwargs, depth - 1, auto, fields)
            text = self.format_field(value, spec or "")
            size += len(text)
            if size > limit:
                guards.too_big(f"formatted string would exceed {limit} characters")
            out.append(text)
        return "".join(out)

    def get_field_value(
        self, field: str, args: Sequence[Any], kwargs: Mapping[str, Any], auto: list[Any]
    ) -> Any:
        """The value of a replacement field: ``{}``, ``{0}`` or ``{name}``, nothing more."""
        if "." in field or "[" in field:
            self.guards.ctx.fail(
                ErrorKind.sandbox_violation,
                f"str.format field '{{{field[:60]}}}' looks up an attribute or an item, "
                "which is not available in the sandbox; pass the value itself "
                "('{}'.format(x['k'])) or use an f-string",
            )
        if field == "":
            if auto[0] is False:
                raise ValueError(
                    "cannot switch from manual field specification to automatic field numbering"
                )
            key: Any = auto[0]
            auto[0] += 1
        elif field.isdecimal() and field.isascii():
            if auto[0]:
                raise ValueError(
                    "cannot switch from automatic field numbering to manual field specification"
                )
            auto[0] = False
            key = int(field)
        else:
            return kwargs[field]
        if key >= len(args):
            raise IndexError(f"Replacement index {key} out of range for positional args tuple")
        return args[key]

    def format_field(self, value: Any, format_spec: str) -> str:
        """`format(value, format_spec)`, bounded; containers print with `safe_str`."""
        guards = self.guards
        t = type(value)
        if t in _PLAIN or modules.formattable(value):
            if t is str and len(value) > guards.max_str:
                guards.too_big(f"string of {len(value)} characters exceeds {guards.max_str}")
            if t is int and value.bit_length() > guards.max_bits:
                guards.too_big("integer too large to format")
            if format_spec and spec_too_wide(format_spec):
                guards.too_big(
                    f"format spec {format_spec[:40]!r}: keep widths and precisions "
                    f"under {MAX_FORMAT_WIDTH}"
                )
            shown = value if t in _PLAIN else modules.format_proxy(guards, value)
            return format(shown, format_spec)
        if format_spec:
            raise TypeError(f"unsupported format string passed to {cpython_name(t)}.__format__")
        return guards.safe_str(value)
