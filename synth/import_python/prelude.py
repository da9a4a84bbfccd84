"""The helper functions converted code calls (see `synth.import_python.rewrite`).

Each is sandbox source, emitted into a toolkit only when a converted body uses it, with
the imports it needs.
"""

from __future__ import annotations

__all__ = ["HELPERS", "helper_source"]

_RANDOM = "import random as _random_module"
_DATETIME = "import datetime as _datetime"

#: name -> (source, imports)
HELPERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "_random_call": (
        '''def _random_call(state, key, draw):
    """One draw of the generator kept in state[key], its state saved back."""
    generator = _random_module.Random(0)
    generator.setstate(state[key])
    value = draw(generator)
    state[key] = generator.getstate()
    return value''',
        (_RANDOM,),
    ),
    "_random_new": (
        '''def _random_new(seed):
    """The state of a generator seeded with `seed`, as the state keeps it."""
    return _random_module.Random(seed).getstate()''',
        (_RANDOM,),
    ),
    "_now": (
        '''def _now(state):
    """The time: the sandbox has no clock, so it is state['_now']."""
    return _datetime.datetime.fromisoformat(state["_now"])''',
        (_DATETIME,),
    ),
    "_timestamp": (
        '''def _timestamp(moment):
    """POSIX seconds of a time; a naive one is read as UTC (no local zone here)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_datetime.timezone.utc)
    return moment.timestamp()''',
        (_DATETIME,),
    ),
    "_fromtimestamp": (
        '''def _fromtimestamp(seconds):
    """The naive time of POSIX seconds, read as UTC (no local zone here)."""
    moment = _datetime.datetime.fromtimestamp(seconds, _datetime.timezone.utc)
    return moment.replace(tzinfo=None)''',
        (_DATETIME,),
    ),
    "_int_key": (
        '''def _int_key(key):
    """A key the state holds as text, as the int it was."""
    return int(key) if key.lstrip("-").isdigit() else key''',
        (),
    ),
    "_set_add": (
        '''def _set_add(items, value):
    """set.add on a set kept as a sorted list."""
    if value not in items:
        items.append(value)
        items.sort()''',
        (),
    ),
    "_set_discard": (
        '''def _set_discard(items, value):
    """set.discard on a set kept as a sorted list."""
    if value in items:
        items.remove(value)''',
        (),
    ),
    "_set_remove": (
        '''def _set_remove(items, value):
    """set.remove on a set kept as a sorted list."""
    if value not in items:
        raise KeyError(value)
    items.remove(value)''',
        (),
    ),
    "_set_update": (
        '''def _set_update(items, values):
    """set.update on a set kept as a sorted list."""
    for value in values:
        if value not in items:
            items.append(value)
    items.sort()''',
        (),
    ),
    "_alloc": (
        '''def _alloc(state, class_name):
    """A new object of `class_name` in the state's heap; its reference."""
    number = state.get("_next_object", 1)
    ref = "\\x1fobj:" + str(number)
    state["_next_object"] = number + 1
    state.setdefault("_objects", {})[ref] = {"_class": class_name}
    return ref''',
        (),
    ),
    "_obj": (
        '''def _obj(state, ref):
    """The record of the object `ref` refers to."""
    objects = state.get("_objects", {})
    if not isinstance(ref, str) or ref not in objects:
        kind = "NoneType" if ref is None else "value"
        raise AttributeError(f"'{kind}' object has no attributes")
    return objects[ref]''',
        (),
    ),
    "_getattr": (
        '''def _getattr(state, ref, name):
    """`ref.name` for an object of the heap."""
    record = _obj(state, ref)
    if name not in record:
        raise AttributeError(f"'{record['_class']}' object has no attribute '{name}'")
    return record[name]''',
        (),
    ),
    "_isinstance": (
        '''def _isinstance(state, value, class_names):
    """isinstance(value, classes) for objects of the heap."""
    objects = state.get("_objects", {})
    return isinstance(value, str) and value in objects and (
        objects[value]["_class"] in class_names
    )''',
        (),
    ),
    "_uuid4": (
        '''def _uuid4(state, hex_only=False):
    """A version-4 uuid drawn from state["_random"] (the sandbox has no OS randomness)."""
    bits = _random_call(state, "_random", lambda _rng: _rng.getrandbits(128))
    bits = (bits & ~(0xF000 << 64)) | (4 << 76)
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    text = f"{bits:032x}"
    if hex_only:
        return text
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"''',
        (),
    ),
    "_enum_member": (
        '''def _enum_member(value, values, name):
    """Enum(value): the value itself, when it is one of the enum's."""
    if value not in values:
        raise ValueError(f"{value!r} is not a valid {name}")
    return value''',
        (),
    ),
    "_asdict": (
        '''def _asdict(state, value):
    """dataclasses.asdict of a heap object: its fields, objects in them expanded."""
    objects = state.get("_objects", {})
    if isinstance(value, str) and value in objects:
        return {k: _asdict(state, v) for k, v in objects[value].items() if k != "_class"}
    if isinstance(value, dict):
        return {k: _asdict(state, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_asdict(state, v) for v in value]
    return value''',
        (),
    ),
    "_setfield": (
        '''def _setfield(state, ref, name, value):
    """ref.name = value for a heap object; a dict or list is stored as a copy, since a
    state holds no container in two places (objects stay shared: they are references)."""
    if isinstance(value, (dict, list)):
        value = _copy_module.deepcopy(value)
    _obj(state, ref)[name] = value''',
        ("import copy as _copy_module",),
    ),
    "_utf8_length": (
        '''def _utf8_length(text):
    """len(text.encode("utf-8")), without bytes."""
    size = 0
    for char in text:
        code = ord(char)
        size += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return size''',
        (),
    ),
}
DEPENDS = {"_getattr": {"_obj"}, "_setfield": {"_obj"}, "_uuid4": {"_random_call"}}


def helper_source(names: set[str]) -> tuple[list[str], set[str]]:
    """The sources of helpers `names` (sorted, so output is stable) and their imports."""
    sources, imports = [], set()
    names = set(names)
    for name in list(names):
        names |= DEPENDS.get(name, set())
    for name in sorted(names):
        source, needed = HELPERS[name]
        sources.append(source)
        imports.update(needed)
    return sources, imports
