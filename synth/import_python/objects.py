"""Instances of the module's other classes (BFCL's ``File`` and ``Directory``) in a state.

A state is JSON, but a class's attributes may hold objects of helper classes that point
at each other (a directory's ``parent``, a ``_current_dir`` into the tree). They live in
a heap inside the state: ``state["_objects"]`` maps a reference (a text starting with
`REF_MARK`, so ``isinstance(ref, dict)`` stays False as for the object) to the object's
record ``{"_class": "Directory", "name": ..., "contents": {"a": REF, ...}}``; an
attribute holding an object holds its reference, so sharing and cycles survive, and
``a == b`` compares identities. `HeapEncoder` writes a Python object graph in that form;
`state_view` gives the tree view of a converted state (public attributes, objects
expanded, a cycle back to an ancestor cut to ``{"_cycle": class}``), the view
`synth.import_python.agreement.normalized` gives of the Python side: final states are
compared on it, as BFCL's ``__eq__`` compares trees.
"""

from __future__ import annotations

from typing import Any

from synth.import_python.values import state_value

__all__ = ["REF_MARK", "HeapEncoder", "state_view"]

REF_MARK = "\x1fobj:"
OBJECTS, NEXT = "_objects", "_next_object"


class HeapEncoder:
    """Writes values holding helper-class instances as JSON with references.

    Args:
        classes: the helper classes (instances of others are not JSON).
        dropped: per class name, attributes left out of the state (written, never read).
    """

    def __init__(
        self,
        classes: set[type],
        dropped: dict[str, set[str]],
        int_keyed: set[str] | None = None,
        sets: set[str] | None = None,
    ):
        self.classes = classes
        self.dropped = dropped
        self.int_keyed, self.sets = int_keyed, sets
        self.objects: dict[str, dict[str, Any]] = {}
        self._memo: dict[int, str] = {}
        self._keep: list[Any] = []  # keeps ids unique while encoding

    def encode(self, value: Any, where: str) -> Any:
        """The JSON form of `value`; objects go to `objects`, by reference.

        Raises:
            values.NotJSONError: a value with no JSON form.
        """
        return state_value(value, where, self.int_keyed, self.sets, self._reference)

    def _reference(self, obj: Any, where: str) -> str | None:
        """The reference of a helper-class object (written to the heap the first time it
        is met, before its attributes, so a cycle finds it), or None for other values."""
        if type(obj) not in self.classes:
            return None
        known = self._memo.get(id(obj))
        if known is not None:
            return known
        ref = f"{REF_MARK}{len(self.objects) + 1}"
        self._memo[id(obj)] = ref
        self._keep.append(obj)
        name = type(obj).__name__
        record: dict[str, Any] = {"_class": name}
        self.objects[ref] = record
        skip = self.dropped.get(name, set())
        for attr, value in vars(obj).items():
            if attr not in skip:
                record[attr] = self.encode(value, f"{where}.{attr}")
        return ref

    def heap(self) -> dict[str, Any]:
        """The state keys that hold the heap."""
        return {OBJECTS: self.objects, NEXT: len(self.objects) + 1}


def state_view(state: dict[str, Any], value: Any, path: tuple[str, ...] = ()) -> Any:
    """The tree view of a value of a converted state (references expanded)."""
    objects = state.get(OBJECTS, {})
    if isinstance(value, str) and value.startswith(REF_MARK) and value in objects:
        record = objects[value]
        if value in path:
            return {"_cycle": record["_class"]}
        inner = (*path, value)
        view = {"_class": record["_class"]}
        view.update(
            (k, state_view(state, v, inner)) for k, v in record.items() if not k.startswith("_")
        )
        return view
    if isinstance(value, dict):
        return {k: state_view(state, v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [state_view(state, v, path) for v in value]
    return value
