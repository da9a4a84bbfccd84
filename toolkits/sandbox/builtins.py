"""The builtins tool code sees: a safe subset, with bulk builtins charging steps.

Not available: `getattr`, `setattr`, `id`, `hash`, `eval`, `exec`, `compile`,
`open`, `input`, `globals`, `locals`, `vars`, `dir`, `format`, `object`, `super`,
`memoryview`, `bytearray`, `breakpoint`. `print` exists and does nothing (tools
communicate through their return value). `map`, `filter`, `zip`, `enumerate` and
`reversed` return lists (bounded and charged): lazy iterators nested thousands deep
would recurse in C with no stack check. `type(v)` (one argument) gives the builtin
standing for the value's class (`toolkits.sandbox.classes`); `iter` takes one
argument (``iter(callable, sentinel)`` could loop forever inside one builtin);
`hasattr` is true exactly when the attribute guard gives the attribute.
`BUILTIN_NAMES` is every name `make_builtins` defines (the compiler's name check).
"""

from __future__ import annotations

import builtins as _py
from itertools import islice
from types import FunctionType
from typing import Any

from toolkits.result import ErrorKind
from toolkits.sandbox import modules
from toolkits.sandbox.guards import Guards
from toolkits.sandbox.oset import OrderedSet


class ToolError(Exception):
    """Raise `ToolError("message")` in a tool to refuse a request; the model sees the message."""


SAFE_EXCEPTIONS: dict[str, type[BaseException]] = {
    "ToolError": ToolError,
    "Exception": Exception,
    "ValueError": ValueError,
    "KeyError": KeyError,
    "IndexError": IndexError,
    "TypeError": TypeError,
    "ZeroDivisionError": ZeroDivisionError,
    "ArithmeticError": ArithmeticError,
    "LookupError": LookupError,
    "AssertionError": AssertionError,
    "RuntimeError": RuntimeError,
    "OverflowError": OverflowError,
    "NameError": NameError,
    "UnboundLocalError": UnboundLocalError,
    "AttributeError": AttributeError,
    "StopIteration": StopIteration,
}
_PLAIN_BUILTINS = (
    "abs",
    "all",
    "any",
    "bool",
    "callable",
    "chr",
    "divmod",
    "float",
    "len",
    "next",
    "ord",
    "round",
)
_GUARDED_BUILTINS = (
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "sorted",
    "sum",
    "min",
    "max",
    "range",
    "str",
    "repr",
    "pow",
    "isinstance",
    "print",
    "map",
    "filter",
    "zip",
    "enumerate",
    "reversed",
    "int",
    "type",
    "iter",
    "hasattr",
    "__import__",
)
#: Every name of the builtins tool code sees (the keys `make_builtins` returns).
BUILTIN_NAMES: frozenset[str] = frozenset({*_PLAIN_BUILTINS, *SAFE_EXCEPTIONS, *_GUARDED_BUILTINS})


