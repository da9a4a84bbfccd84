"""The sandbox's ``random``: only ``random.Random(seed)``, seeded explicitly.

A tool's randomness must replay, so the module-level functions (which draw from a
generator seeded by the OS) are refused, and so is a `Random` without a seed: the seed
comes from the state (``random.Random(state["seed"])``). Draws are CPython's own
Mersenne Twister, so results equal CPython's for the same seed. ``getstate()`` gives the
generator's state as a JSON value (``[3, [625 ints], gauss_next]``, lists where CPython
has tuples) so a toolkit can keep a generator in its state between calls, and
``setstate()`` takes it back, checked. ``choices``, ``sample``
and ``getrandbits`` are bounded; ``shuffle`` of a list in the state goes through the
state's journal, so a call that fails afterwards rolls the order back.
"""

from __future__ import annotations

import random as _random
from typing import Any

from toolkits.sandbox.modules.core import PLAIN, Rules, check_int, materialize, violation

_MISSING: Any = object()
_SEED_IT = "seed it from the state: random.Random(state['seed'])"


def _seed(guards: Any, seed: Any) -> Any:
    if seed is _MISSING or seed is None:
        violation(guards, f"random.Random() needs an explicit seed: {_SEED_IT}")
    if type(seed) not in (int, bool, str, float):
        raise TypeError(f"the seed must be an int, str or float, not {type(seed).__name__}")
    if seed != seed:  # NaN: CPython seeds from its hash, which is its address
        raise ValueError("the seed must not be NaN")
    return seed


_STATE_SHAPE = "a generator state is [3, [625 ints in 0..2**32-1, the last <= 624], None or float]"


def _checked_state(state: Any) -> tuple[Any, ...]:
    """CPython's form of a `getstate` value, or ValueError saying what shape it needs."""
    if type(state) not in (list, tuple) or len(state) != 3:
        raise ValueError(_STATE_SHAPE)
    version, internal, gauss_next = state
    if version != 3 or type(internal) not in (list, tuple) or len(internal) != 625:
        raise ValueError(_STATE_SHAPE)
    if any(type(w) is not int or not 0 <= w < 1 << 32 for w in internal) or internal[-1] > 624:
        raise ValueError(_STATE_SHAPE)
    if gauss_next is not None and type(gauss_next) not in (int, float):
        raise ValueError(_STATE_SHAPE)
    return (3, tuple(internal), gauss_next)


def json_state(generator: _random.Random) -> list[Any]:
    """A generator's state as JSON, the form ``getstate()`` gives tool code:
    ``[version, [625 ints], gauss_next]``."""
    version, internal, gauss_next = generator.getstate()
    return [version, list(internal), gauss_next]


