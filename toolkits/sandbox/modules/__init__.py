"""Pure modules tool code may import (`datetime`, `math`, `re`, ...), as sandbox facades.

This package owns everything about importable modules: which modules exist, the facade
objects `import` binds, which attributes of the values they create tool code may read,
and how those values print. The rest of the sandbox reaches it only through the hooks
below (they must stay cheap: `attribute` runs only after the built-in whitelist missed).

Hooks:
    make_importer(guards): the ``__import__`` builtin of a toolkit's module.
    attribute(guards, obj, name): the value of ``obj.name`` for module values, or
        `NOT_HANDLED` when this package does not know `obj`'s type.
    text(guards, value, repr_): ``repr(value)`` (``repr_=True``) or ``str(value)`` of a
        module value, bounded, or None when this package does not know its type.
    formattable(value): True when an f-string format spec applies to `value` itself
        (``f"{d:%Y-%m-%d}"`` on a date).
    json_hint(value): what to store or return instead of a module value that is not
        JSON (``"store d.isoformat()"``), or None.
    has_attribute(obj, name): whether ``obj.name`` would succeed for a module value
        (``hasattr``), or None when this package does not know `obj`'s type. Never aborts.
    exposed_type(value): the class ``type(value)`` may give tool code for a module value
        (the class the module already exposes, e.g. ``datetime.date``), or None.
"""

from __future__ import annotations

from typing import Any

NOT_HANDLED: Any = object()
"""Returned by `attribute` for objects this package does not own."""


def make_importer(guards: Any) -> Any:
    """The ``__import__`` builtin bound to one toolkit's guards."""

    def sandbox_import(name: str, *args: Any, **kwargs: Any) -> Any:
        raise ImportError(f"import of {name!r} is not available in the sandbox")

    return sandbox_import


def attribute(guards: Any, obj: Any, name: str) -> Any:
    """``obj.name`` for a value of a sandbox module, else `NOT_HANDLED`."""
    return NOT_HANDLED


def text(guards: Any, value: Any, repr_: bool) -> str | None:
    """Bounded ``repr``/``str`` of a module value, or None for unknown types."""
    return None


def formattable(value: Any) -> bool:
    """True when an f-string format spec applies to `value` (dates, times, ...)."""
    return False


def json_hint(value: Any) -> str | None:
    """What to store or return instead of this non-JSON module value, or None."""
    return None


def has_attribute(obj: Any, name: str) -> bool | None:
    """Whether ``obj.name`` would succeed for a module value; None for unknown types."""
    return None


def exposed_type(value: Any) -> Any | None:
    """The exposed class of a module value (what ``type(value)`` gives), or None."""
    return None
