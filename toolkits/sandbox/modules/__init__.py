"""Pure modules tool code may import (`datetime`, `math`, `re`, ...), as sandbox facades.

This package owns everything about importable modules: which modules exist
(`names`), the facade objects `import` binds (`core.Facade`), which attributes of the
values they create tool code may read (the `Rules` of each module), and how those
values print. One module per sandbox module: `dates`, `maths`, `regex` (with
`regex_match` and `regex_syntax`), `jsonlib`, `copying`, `typing_names`, `strings`,
`containers` (collections, with `counting`), `iterators` (itertools), `randomness`;
shared pieces in `core`. The rest
of the sandbox reaches it only through the hooks below (they must stay cheap:
`attribute` runs only after the built-in whitelist missed).

Hooks:
    make_importer(guards): the ``__import__`` builtin of a toolkit's module.
    attribute(guards, obj, name): the value of ``obj.name`` for module values, or
        `NOT_HANDLED` when this package does not know `obj`'s type.
    text(guards, value, repr_): ``repr(value)`` (``repr_=True``) or ``str(value)`` of a
        module value, bounded, or None when this package does not know its type.
    formattable(value): True when an f-string format spec applies to `value` itself
        (``f"{d:%Y-%m-%d}"`` on a date).
    format_proxy(guards, value): what to hand ``format()`` for a `formattable` value
        (for dates, a proxy that checks the spec as ``strftime`` checks its format).
    json_hint(value): what to store or return instead of a module value that is not
        JSON (``"use d.isoformat()"``), or None.
    has_attribute(obj, name): whether ``obj.name`` would succeed for a module value
        (``hasattr``), or None when this package does not know `obj`'s type. Never aborts.
    exposed_type(value): the class ``type(value)`` may give tool code for a module value
        (the class the module already exposes, e.g. ``datetime.date``), or None.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from toolkits.sandbox.modules import (
    containers,
    copying,
    dates,
    iterators,
    jsonlib,
    maths,
    randomness,
    regex,
    strings,
    typing_names,
)
from toolkits.sandbox.modules.core import ITERATOR_RULES, PLAIN, ChargedIterator, Facade, Rules
from toolkits.sandbox.modules.core import violation as _violation
from toolkits.sandbox.modules.names import REFUSED, closest

NOT_HANDLED: Any = object()
"""Returned by `attribute` for objects this package does not own."""

_FUTURE = {"annotations": typing_names.TypingForm("__future__.annotations")}
_BUILDERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "datetime": dates.build,
    "math": maths.build,
    "re": regex.build,
    "json": jsonlib.build,
    "copy": copying.build,
    "typing": typing_names.build,
    "string": strings.build,
    "collections": containers.build,
    "itertools": iterators.build,
    "random": randomness.build,
    "__future__": lambda guards: dict(_FUTURE),
}
_PARTS = (dates, maths, regex, jsonlib, copying, typing_names, strings, containers)
_PARTS += (iterators, randomness)
_INSTANCE: dict[type, Rules] = {ChargedIterator: ITERATOR_RULES}
_CLASS: dict[type, Rules] = {}
for _part in _PARTS:
    _INSTANCE.update(getattr(_part, "INSTANCE_RULES", {}))
    _CLASS.update(getattr(_part, "CLASS_RULES", {}))
_FORMATTABLE = frozenset(t for t, rules in _INSTANCE.items() if rules.formattable)


def make_importer(guards: Any) -> Any:
    """The ``__import__`` builtin bound to one toolkit's guards (facades built once)."""
    built: dict[str, Facade] = {}

    def sandbox_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = None, level: int = 0
    ) -> Any:
        if type(fromlist) is list and not fromlist and level == 0:
            # CPython's C code (date.strftime needs `time`) imports through the builtins
            # of the running frame and then reads sys.modules itself; compiled tool code
            # always passes None or a tuple. The module is not handed back.
            importlib.import_module(name)
            return None
        if level != 0 or type(name) is not str or name not in _BUILDERS:
            raise ImportError(f"import of {name!r} is not available in the sandbox")
        facade = built.get(name)
        if facade is None:
            facade = built[name] = Facade(name, _BUILDERS[name](guards))
        return facade

    return sandbox_import


