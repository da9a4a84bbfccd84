"""What `type()` and `T.method` give tool code: stand-ins, type tokens, unbound methods.

The sandbox's `list`, `dict`, `str`, `int`, `tuple` and `set` are guard functions, not
the real classes, so each is registered here as the *stand-in* of its class:

- ``type(v)`` gives the stand-in of the value's class (``type(v) is dict`` and
  ``type(v) in (int, float)`` are true as in CPython, and calling it constructs as the
  builtin does); for the sandbox's exception classes the class itself; for values of
  importable modules the class that module exposes; for anything else an opaque,
  non-callable `TypeToken` (one per class, so ``type(a) is type(b)`` still works).
  It never gives the real `type`, a function type or any class not already exposed.
- ``T.method`` on a stand-in is an `UnboundMethod`: ``str.lower(x)``,
  ``sorted(names, key=str.lower)``, ``dict.fromkeys(keys, 0)``;
  ``T.method(obj, *args)`` is exactly the guarded ``obj.method(*args)``, and raises
  CPython's TypeError when `obj` is not a `T`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import Any

from toolkits.sandbox import modules
from toolkits.sandbox.oset import ItemsView, KeysView, OrderedSet

#: CPython's names for the sandbox's own classes (messages, `type()` tokens).
CPYTHON_NAMES: dict[type, str] = {
    OrderedSet: "set",
    KeysView: "dict_keys",
    ItemsView: "dict_items",
}


def named_like_cpython(**qualnames: str) -> Callable[[Any], Any]:
    """Rename the functions a factory defines, by name, as CPython names the methods
    they stand for: a TypeError then says ``list.append()``, not the guard's name.

    ``@named_like_cpython(append="list.append")`` on a function defining ``append``.
    """

    def rename(factory: Any) -> Any:
        code = factory.__code__
        consts = tuple(
            c.replace(co_qualname=qualnames[c.co_name])
            if isinstance(c, CodeType) and c.co_name in qualnames
            else c
            for c in code.co_consts
        )
        factory.__code__ = code.replace(co_consts=consts)
        return factory

    return rename


def cpython_name(t: type) -> str:
    """The name CPython would give the class `t` of a value tool code holds."""
    if t is TypeToken:
        return "type"
    if t is UnboundMethod:
        return "method_descriptor"
    return CPYTHON_NAMES.get(t) or t.__name__


class TypeToken:
    """``type(v)`` for a class tool code may not hold: prints like it, compares by
    identity, works with `isinstance`, and can be neither called nor looked into."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"<class '{self._name}'>"


class UnboundMethod:
    """``T.method`` for a stand-in `T`: calls the guarded method of its first argument."""

    __slots__ = ("_getattr", "_name", "_owner", "_real")

    def __init__(self, getattr_: Callable[[Any, str], Any], real: type, owner: str, name: str):
        self._getattr = getattr_
        self._real = real
        self._owner = owner
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise TypeError(f"unbound method {self._owner}.{self._name}() needs an argument")
        obj = args[0]
        if not isinstance(obj, self._real):
            raise TypeError(
                f"descriptor '{self._name}' for '{self._owner}' objects doesn't apply to a "
                f"'{cpython_name(type(obj))}' object"
            )
        return self._getattr(obj, self._name)(*args[1:], **kwargs)

    def __repr__(self) -> str:
        return f"<method '{self._name}' of '{self._owner}' objects>"


