"""Shared pieces of the sandbox modules: facades, access rules, charged iterators, bounds.

A `Facade` is what ``import X`` binds: an object holding only the vetted names of one
module (never a real module object). `Rules` say, per type, which attributes tool code
may read on a value and how the value prints; the hooks in the package's ``__init__``
dispatch on them. A `ChargedIterator` is the only kind of iterator a sandbox module hands
to tool code: every ``__next__`` costs a step, so no C loop (``list(count())``) can run
past the call's budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any, NoReturn

from toolkits.result import ErrorKind

#: An attribute rule: read it with the real ``getattr`` (a plain method or a property).
PLAIN: Any = object()

#: ``getter(guards, obj)`` gives the attribute's value (a guarded method, a checked read).
Getter = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Rules:
    """What tool code may do with values of one type (or with one class object).

    Attributes:
        name: the type's name as Python prints it (``datetime.date``, ``re.Match``).
        attributes: name -> `PLAIN` or a `Getter` for every readable attribute.
        refused: name -> why an attribute the real type has is refused, and what to do.
        text: ``text(guards, value, repr_)`` -> bounded text; default ``repr``/``str``.
        hint: what to store or return instead of this non-JSON value.
        formattable: f-string format specs apply to the value (``f"{d:%Y}"``).
        exposed: ``type(value)`` may give tool code the value's class.
        counterpart: what CPython has in place of such a value (``re.Match``), to tell
            an attribute that does not exist (AttributeError) from a blocked one; None:
            the value itself (it is CPython's own).
    """

    name: str
    attributes: Mapping[str, Any]
    refused: Mapping[str, str] = field(default_factory=dict)
    text: Callable[[Any, Any, bool], str] | None = None
    hint: str | None = None
    formattable: bool = False
    exposed: bool = False
    counterpart: Any = None


class Facade:
    """A sandbox module: the vetted names of one module, nothing else.

    ``from X import name`` reads names with the real ``getattr`` (through
    ``__getattr__``, which only knows the vetted names: there is no ``__name__``, so
    CPython's fallback to ``sys.modules`` cannot find a real submodule); ``X.name`` in
    tool code goes through the guards, which consult the same mapping.
    """

    __slots__ = ("_attrs", "_module")

    def __init__(self, module: str, attrs: dict[str, Any]):
        self._module = module
        self._attrs = attrs

    def __getattr__(self, name: str) -> Any:
        if name in Facade.__slots__:  # not set (never for a facade the importer built)
            raise AttributeError(name)
        try:
            return self._attrs[name]
        except KeyError:
            raise AttributeError(f"module '{self._module}' has no attribute '{name}'") from None


def violation(guards: Any, message: str) -> NoReturn:
    """Abort the call: tool code used something the sandbox refuses."""
    guards.ctx.fail(ErrorKind.sandbox_violation, message)


def out_of_steps(ctx: Any) -> NoReturn:
    """Abort the call: its step budget is spent (a step raised `StopIteration`)."""
    ctx.fail(ErrorKind.budget_exceeded, f"step budget of {ctx.limits.max_steps} exceeded")


def method(fn: Callable[..., Any]) -> Getter:
    """A `Getter` binding ``fn(guards, obj, *args, **kwargs)`` to the value read."""

    def getter(guards: Any, obj: Any) -> Any:
        return partial(fn, guards, obj)

    return getter


def no_instances(cls: type, *args: Any, **kwargs: Any) -> NoReturn:
    """``__new__`` of classes tool code may see but not build (``re.Match``)."""
    raise TypeError(f"cannot create '{cls.__module__}.{cls.__name__}' instances")


class ChargedIterator:
    """An iterator handed to tool code: each item costs a step (plus its size, `weigh`)."""

    __slots__ = ("_ctx", "_it", "_step", "_weigh")
    __new__ = no_instances  # type: ignore[assignment]

    @classmethod
    def make(cls, guards: Any, source: Iterable[Any], weigh: bool = False) -> ChargedIterator:
        """Wrap `source`; `weigh`: items are built tuples, charged one step per 4 items."""
        self = object.__new__(cls)
        self._ctx = guards.ctx
        self._step = guards.ctx.step
        self._it = iter(source)
        self._weigh = weigh
        return self

    def __iter__(self) -> ChargedIterator:
        return self

    def __next__(self) -> Any:
        try:
            self._step()
        except StopIteration:
            out_of_steps(self._ctx)
        item = next(self._it)
        if self._weigh:
            self._ctx.charge(len(item) >> 2)
        return item


def iterator_text(guards: Any, value: Any, repr_: bool) -> str:
    """How a charged iterator prints (no address, unlike CPython)."""
    return "<iterator>"


ITERATOR_RULES = Rules(
    name="iterator",
    attributes={},
    text=iterator_text,
    hint="use list(...) of it",
    counterpart=iter(()),
)


def materialize(guards: Any, values: Any, what: str = "input") -> list[Any] | Any:
    """`values` as a finite sequence, bounded by the container limit and charged.

    Sized values (lists, strings, ranges, dicts) come back as they are; iterators are
    read up to one item past the limit.
    """
    limit = guards.max_items
    if hasattr(values, "__len__") and hasattr(values, "__getitem__"):
        n = len(values)
        if n > limit:
            guards.too_big(f"{what} of {n} items exceeds the limit of {limit}")
        guards.ctx.charge(n >> 4)
        return values
    items = list(islice(values, limit + 1))
    if len(items) > limit:
        guards.too_big(f"{what} of more than {limit} items exceeds the limit")
    guards.ctx.charge(len(items) >> 4)
    return items


def check_text(guards: Any, value: Any, limit: int, what: str) -> str:
    """`value` when it is a str of at most `limit` characters, else an error."""
    if type(value) is not str:
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if len(value) > limit:
        guards.too_big(f"{what} of {len(value)} characters exceeds {limit}")
    return value


def check_int(guards: Any, value: Any, limit: int, what: str) -> int:
    """`value` when it is an int in ``[0, limit]``, else an error."""
    if type(value) is not int and type(value) is not bool:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative")
    if value > limit:
        guards.too_big(f"{what} of {value} exceeds the limit of {limit}")
    return int(value)


def iterate(guards: Any, values: Iterable[Any]) -> Iterator[Any]:
    """Host-side loop over `values` that charges one step per item."""
    step, ctx = guards.ctx.step, guards.ctx
    for item in values:
        try:
            step()
        except StopIteration:
            out_of_steps(ctx)
        yield item


# What CPython would call these values, in messages ("a module is not JSON").
Facade.__name__ = Facade.__qualname__ = "module"
ChargedIterator.__name__ = ChargedIterator.__qualname__ = "lazy iterator"
