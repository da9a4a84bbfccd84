"""Runtime guards the compiler injects: attributes, writes, sizes and arithmetic.

Every guard is a method of `Guards`, bound once per toolkit and put in the tool
module's globals under its reserved `_x_` name (see `toolkits.sandbox.policy`).
A violated bound calls `CallContext.fail`, which aborts the call with a typed kind.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from itertools import islice
from typing import Any

from toolkits.result import ErrorKind
from toolkits.sandbox import modules
from toolkits.sandbox.classes import Classes, named_like_cpython
from toolkits.sandbox.context import CallContext
from toolkits.sandbox.formatter import SafeFormatter
from toolkits.sandbox.journal import DICT_MUTATORS, LIST_MUTATORS, StateStore, StateWriter
from toolkits.sandbox.oset import OSET_BULK_METHODS, OSET_METHODS, ItemsView, KeysView, OrderedSet
from toolkits.sandbox.text import TextGuards, _type_name

_STR_PLAIN = {
    "count",
    "endswith",
    "find",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "rfind",
    "rindex",
    "rpartition",
    "rstrip",
    "startswith",
    "strip",
}
_STR_SIZED = {"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "join"}
# results checked after the call: case mapping can triple a string, splits build lists
_STR_CHECKED = {
    "upper",
    "lower",
    "casefold",
    "title",
    "swapcase",
    "capitalize",
    "split",
    "rsplit",
    "splitlines",
}
_STR_FORMAT = {"format", "format_map"}
_STR_BLOCKED = {
    "encode": "bytes are not available; keep text as str",
}
_PLAIN: frozenset[tuple[type, str]] = frozenset(
    {(str, n) for n in _STR_PLAIN}
    | {(dict, n) for n in ("get", "values", "copy")}
    | {(list, n) for n in ("count", "index", "copy")}
    | {(tuple, n) for n in ("count", "index")}
    | {(OrderedSet, n) for n in OSET_METHODS - OSET_BULK_METHODS}
    | {(KeysView, "isdisjoint"), (ItemsView, "isdisjoint")}
    | {(int, n) for n in ("bit_length", "bit_count", "is_integer")}
    | {(bool, n) for n in ("bit_length", "bit_count", "is_integer")}
    | {(float, n) for n in ("is_integer",)}
)
_INPLACE = {
    "+": operator.iadd,
    "-": operator.isub,
    "*": operator.imul,
    "/": operator.itruediv,
    "//": operator.ifloordiv,
    "%": operator.imod,
    "**": operator.ipow,
    "<<": operator.ilshift,
    ">>": operator.irshift,
    "|": operator.ior,
    "^": operator.ixor,
    "&": operator.iand,
    "@": operator.imatmul,
}


@named_like_cpython(keys="dict.keys")
def _keys(d: dict) -> Callable[[], KeysView]:
    def keys() -> KeysView:
        return KeysView(d)

    return keys


@named_like_cpython(items="dict.items")
def _items(d: dict) -> Callable[[], ItemsView]:
    def items() -> ItemsView:
        return ItemsView(d)

    return items


_VIEWS: dict[str, Any] = {"keys": _keys, "items": _items}
_STR_METHODS = frozenset(_STR_SIZED | _STR_CHECKED | _STR_FORMAT)


def instance_allows(t: type, name: str) -> bool:
    """Whether the attribute guard gives ``obj.name`` for an `obj` of exactly type `t`."""
    return (
        (t, name) in _PLAIN
        or (t is dict and (name in DICT_MUTATORS or name in _VIEWS))
        or (t is list and name in LIST_MUTATORS)
        or (t is str and name in _STR_METHODS)
        or (t is OrderedSet and name in OSET_BULK_METHODS)
    )


class Guards(TextGuards):
    """The guard functions of one toolkit, bound to its call context and state store."""

    def __init__(self, ctx: CallContext, store: StateStore):
        super().__init__(ctx)
        self.store = store
        self.classes = Classes(self.getattr, instance_allows)
        self.formatter = SafeFormatter(self)

    def names(self) -> dict[str, Any]:
        """The reserved names the compiled code calls, mapped to their guards."""
        ctx = self.ctx
        return {
            "_step_": ctx.step,
            "_enter_": ctx.enter,
            "_leave_": ctx.leave,
            "_handler_": ctx.handler,
            "_getattr_": self.getattr,
            "_write_": self.write,
            "_aug_item_": self.aug_item,
            "_inplace_": self.inplace,
            "_add_": self.add,
            "_mul_": self.mul,
            "_pow_": self.pow,
            "_lshift_": self.lshift,
            "_mod_": self.mod,
            "_fmt_": self.fmt,
            "_sized_": self.sized,
            "_oset_": self.oset,
            "_apply_": self.apply,
            "_star_": self.star,
            "_iadd_": self.iadd,
        }

    # -- attributes and writes ---------------------------------------------------------

    def getattr(self, obj: Any, name: str) -> Any:
        """`obj.name` for whitelisted (type, name) pairs only.

        An attribute CPython has but the sandbox blocks is a sandbox violation; one
        CPython does not have either is CPython's own AttributeError.
        """
        t = type(obj)
        if (t, name) in _PLAIN:
            return getattr(obj, name)
        if (t is dict and name in DICT_MUTATORS) or (t is list and name in LIST_MUTATORS):
            if self.store.is_state(obj):
                return self.store.journaled_method(obj, name)
            if t is list and name == "extend":
                return self._sized_extend(obj)
            return getattr(obj, name)
        if t is str and name in _STR_SIZED:
            return self._sized_str_method(obj, name)
        if t is OrderedSet and name in OSET_BULK_METHODS:
            return self._charged_bulk(getattr(obj, name))
        if t is str and name in _STR_CHECKED:
            return self._checked_method(getattr(obj, name))
        if t is str and name in _STR_FORMAT:
            return self._format_method(obj, name)
        if t is dict and name in _VIEWS:
            return _VIEWS[name](obj)
        if isinstance(obj, BaseException) and name == "args":
            return obj.args
        method = self.classes.method(obj, name)
        if method is not None:
            return method
        found = modules.attribute(self, obj, name)
        if found is not modules.NOT_HANDLED:
            return found
        self._refuse(obj, name)

    def has_attribute(self, obj: Any, name: str) -> bool:
        """Whether `getattr` gives ``obj.name`` (``hasattr``); never aborts."""
        if instance_allows(type(obj), name):
            return True
        if isinstance(obj, BaseException) and name == "args":
            return True
        if self.classes.has_method(obj, name):
            return True
        return bool(modules.has_attribute(obj, name))

    def _refuse(self, obj: Any, name: str) -> None:
        """Fail the access `obj.name`: blocked (sandbox_violation) or missing (CPython's
        AttributeError, worded as CPython words it)."""
        if type(obj) is str and name in _STR_BLOCKED:
            self.ctx.fail(
                ErrorKind.sandbox_violation, f"'{name}' is not available: {_STR_BLOCKED[name]}"
            )
        real, is_class = self.classes.counterpart(obj)
        if hasattr(real, name):
            what = real.__name__ if is_class else _type_name(obj)
            self.ctx.fail(
                ErrorKind.sandbox_violation,
                f"attribute '{name}' of {what} is not available in the sandbox",
            )
        if is_class:
            raise AttributeError(f"type object '{real.__name__}' has no attribute '{name}'")
        raise AttributeError(f"'{type(real).__name__}' object has no attribute '{name}'")

    @named_like_cpython(format="str.format", format_map="str.format_map")
    def _format_method(self, s: str, name: str) -> Callable[..., Any]:
        vformat = self.formatter.vformat
        if name == "format":

            def format(*args: Any, **kwargs: Any) -> str:
                return vformat(s, args, kwargs)

            return format

        def format_map(mapping: Any) -> str:
            return vformat(s, (), mapping)

        return format_map

    def write(self, obj: Any) -> Any:
        """Target of `obj[k] = v` / `del obj[k]`: journaled when `obj` is in the state."""
        if self.store.is_state(obj):
            return StateWriter(self.store, obj)
        return obj

    def aug_item(self, obj: Any, key: Any, op: str, value: Any) -> None:
        """`obj[key] op= value` with guarded arithmetic and journaled state writes."""
        new = self.inplace(op, obj[key], value)
        if self.store.is_state(obj):
            self.store.set_item(obj, key, new)
        else:
            obj[key] = new

    def iadd(self, current: Any, value: Any) -> Any:
        """`current += value`, with a fast path for numbers."""
        t = type(current)
        if t is float and (type(value) is float or type(value) is int):
            return current + value
        if t is int and type(value) is int:
            r = current + value
            if r.bit_length() > self.max_bits:
                self.too_big(f"integer exceeds {self.max_bits} bits")
            return r
        return self.inplace("+", current, value)

    def inplace(self, op: str, current: Any, value: Any) -> Any:
        """`current op= value`: guarded; in-place changes to state lists/dicts journaled."""
        t = type(current)
        if (t is list or t is dict) and self.store.is_state(current):
            if t is list and op == "+":
                self.store.journaled_method(current, "extend")(value)
                return current
            if t is dict and op == "|":
                self.store.journaled_method(current, "update")(value)
                return current
            if t is list and op == "*":
                items = self.mul(current, value)
                self.store.set_item(current, slice(None), items)
                return current
        if op == "+":
            return self.add(current, value, inplace=True)
        if op == "*":
            return self.mul(current, value, inplace=True)
        if op == "**":
            return self.pow(current, value)
        if op == "<<":
            return self.lshift(current, value)
        if op == "%":
            return self.mod(current, value)
        return self.check_size(_INPLACE[op](current, value))

    # -- operators ---------------------------------------------------------------------

    def add(self, a: Any, b: Any, inplace: bool = False) -> Any:
        """`a + b` (bounded result)."""
        ta = type(a)
        if (ta is int or ta is float) and type(b) in (int, float):
            r = a + b
            if type(r) is int and r.bit_length() > self.max_bits:
                self.too_big(f"integer exceeds {self.max_bits} bits")
            return r
        limit = self.max_str if ta is str else self.max_items
        if inplace and ta is list and not hasattr(b, "__len__"):
            b = list(islice(b, self.max_items + 1))  # x += iterator: bounded before extending
        if ta in (str, list, tuple) and hasattr(b, "__len__") and len(a) + len(b) > limit:
            self.too_big(f"{ta.__name__} would exceed its size limit")
        return self.check_size(operator.iadd(a, b) if inplace else a + b)

    def mul(self, a: Any, b: Any, inplace: bool = False) -> Any:
        """`a * b`, refusing to build over-limit sequences or integers."""
        ta, tb = type(a), type(b)
        if ta is int and tb is int:
            if a.bit_length() + b.bit_length() > self.max_bits + 1:
                self.too_big(f"integer product exceeds {self.max_bits} bits")
            return a * b
        if ta is float or tb is float:
            return a * b
        seq, n = (a, b) if tb is int or tb is bool else (b, a)
        if type(n) in (int, bool) and hasattr(seq, "__len__"):
            limit = self.max_str if type(seq) is str else self.max_items
            if len(seq) * max(int(n), 0) > limit:
                self.too_big(f"repeating {_type_name(seq)} of {len(seq)} x {n} exceeds {limit}")
        return self.check_size(operator.imul(a, b) if inplace else a * b)

    def pow(self, a: Any, b: Any) -> Any:
        """`a ** b` with integer results bounded."""
        big = type(a) is int and type(b) is int and b > 0 and abs(a) > 1
        if big and a.bit_length() * b > self.max_bits + b:
            self.too_big(f"integer power ** {b} exceeds {self.max_bits} bits")
        try:
            return a**b
        except OverflowError:
            self.too_big("float overflow in **")

    def lshift(self, a: Any, b: Any) -> Any:
        """`a << b` with the result bounded."""
        if type(a) is int and type(b) is int and b > 0 and a.bit_length() + b > self.max_bits:
            self.too_big(f"{a} << {b} exceeds {self.max_bits} bits")
        return a << b

    def _charged_bulk(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def charged(*args: Any) -> Any:
            total = _total_length(args)
            if total > 10 * self.max_items:
                self.too_big(f"arguments hold more than {10 * self.max_items} items")
            self.ctx.charge(total >> 4)
            return self.check_size(method(*args))

        return charged

    @named_like_cpython(extend="list.extend")
    def _sized_extend(self, lst: list) -> Callable[..., Any]:
        def extend(values: Any) -> None:
            if not hasattr(values, "__len__"):
                values = list(islice(values, self.max_items + 1))
            if len(lst) + len(values) > self.max_items:
                self.too_big(f"list would exceed {self.max_items} items")
            lst.extend(values)
            self.check_size(lst)

        return extend

    # -- displays, sets, *args ---------------------------------------------------------

    def sized(self, value: Any) -> Any:
        """A starred display (`[*a, *b]`, `{**a, **b}`): bounded like any built value."""
        return self.check_size(value)

    def oset(self, items: Any) -> OrderedSet:
        """Build the sandbox's insertion-ordered set."""
        self.ctx.charge(len(items) >> 6)
        return OrderedSet(items)

    def apply(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`f(*args, **kwargs)` as compiled by RestrictedPython: bounded and charged."""
        if len(args) + len(kwargs) > self.max_items:
            self.too_big("too many arguments")
        total = _total_length(args)
        if total > 10 * self.max_items:
            self.too_big(f"arguments hold more than {10 * self.max_items} items")
        self.ctx.charge((len(args) + total) >> 4)
        return func(*args, **kwargs)

    def star(self, value: Any) -> Any:
        """A `*x` / `**x` operand in a display or call: charged by its size first."""
        if hasattr(value, "__len__"):
            if len(value) > self.max_items:
                self.too_big(f"unpacking {len(value)} items exceeds {self.max_items}")
            self.ctx.charge(1 + (len(value) >> 4))
        return value


def _total_length(values: tuple[Any, ...]) -> int:
    """Total items of the sized, non-text values (what a bulk operation will walk)."""
    return sum(len(v) for v in values if type(v) not in (str, bytes) and hasattr(v, "__len__"))