class RandomBase:
    """``random.Random(seed)``: a seeded generator with CPython's draws."""

    __slots__ = ("_r",)
    _g: Any

    def __init__(self, seed: Any = _MISSING):
        self._r = _random.Random(_seed(self._g, seed))

    def seed(self, a: Any = _MISSING) -> None:
        """Re-seed (explicitly) the generator."""
        self._r.seed(_seed(self._g, a))

    def random(self) -> float:
        """A float in [0, 1)."""
        return self._r.random()

    def uniform(self, a: Any, b: Any) -> float:
        """A float between `a` and `b`."""
        return self._r.uniform(a, b)

    def triangular(self, low: Any = 0.0, high: Any = 1.0, mode: Any = None) -> float:
        """A float from the triangular distribution."""
        return self._r.triangular(low, high, mode)

    def gauss(self, mu: Any = 0.0, sigma: Any = 1.0) -> float:
        """A float from the normal distribution (``gauss``)."""
        return self._r.gauss(mu, sigma)

    def normalvariate(self, mu: Any = 0.0, sigma: Any = 1.0) -> float:
        """A float from the normal distribution."""
        return self._r.normalvariate(mu, sigma)

    def expovariate(self, lambd: Any = 1.0) -> float:
        """A float from the exponential distribution."""
        return self._r.expovariate(lambd)

    def betavariate(self, alpha: Any, beta: Any) -> float:
        """A float from the beta distribution."""
        return self._r.betavariate(alpha, beta)

    def randint(self, a: Any, b: Any) -> int:
        """An int in [a, b]."""
        return self._r.randint(a, b)

    def randrange(self, start: Any, stop: Any = None, step: Any = 1) -> int:
        """An int from ``range(start, stop, step)``."""
        return self._r.randrange(start, stop, step)

    def getrandbits(self, k: Any) -> int:
        """An int of `k` random bits."""
        return self._r.getrandbits(check_int(self._g, k, self._g.max_bits, "getrandbits() k"))

    def choice(self, seq: Any) -> Any:
        """One item of a non-empty sequence."""
        return self._r.choice(seq)

    def choices(
        self, population: Any, weights: Any = None, *, cum_weights: Any = None, k: Any = 1
    ) -> list[Any]:
        """`k` items drawn with replacement (optionally weighted)."""
        g = self._g
        k = check_int(g, k, g.max_items, "choices() k")
        population = materialize(g, population, "population")
        if weights is not None:
            weights = materialize(g, weights, "weights")
        if cum_weights is not None:
            cum_weights = materialize(g, cum_weights, "cum_weights")
        g.ctx.charge(k >> 4)
        return self._r.choices(population, weights, cum_weights=cum_weights, k=k)

    def sample(self, population: Any, k: Any, *, counts: Any = None) -> list[Any]:
        """`k` distinct items (positions) of a sequence, in random order."""
        g = self._g
        k = check_int(g, k, g.max_items, "sample() k")
        if counts is not None:
            counts = materialize(g, counts, "counts")
        g.ctx.charge((k + len(population)) >> 4)
        return self._r.sample(population, k, counts=counts)

    def getstate(self) -> list[Any]:
        """The generator's state as JSON: ``[version, [625 ints], gauss_next]``."""
        self._g.ctx.charge(40)
        return json_state(self._r)

    def setstate(self, state: Any) -> None:
        """Restore a state `getstate` gave (lists or tuples), after checking its shape."""
        self._g.ctx.charge(40)
        self._r.setstate(_checked_state(state))

    def shuffle(self, x: Any) -> None:
        """Shuffle a list in place (a list in the state through its journal)."""
        g = self._g
        store = g.store
        g.ctx.charge(len(x) >> 4)
        if not store.is_state(x):
            self._r.shuffle(x)
            return
        if type(x) is not list:
            raise TypeError(f"shuffle() needs a list, not a {type(x).__name__}")
        order = list(range(len(x)))
        self._r.shuffle(order)  # the same swaps shuffle(x) would make
        store.set_item(x, slice(None), [x[i] for i in order])  # as x[:] = ... would


_NAMES = ("seed", "random", "uniform", "triangular", "gauss", "normalvariate", "expovariate")
_NAMES += ("betavariate", "randint", "randrange", "getrandbits", "choice", "choices", "sample")
_NAMES += ("shuffle", "getstate", "setstate")

INSTANCE_RULES: dict[type, Rules] = {
    RandomBase: Rules(
        "random.Random",
        dict.fromkeys(_NAMES, PLAIN),
        text=lambda g, v, r: "<random.Random object>",
        hint="store the generator's getstate() (or its seed) in the state, not the generator",
        exposed=True,
        counterpart=_random.Random,
    ),
}
CLASS_RULES: dict[type, Rules] = {
    RandomBase: Rules(
        "random.Random",
        {},
        text=lambda g, v, r: "<class 'random.Random'>",
        counterpart=_random.Random,
    ),
}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``random`` facade: a `Random` class bound to `guards`."""
    cls = type("Random", (RandomBase,), {"__slots__": (), "_g": guards, "__module__": "random"})
    return {"Random": cls}