class Classes:
    """The stand-ins, tokens and unbound methods of one toolkit (see the module doc).

    Args:
        getattr_: the toolkit's attribute guard (``Guards.getattr``).
        allowed: ``allowed(cls, name)``: whether the guard allows ``obj.name`` for an
            instance `obj` of the sandbox class `cls`.
    """

    def __init__(
        self, getattr_: Callable[[Any, str], Any], allowed: Callable[[type, str], bool]
    ) -> None:
        self._getattr = getattr_
        self._allowed = allowed
        self._stand_ins: dict[int, tuple[Any, type, type]] = {}  # id -> (stand-in, real, cpython)
        self._of_type: dict[type, Any] = {}  # sandbox class -> its stand-in
        self._exceptions: frozenset[type] = frozenset()
        self._tokens: dict[type, TypeToken] = {}
        self._token_types: dict[int, tuple[TypeToken, type]] = {}
        self._specials: dict[tuple[type, str], Any] = {}
        self._unbound: dict[tuple[int, str], UnboundMethod] = {}

    # -- registration (by make_builtins) -----------------------------------------------

    def register(self, stand_in: Any, real: type, cpython: type | None = None) -> None:
        """`stand_in` is what tool code calls `real` (``cpython``: its CPython class)."""
        self._stand_ins[id(stand_in)] = (stand_in, real, cpython or real)
        self._of_type.setdefault(real, stand_in)

    def register_special(self, real: type, name: str, value: Any) -> None:
        """``T.name`` for the stand-in of `real` is `value` (class methods: ``dict.fromkeys``)."""
        self._specials[(real, name)] = value

    def allow_exceptions(self, classes: Any) -> None:
        """Exception classes tool code holds by name: ``type(e)`` gives them."""
        self._exceptions = frozenset(classes)

    # -- type() ------------------------------------------------------------------------

    def type_of(self, value: Any) -> Any:
        """What ``type(value)`` gives tool code (see the module docstring)."""
        t = type(value)
        stand_in = self._of_type.get(t)
        if stand_in is not None:
            return stand_in
        if t in self._exceptions:
            return t
        if self.stand_in(value) is not None:  # type(int) is type in CPython
            return self.token(type)
        exposed = modules.exposed_type(value)
        if exposed is not None:
            return exposed
        return self.token(t)

    def token(self, t: type) -> TypeToken:
        """The one `TypeToken` of class `t`."""
        token = self._tokens.get(t)
        if token is None:
            token = self._tokens[t] = TypeToken(cpython_name(t))
            self._token_types[id(token)] = (token, t)
        return token

    def real_type(self, obj: Any) -> type | None:
        """The class a stand-in or token stands for (for `isinstance`), else None."""
        found = self._stand_ins.get(id(obj))
        if found is not None and found[0] is obj:
            return found[1]
        token = self._token_types.get(id(obj))
        if token is not None and token[0] is obj:
            return token[1]
        return None

    # -- T.method ----------------------------------------------------------------------

    def stand_in(self, obj: Any) -> tuple[Any, type, type] | None:
        """``(stand-in, sandbox class, CPython class)`` when `obj` is a stand-in."""
        found = self._stand_ins.get(id(obj))
        return found if found is not None and found[0] is obj else None

    def has_method(self, obj: Any, name: str) -> bool:
        """Whether ``obj.name`` gives something, for a stand-in `obj` (never aborts)."""
        found = self.stand_in(obj)
        if found is None:
            return False
        return (found[1], name) in self._specials or self._allowed(found[1], name)

    def method(self, obj: Any, name: str) -> Any:
        """``obj.name`` for a stand-in `obj`, or None when the sandbox has no such method."""
        found = self.stand_in(obj)
        if found is None:
            return None
        real, cpython = found[1], found[2]
        special = self._specials.get((real, name))
        if special is not None:
            return special
        if not self._allowed(real, name):
            return None
        key = (id(obj), name)
        unbound = self._unbound.get(key)
        if unbound is None:
            unbound = UnboundMethod(self._getattr, real, cpython.__name__, name)
            self._unbound[key] = unbound
        return unbound

    def counterpart(self, obj: Any) -> tuple[Any, bool]:
        """What CPython would have in place of `obj`, and whether that is a class.

        Used to word errors as CPython does, and to tell an attribute that does not
        exist from one that exists but is blocked.
        """
        t = type(obj)
        if t is OrderedSet:
            return set(), False
        if t is KeysView:
            return {}.keys(), False
        if t is ItemsView:
            return {}.items(), False
        found = self.stand_in(obj)
        if found is not None:
            return found[2], True
        token = self._token_types.get(id(obj))
        if token is not None and token[0] is obj:
            return token[1], True
        if t is UnboundMethod:
            return str.lower, False  # any method descriptor: they share their attributes
        return obj, isinstance(obj, type)

    def label(self, value: Any) -> str | None:
        """How `repr` prints a stand-in, token or unbound method; None for other values."""
        t = type(value)
        if t is TypeToken or t is UnboundMethod:
            return repr(value)
        found = self.stand_in(value)
        if found is not None:
            return f"<class '{found[2].__name__}'>"
        if isinstance(value, type) and value in self._exceptions:
            return f"<class '{value.__name__}'>"
        return None
