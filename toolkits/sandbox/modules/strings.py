"""The sandbox's ``string``: the character-class constants and ``capwords``.

``Template`` and ``Formatter`` are refused (a format string can walk attributes; use
f-strings).
"""

from __future__ import annotations

import string as _string
from typing import Any

from toolkits.sandbox.modules.core import check_text
from toolkits.sandbox.modules.names import OFFERED

_CONSTANTS = tuple(sorted(OFFERED["string"] - {"capwords"}))  # the one list: names.py
INSTANCE_RULES: dict[type, Any] = {}
CLASS_RULES: dict[type, Any] = {}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``string`` facade."""

    def capwords(s: Any, sep: Any = None) -> str:
        """Capitalize each word of `s` (words split by `sep`, default whitespace)."""
        check_text(guards, s, guards.max_str, "capwords() text")
        if sep is not None:
            check_text(guards, sep, guards.max_str, "capwords() sep")
        words = guards.check_size(s.split(sep))
        return guards.check_size((sep or " ").join(w.capitalize() for w in words))

    names: dict[str, Any] = {name: getattr(_string, name) for name in _CONSTANTS}
    names["capwords"] = capwords
    return names