def _rules(obj: Any) -> Rules | None:
    t = type(obj)
    if t is type:
        return _CLASS.get(obj) or _CLASS.get(obj.__base__)  # type: ignore[arg-type]
    return _INSTANCE.get(t) or _INSTANCE.get(t.__base__)  # type: ignore[arg-type]


def attribute(guards: Any, obj: Any, name: str) -> Any:
    """``obj.name`` for a value of a sandbox module, else `NOT_HANDLED`.

    A name the sandbox blocks (CPython has it) aborts the call as a sandbox violation;
    a name CPython does not have either raises CPython's AttributeError.
    """
    if type(obj) is Facade:
        attrs = obj._attrs
        if name in attrs:
            return attrs[name]
        module = obj._module
        why = REFUSED.get((module, name))
        if why is not None:
            _violation(guards, f"'{module}.{name}' is not available in the sandbox: {why}")
        if hasattr(importlib.import_module(module), name):
            _violation(guards, f"'{module}.{name}' is not available in the sandbox")
        raise AttributeError(f"module '{module}' has no attribute '{name}'" + closest(name, attrs))
    rules = _rules(obj)
    if rules is None:
        return NOT_HANDLED
    rule = rules.attributes.get(name)
    if rule is PLAIN:
        return getattr(obj, name)
    if rule is not None:
        return rule(guards, obj)
    why = rules.refused.get(name)
    if why is not None:
        _violation(guards, f"'{rules.name}.{name}' is not available in the sandbox: {why}")
    real = obj if rules.counterpart is None else rules.counterpart
    if not name.startswith("_") and hasattr(real, name):
        _violation(guards, f"attribute '{name}' of {rules.name} is not available in the sandbox")
    hint = closest(name, rules.attributes)
    if type(obj) is type:
        raise AttributeError(f"type object '{rules.name}' has no attribute '{name}'{hint}")
    raise AttributeError(f"'{rules.name}' object has no attribute '{name}'{hint}")


def text(guards: Any, value: Any, repr_: bool) -> str | None:
    """Bounded ``repr``/``str`` of a module value, or None for unknown types."""
    if type(value) is Facade:
        return f"<module '{value._module}'>"
    rules = _rules(value)
    if rules is None:
        return None
    if rules.text is None:
        return f"<{rules.name} object>"
    return rules.text(guards, value, repr_)


def formattable(value: Any) -> bool:
    """True when an f-string format spec applies to `value` (dates, times, ...)."""
    return type(value) in _FORMATTABLE


def format_proxy(guards: Any, value: Any) -> Any:
    """What to hand ``format()`` for a `formattable` value: for dates a proxy whose
    ``__format__`` checks the spec as ``strftime`` checks its format (no ``%s``)."""
    if type(value) in _FORMATTABLE:
        return dates.Formatted(guards, value)
    return value


def json_hint(value: Any) -> str | None:
    """What to store or return instead of this non-JSON module value, or None."""
    if type(value) is Facade:
        return "a module is not data"
    rules = _rules(value)
    if rules is None:
        return None
    if type(value) is type:
        return "a class is not data"
    return rules.hint


def has_attribute(obj: Any, name: str) -> bool | None:
    """Whether ``obj.name`` would succeed for a module value; None for unknown types."""
    if type(obj) is Facade:
        return name in obj._attrs
    rules = _rules(obj)
    if rules is None:
        return None
    return name in rules.attributes


def exposed_type(value: Any) -> Any | None:
    """The exposed class of a module value (what ``type(value)`` gives), or None."""
    if type(value) is type:
        return None
    rules = _rules(value)
    return type(value) if rules is not None and rules.exposed else None
