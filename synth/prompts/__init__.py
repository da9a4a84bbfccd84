"""Prompt templates of the pipeline stages, one file per stage (never inline strings).

A template is a system part and a user part separated by a line ``---user---``;
``$name`` placeholders are filled by `render` (`string.Template`: JSON braces need no
escaping). The first line of the system part is ``stage: <name>``, so a server (or the
stand-in) can tell the stages apart without a response format.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

__all__ = ["render", "template_parts"]

_DIR = Path(__file__).parent
_SPLIT = "\n---user---\n"


@functools.cache
def template_parts(name: str) -> tuple[str, str]:
    """The (system, user) templates of stage `name` (``<name>.txt`` here).

    Raises:
        FileNotFoundError: no template of that name.
    """
    text = (_DIR / f"{name}.txt").read_text(encoding="utf-8")
    if _SPLIT not in text:
        raise ValueError(f"prompt template {name}.txt has no '---user---' line")
    system, user = text.split(_SPLIT, 1)
    return system.strip("\n"), user.strip("\n")


def render(name: str, **values: Any) -> list[dict[str, str]]:
    """The chat messages of stage `name` with `values` filled in (a missing value is a
    `KeyError`: templates and stages must agree)."""
    system, user = template_parts(name)
    fill = {k: str(v) for k, v in values.items()}
    return [
        {"role": "system", "content": string.Template(system).substitute(fill)},
        {"role": "user", "content": string.Template(user).substitute(fill)},
    ]
