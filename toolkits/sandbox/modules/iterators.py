"""The sandbox's ``itertools``: every iterator handed to tool code is charged.

Each function returns a `ChargedIterator` (one step per item, built tuples weighed by
their length), so ``list(count())`` or ``list(repeat(x))`` runs into the step budget
instead of running in C forever. Inputs are either finite containers or other charged
iterators, so no C loop inside an item runs unbounded. ``product`` knows its size from
its inputs and ``repeat`` and is refused when the result would pass the container
limit; combinatoric results are refused when one tuple would. ``accumulate`` adds with
the sandbox's bounded ``+``.
"""

from __future__ import annotations

import itertools as _it
from typing import Any

from toolkits.sandbox.modules.core import ChargedIterator, Rules, check_int, materialize


class Chain:
    """``itertools.chain`` (callable) with its ``from_iterable``."""

    __slots__ = ("_g",)

    def __init__(self, guards: Any):
        self._g = guards

    def __call__(self, *iterables: Any) -> ChargedIterator:
        return ChargedIterator.make(self._g, _it.chain(*iterables))

    def from_iterable(self, iterable: Any) -> ChargedIterator:
        """Chain the iterables that `iterable` yields."""
        return ChargedIterator.make(self._g, _it.chain.from_iterable(iterable))


def _accumulate(guards: Any, iterable: Any, func: Any, initial: Any) -> Any:
    it = iter(iterable)
    total = initial
    if initial is None:
        try:
            total = next(it)
        except StopIteration:
            return
    yield total
    for item in it:
        total = guards.add(total, item) if func is None else func(total, item)
        yield total


def _batched(iterable: Any, n: int) -> Any:
    it = iter(iterable)
    while batch := tuple(_it.islice(it, n)):
        yield batch


def _groupby(guards: Any, iterable: Any, key: Any) -> Any:
    for value, group in _it.groupby(iterable, key):
        yield value, ChargedIterator.make(guards, group)


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``itertools`` facade, bound to `guards`."""
    limit = guards.max_items

    def charged(source: Any, weigh: bool = False) -> ChargedIterator:
        return ChargedIterator.make(guards, source, weigh)

    def pools(iterables: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return [tuple(materialize(guards, i, "product() input")) for i in iterables]

    def width(r: int, what: str) -> int:
        return check_int(guards, r, limit, f"{what} r")

    def count(start: Any = 0, step: Any = 1) -> ChargedIterator:
        return charged(_it.count(start, step))

    def cycle(iterable: Any) -> ChargedIterator:
        return charged(_it.cycle(iterable))

    def repeat(obj: Any, times: Any = None) -> ChargedIterator:
        return charged(_it.repeat(obj) if times is None else _it.repeat(obj, times))

    def islice(iterable: Any, *args: Any) -> ChargedIterator:
        return charged(_it.islice(iterable, *args))

    def compress(data: Any, selectors: Any) -> ChargedIterator:
        return charged(_it.compress(data, selectors))

    def dropwhile(predicate: Any, iterable: Any) -> ChargedIterator:
        return charged(_it.dropwhile(predicate, iterable))

    def takewhile(predicate: Any, iterable: Any) -> ChargedIterator:
        return charged(_it.takewhile(predicate, iterable))

    def filterfalse(predicate: Any, iterable: Any) -> ChargedIterator:
        return charged(_it.filterfalse(predicate, iterable))

    def starmap(function: Any, iterable: Any) -> ChargedIterator:
        return charged(_it.starmap(function, iterable))

    def zip_longest(*iterables: Any, fillvalue: Any = None) -> ChargedIterator:
        return charged(_it.zip_longest(*iterables, fillvalue=fillvalue), weigh=True)

    def pairwise(iterable: Any) -> ChargedIterator:
        return charged(_it.pairwise(iterable))

    def groupby(iterable: Any, key: Any = None) -> ChargedIterator:
        return charged(_groupby(guards, iterable, key))

    def accumulate(iterable: Any, func: Any = None, *, initial: Any = None) -> ChargedIterator:
        return charged(_accumulate(guards, iterable, func, initial))

    def batched(iterable: Any, n: Any) -> ChargedIterator:
        if check_int(guards, n, limit, "batched() n") < 1:
            raise ValueError("n must be at least one")
        return charged(_batched(iterable, n), weigh=True)

    def product(*iterables: Any, repeat: Any = 1) -> ChargedIterator:
        repeat = check_int(guards, repeat, limit, "product() repeat")
        seqs = pools(iterables)
        if len(seqs) * repeat > limit:
            guards.too_big(f"product() tuples of {len(seqs) * repeat} items exceed {limit}")
        per_repeat = 1
        for seq in seqs:
            per_repeat = min(per_repeat * len(seq), limit + 1)
        size = 1 if repeat == 0 else per_repeat
        if per_repeat > 1:
            for _ in range(repeat - 1):
                size *= per_repeat
                if size > limit:
                    break
        if size > limit:
            guards.too_big(f"product() would yield more than {limit} tuples")
        return charged(_it.product(*seqs, repeat=repeat), weigh=True)

    def combinations(iterable: Any, r: Any) -> ChargedIterator:
        pool = tuple(materialize(guards, iterable, "combinations() input"))
        return charged(_it.combinations(pool, width(r, "combinations()")), weigh=True)

    def combinations_with_replacement(iterable: Any, r: Any) -> ChargedIterator:
        pool = tuple(materialize(guards, iterable, "combinations_with_replacement() input"))
        r = width(r, "combinations_with_replacement()")
        return charged(_it.combinations_with_replacement(pool, r), weigh=True)

    def permutations(iterable: Any, r: Any = None) -> ChargedIterator:
        pool = tuple(materialize(guards, iterable, "permutations() input"))
        r = len(pool) if r is None else width(r, "permutations()")
        return charged(_it.permutations(pool, r), weigh=True)

    names = {
        "accumulate": accumulate,
        "batched": batched,
        "chain": Chain(guards),
        "combinations": combinations,
        "combinations_with_replacement": combinations_with_replacement,
        "compress": compress,
        "count": count,
        "cycle": cycle,
        "dropwhile": dropwhile,
        "filterfalse": filterfalse,
        "groupby": groupby,
        "islice": islice,
        "pairwise": pairwise,
        "permutations": permutations,
        "product": product,
        "repeat": repeat,
        "starmap": starmap,
        "takewhile": takewhile,
        "zip_longest": zip_longest,
    }
    return names


INSTANCE_RULES: dict[type, Rules] = {
    Chain: Rules(
        "itertools.chain",
        {"from_iterable": lambda g, c: c.from_iterable},
        text=lambda g, v, r: "<class 'itertools.chain'>",
        hint="use list(...) of it",
        counterpart=_it.chain,
    ),
}
CLASS_RULES: dict[type, Rules] = {}
