"""The sandbox's ``math``: CPython's float and integer functions, with big results refused.

Most functions are CPython's own (bounded C on floats and on integers the sandbox
already bounds). The ones that can build huge integers inside one uninterruptible C
call (``factorial``, ``comb``, ``perm``, ``prod``, ``lcm``) first estimate the size
of their result and refuse it past ``Limits.max_int_bits``; ``fsum``, ``prod`` and
``dist`` read bounded inputs.
"""

from __future__ import annotations

import math as _math
from typing import Any

from toolkits.sandbox.modules.core import materialize
from toolkits.sandbox.modules.names import OFFERED

_LOG2 = _math.log(2)


def _index(value: Any, what: str) -> int:
    if type(value) is bool or type(value) is int:
        return int(value)
    raise TypeError(f"{what} must be an integer, not {type(value).__name__}")


def _log2_factorial(n: int) -> float:
    return _math.lgamma(n + 1) / _LOG2 if n < 1 << 52 else float("inf")


def _refuse_bits(guards: Any, bits: float, what: str) -> None:
    if bits > guards.max_bits + 1:
        guards.too_big(f"{what} would exceed {guards.max_bits} bits")


def _factorial(guards: Any, n: Any) -> int:
    n = _index(n, "factorial() argument")
    if n >= 0:
        _refuse_bits(guards, _log2_factorial(n), f"factorial({n})")
    return guards.check_size(_math.factorial(n))


def _comb(guards: Any, n: Any, k: Any) -> int:
    n, k = _index(n, "comb() n"), _index(k, "comb() k")
    if 0 <= k <= n:
        k = min(k, n - k)
        if n < 1 << 52:
            bits = (_math.lgamma(n + 1) - _math.lgamma(k + 1) - _math.lgamma(n - k + 1)) / _LOG2
        else:
            bits = k * n.bit_length()
        _refuse_bits(guards, bits, f"comb({n}, {k})")
    return guards.check_size(_math.comb(n, k))


def _perm(guards: Any, n: Any, k: Any = None) -> int:
    n = _index(n, "perm() n")
    k = n if k is None else _index(k, "perm() k")
    if 0 <= k <= n:
        if n < 1 << 52:
            bits = (_math.lgamma(n + 1) - _math.lgamma(n - k + 1)) / _LOG2
        else:
            bits = k * n.bit_length()
        _refuse_bits(guards, bits, f"perm({n}, {k})")
    return guards.check_size(_math.perm(n, k))


def _prod(guards: Any, iterable: Any, *, start: Any = 1) -> Any:
    result = start
    for value in materialize(guards, iterable, "prod() input"):
        result = guards.mul(result, value)
    return result


def _lcm(guards: Any, *integers: Any) -> int:
    bits = sum(_index(i, "lcm() argument").bit_length() for i in integers)
    _refuse_bits(guards, bits, "lcm()")
    return _math.lcm(*integers)


def _fsum(guards: Any, iterable: Any) -> float:
    return _math.fsum(materialize(guards, iterable, "fsum() input"))


def _dist(guards: Any, p: Any, q: Any) -> float:
    return _math.dist(
        materialize(guards, p, "dist() point"), materialize(guards, q, "dist() point")
    )


_GUARDED = {
    "factorial": _factorial,
    "comb": _comb,
    "perm": _perm,
    "prod": _prod,
    "lcm": _lcm,
    "fsum": _fsum,
    "dist": _dist,
}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``math`` facade (guarded functions bound to `guards`)."""
    names: dict[str, Any] = {name: getattr(_math, name) for name in OFFERED["math"]}
    for name, fn in _GUARDED.items():
        if name in names:
            names[name] = _bind(fn, guards)
    return names


def _bind(fn: Any, guards: Any) -> Any:
    def bound(*args: Any, **kwargs: Any) -> Any:
        return fn(guards, *args, **kwargs)

    bound.__name__ = fn.__name__.lstrip("_")
    bound.__qualname__ = bound.__name__
    return bound