def make_builtins(guards: Guards) -> dict[str, Any]:
    """Return the `__builtins__` mapping for a toolkit's module, bound to its guards."""
    ctx = guards.ctx
    max_items = ctx.limits.max_container_length

    def bounded_input(values: Any) -> None:
        if hasattr(values, "__len__"):
            n = len(values)
            if n > max_items:
                guards.too_big(f"{n} items exceed the limit of {max_items}")
            ctx.charge(n >> 4)

    def sandbox_list(values: Any = ()) -> list:
        bounded_input(values)
        return guards.check_size(_py.list(values))

    def sandbox_tuple(values: Any = ()) -> tuple:
        bounded_input(values)
        return guards.check_size(_py.tuple(values))

    def sandbox_dict(*args: Any, **kwargs: Any) -> dict:
        if args:
            bounded_input(args[0])
        return guards.check_size(_py.dict(*args, **kwargs))

    def sandbox_set(values: Any = ()) -> OrderedSet:
        bounded_input(values)
        return guards.check_size(OrderedSet(values))

    def sandbox_sorted(values: Any, *, key: Any = None, reverse: bool = False) -> list:
        bounded_input(values)
        return guards.check_size(_py.sorted(values, key=key, reverse=reverse))

    def sandbox_sum(values: Any, start: Any = 0) -> Any:
        if type(start) is str:
            raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
        if type(start) not in (int, float, bool):
            ctx.fail(
                ErrorKind.sandbox_violation,
                "sum() of non-numbers is not available in the sandbox (it copies the total "
                "at every step); build lists with a comprehension or list.extend",
            )
        bounded_input(values)
        total = _py.sum(values, start)
        return guards.check_size(total) if type(total) is int else total

    def sandbox_min(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            bounded_input(args[0])
        return _py.min(*args, **kwargs)

    def sandbox_max(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            bounded_input(args[0])
        return _py.max(*args, **kwargs)

    def sandbox_range(*args: Any) -> range:
        r = _py.range(*args)
        try:
            n = len(r)
        except OverflowError:
            n = max_items + 1
        if n > max_items:
            guards.too_big(f"range of {n} items exceeds the limit of {max_items}")
        return r

    def sandbox_str(value: Any = "") -> str:
        if type(value) is str:
            return value
        if type(value) in (int, float, bool, type(None)):
            if type(value) is int and value.bit_length() > ctx.limits.max_int_bits:
                guards.too_big("integer too large to convert to str")
            return _py.str(value)
        return guards.safe_str(value)

    def sandbox_repr(value: Any) -> str:
        if type(value) in (str, float, bool, type(None)):
            return _py.repr(value)
        return guards.safe_repr(value)

    def bounded_many(iterables: tuple[Any, ...]) -> list[Any]:
        """Materialize the inputs of map/zip/filter (bounded, charged) as sequences."""
        seqs, total = [], 0
        for it in iterables:
            if not hasattr(it, "__len__"):
                it = _py.list(islice(it, max_items + 1))
            total += len(it)
            if len(it) > max_items or total > 10 * max_items:
                guards.too_big(f"inputs of more than {max_items} items")
            seqs.append(it)
        ctx.charge(total >> 4)
        return seqs

    def sandbox_map(func: Any, *iterables: Any) -> list:
        if not iterables:
            raise TypeError("map() must have at least two arguments.")
        return guards.check_size(_py.list(_py.map(func, *bounded_many(iterables))))

    def sandbox_filter(func: Any, iterable: Any) -> list:
        return guards.check_size(_py.list(_py.filter(func, *bounded_many((iterable,)))))

    def sandbox_zip(*iterables: Any, strict: bool = False) -> list:
        seqs = bounded_many(iterables)
        if seqs and len(seqs) * _py.min(len(s) for s in seqs) > 10 * max_items:
            guards.too_big(f"zip would build more than {10 * max_items} items")
        return guards.check_size(_py.list(_py.zip(*seqs, strict=strict)))

    def sandbox_enumerate(iterable: Any, start: int = 0) -> list:
        return guards.check_size(_py.list(_py.enumerate(bounded_many((iterable,))[0], start)))

    def sandbox_reversed(sequence: Any) -> list:
        bounded_input(sequence)
        return guards.check_size(_py.list(_py.reversed(sequence)))

    def sandbox_int(value: Any = 0, *base: Any) -> int:
        if type(value) is str and len(value) > ctx.limits.max_int_bits + 64:
            guards.too_big(f"int() of a {len(value)}-character string")
        result = _py.int(value, *base)
        if result.bit_length() > ctx.limits.max_int_bits:
            guards.too_big(f"integer exceeds {ctx.limits.max_int_bits} bits")
        return result

    def sandbox_pow(base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is not None:
            return _py.pow(base, exp, mod)
        return guards.pow(base, exp)

    def sandbox_isinstance(value: Any, classes: Any) -> bool:
        return _py.isinstance(value, _real_types(classes))

    def sandbox_print(*args: Any, **kwargs: Any) -> None:
        """Does nothing: tools report through their return value."""

    def sandbox_type(*args: Any) -> Any:
        if len(args) == 3:
            ctx.fail(
                ErrorKind.sandbox_violation,
                "type() with three arguments creates a class, and classes are not "
                "available in the sandbox; use dicts and functions",
            )
        if len(args) != 1:
            raise TypeError("type() takes 1 or 3 arguments")
        return guards.classes.type_of(args[0])

    def sandbox_iter(*args: Any) -> Any:
        if len(args) == 2:
            ctx.fail(
                ErrorKind.sandbox_violation,
                "iter(callable, sentinel) is not available in the sandbox (a callable "
                "iterator can run forever inside one builtin); use a while loop",
            )
        if not args:
            raise TypeError("iter expected at least 1 argument, got 0")
        if len(args) > 2:
            raise TypeError(f"iter expected at most 2 arguments, got {len(args)}")
        return _py.iter(args[0])

    def sandbox_hasattr(obj: Any, name: Any) -> bool:
        if type(name) is not str:
            raise TypeError(f"attribute name must be string, not '{_py.type(name).__name__}'")
        return guards.has_attribute(obj, name)

    def sandbox_fromkeys(keys: Any, value: Any = None) -> dict:
        bounded_input(keys)
        return guards.check_size(_py.dict.fromkeys(keys, value))

    def _real_types(classes: Any) -> Any:
        if type(classes) is tuple:
            return _py.tuple(_real_types(c) for c in classes)
        real = guards.classes.real_type(classes)
        if real is not None:
            return real
        if _py.isinstance(classes, type):
            return classes
        raise TypeError("isinstance() arg 2 must be a type, a tuple of types, or a union")

    table: dict[str, Any] = {name: getattr(_py, name) for name in _PLAIN_BUILTINS}
    table.update(SAFE_EXCEPTIONS)
    table.update(
        list=sandbox_list,
        tuple=sandbox_tuple,
        dict=sandbox_dict,
        set=sandbox_set,
        frozenset=sandbox_set,
        sorted=sandbox_sorted,
        sum=sandbox_sum,
        min=sandbox_min,
        max=sandbox_max,
        range=sandbox_range,
        str=sandbox_str,
        repr=sandbox_repr,
        pow=sandbox_pow,
        isinstance=sandbox_isinstance,
        print=sandbox_print,
        map=sandbox_map,
        filter=sandbox_filter,
        zip=sandbox_zip,
        enumerate=sandbox_enumerate,
        reversed=sandbox_reversed,
        int=sandbox_int,
        type=sandbox_type,
        iter=sandbox_iter,
        hasattr=sandbox_hasattr,
    )
    for name, value in table.items():
        if _py.type(value) is FunctionType and value.__name__.startswith("sandbox_"):
            # errors name the builtin, not the guard
            value.__name__ = value.__qualname__ = name
    sandbox_fromkeys.__name__ = sandbox_fromkeys.__qualname__ = "fromkeys"
    table["__import__"] = modules.make_importer(guards)
    classes = guards.classes
    for stand_in, real, cpython in (
        (sandbox_list, list, list),
        (sandbox_tuple, tuple, tuple),
        (sandbox_dict, dict, dict),
        (sandbox_set, OrderedSet, set),
        (sandbox_str, str, str),
        (sandbox_int, int, int),
        (table["float"], float, float),
        (table["bool"], bool, bool),
    ):
        classes.register(stand_in, real, cpython)
    classes.register_special(dict, "fromkeys", sandbox_fromkeys)
    classes.allow_exceptions(SAFE_EXCEPTIONS.values())
    return table
