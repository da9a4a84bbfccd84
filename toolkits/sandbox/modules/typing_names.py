"""The sandbox's ``typing``: names for annotations and aliases, with no behaviour.

Annotations of tool functions are dropped by the policy; what remains is code that
builds aliases at module level (``Json = Dict[str, Any]``, ``Optional[int]``) and calls
``cast``. The names here are inert placeholders that can be subscripted and combined
with ``|``; ``cast(T, v)`` returns `v` and ``TYPE_CHECKING`` is False. Nothing of the
real ``typing`` module (its caches, ``get_type_hints``, classes) is reachable.
"""

from __future__ import annotations

from typing import Any

from toolkits.sandbox.modules.core import Rules
from toolkits.sandbox.modules.names import OFFERED


class TypingForm:
    """An inert typing placeholder: subscriptable, combinable with ``|``, not callable."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __getitem__(self, params: Any) -> TypingForm:
        base = self._name.split("[", 1)[0]
        return TypingForm(f"{base}[...]")

    def __or__(self, other: Any) -> TypingForm:
        return TypingForm("typing.Union[...]")

    def __ror__(self, other: Any) -> TypingForm:
        return TypingForm("typing.Union[...]")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self._name} cannot be instantiated; use a plain value")


def _type_var(name: Any, *constraints: Any, **options: Any) -> TypingForm:
    if type(name) is not str or len(name) > 100:
        raise TypeError("TypeVar() needs a short name string")
    return TypingForm(f"~{name}")


def _cast(typ: Any, value: Any) -> Any:
    """``typing.cast``: returns `value` unchanged."""
    return value


INSTANCE_RULES: dict[type, Rules] = {
    TypingForm: Rules(
        "typing",
        {},
        text=lambda g, v, r: v._name,
        hint="typing names are annotations, not data",
    ),
}
CLASS_RULES: dict[type, Rules] = {}

_SPECIAL = {"TYPE_CHECKING", "cast", "TypeVar"}
_FORMS = {name: TypingForm(f"typing.{name}") for name in OFFERED["typing"] - _SPECIAL}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``typing`` facade (the same inert objects for every toolkit)."""
    return {**_FORMS, "TYPE_CHECKING": False, "cast": _cast, "TypeVar": _type_var}


TypingForm.__name__ = TypingForm.__qualname__ = "typing form"  # what messages call it
