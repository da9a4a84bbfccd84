"""Which toolkits run in-process: `isolation="auto"` and the exact identity of a document.

A toolkit from the bundled examples, or from a file under a path the caller trusts,
runs in-process; anything else (a model wrote it, a file came from elsewhere) runs
under process isolation. A document is recognised as a bundled example by its exact
content: `document_key` is the `marshal` (format 2: no back-references, so equal
values in equal order give equal bytes whoever built them) of the JSON document,
which tells ``1``, ``1.0`` and ``true`` apart and costs a quarter of a canonical-JSON
hash. Equal keys mean equal documents; a document written with another key order
gets another key (it is then treated as unknown: the safe side).
"""

from __future__ import annotations

import functools
import marshal
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

Isolation = Literal["none", "process", "auto"]
"""``"none"``: in-process; ``"process"``: a worker process; ``"auto"``: see `resolve_isolation`."""

_EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


def document_key(document: dict[str, Any]) -> bytes:
    """The exact identity of a JSON document (bytes; equal only for equal documents).

    Raises:
        ValueError: the document holds a value `marshal` cannot write.
    """
    return marshal.dumps(document, 2)


@functools.lru_cache(maxsize=1)
def bundled_keys() -> frozenset[bytes]:
    """`document_key` of every bundled example, as `dump_toolkit` writes it."""
    from toolkits.examples import example_names, load_example
    from toolkits.spec import dump_toolkit

    return frozenset(document_key(dump_toolkit(load_example(n))) for n in example_names())


def resolve_isolation(
    source: Any, isolation: Isolation = "auto", *, trusted: Iterable[str | Path] = ()
) -> Literal["none", "process"]:
    """The isolation a toolkit gets: `isolation` itself unless it is ``"auto"``.

    With ``"auto"``: in-process for a path under the bundled examples or under a
    `trusted` path, and for a document (dict or `ToolkitSpec`) equal to a bundled
    example; process isolation for everything else.

    Raises:
        ValueError: `isolation` is not ``"none"``, ``"process"`` or ``"auto"``.
    """
    if isolation in ("none", "process"):
        return isolation
    if isolation != "auto":
        raise ValueError(f"isolation is 'none', 'process' or 'auto', not {isolation!r}")
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "["))
    ):
        path = Path(source).resolve()
        roots = [_EXAMPLES_DIR, *(Path(p).resolve() for p in trusted)]
        return "none" if any(path == r or r in path.parents for r in roots) else "process"
    if not isinstance(source, dict):
        from toolkits.spec import ToolkitSpec, dump_toolkit

        if not isinstance(source, ToolkitSpec):
            return "process"
        source = dump_toolkit(source)
    try:
        return "none" if document_key(source) in bundled_keys() else "process"
    except ValueError:
        return "process"
