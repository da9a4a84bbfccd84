"""Replacements (gem-env's own code, not BFCL's) for the BFCL methods that do not
convert as written: MathAPI's ``logarithm`` (mpmath) and ``square_root`` (decimal).

BFCL returns an mpmath or Decimal number, which is no JSON value (BFCL's executor
prints ``{'result': mpf('1.3')}``); these return the float of the same value rounded
to ``precision`` significant digits, which is what those numbers print as. The suite's
``--check`` names the difference in form as BFCL's, not a sandbox deviation.
"""

from __future__ import annotations

__all__ = ["OVERRIDES"]

MATH_API = """
def logarithm(self, value, base, precision):
    try:
        result = math.log(value) / math.log(base)
    except Exception as e:
        return {"error": str(e)}
    return {"result": self._significant(result, precision)}


def square_root(self, number, precision):
    if not isinstance(number, (int, float)):
        return {"error": "Input must be a number or computation resulted in an invalid operation"}
    if number < 0:
        return {"error": "Cannot calculate square root of a negative number"}
    return {"result": self._significant(math.sqrt(number), precision)}


def _significant(self, x, digits):
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, max(1, int(digits)) - 1 - math.floor(math.log10(abs(x))))
"""

#: class name -> override source (`synth.import_python.convert_class(overrides=...)`)
OVERRIDES = {"MathAPI": MATH_API}
