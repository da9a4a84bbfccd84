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
}


def helper_source(names: set[str]) -> tuple[list[str], set[str]]:
    """The sources of helpers `names` (sorted, so output is stable) and their imports."""
    sources, imports = [], set()
    for name in sorted(names):
        source, needed = HELPERS[name]
        sources.append(source)
        imports.update(needed)
    return sources, imports
