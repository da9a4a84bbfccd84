"""BFCL's multi-turn data and classes, read from the user's installed `bfcl-eval`.

Nothing of BFCL is bundled here: `installed()` finds the package (``pip install --no-deps
bfcl-eval``; its MathAPI also needs ``mpmath``), `entries` reads one category's entries
with their ground truth, `load_class` imports one of its classes and `function_docs` its
function docs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from synth.import_python.schemas import function_docs as _read_docs
from synth.inputs import json_records

__all__ = ["CATEGORIES", "SuiteError", "entries", "function_docs", "installed", "load_class"]

CATEGORIES = ("base", "miss_param", "miss_func", "long_context")
INSTALL = "pip install --no-deps bfcl-eval mpmath"
#: BFCL's prompt for a turn at which held-out functions become available (its
#: DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC).
REVEAL_PROMPT = "I have updated some more functions you can choose from. What about now?"


class SuiteError(Exception):
    """BFCL is not installed or its data is not where this version expects it."""


def installed() -> Path:
    """The directory of the installed ``bfcl_eval`` package.

    Raises:
        SuiteError: it is not installed (the message gives the install command).
    """
    try:
        package = importlib.import_module("bfcl_eval")
    except ImportError:
        raise SuiteError(f"bfcl-eval is not installed: {INSTALL}") from None
    root = Path(package.__file__ or "").parent
    if not (root / "data").is_dir():
        raise SuiteError(f"bfcl_eval at {root} has no data directory; reinstall: {INSTALL}")
    return root


def _backend_config() -> Any:
    return importlib.import_module("bfcl_eval.constants.executable_backend_config")


def entries(category: str) -> list[dict[str, Any]]:
    """The entries of ``multi_turn_<category>`` with their ``ground_truth``, in file order.

    Raises:
        SuiteError: an unknown category, or a data file that is missing or unreadable.
    """
    if category not in CATEGORIES:
        raise SuiteError(f"unknown category {category!r}; choose from {', '.join(CATEGORIES)}")
    root = installed() / "data"
    questions = _jsonl(next(root.glob(f"BFCL_*_multi_turn_{category}.json"), None))
    answers = {
        e["id"]: e["ground_truth"]
        for e in _jsonl(
            next((root / "possible_answer").glob(f"BFCL_*_multi_turn_{category}.json"), None)
        )
    }
    out = []
    for entry in questions:
        if entry.get("id") not in answers:
            raise SuiteError(f"entry {entry.get('id')} has no ground truth in possible_answer/")
        out.append({**entry, "ground_truth": answers[entry["id"]]})
    return out


def _jsonl(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.is_file():
        raise SuiteError(f"a BFCL data file is missing; reinstall: {INSTALL}")
    try:
        return json_records(path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SuiteError(f"{path}: {exc}") from None


def load_class(name: str) -> type:
    """One of BFCL's multi-turn classes (``TicketAPI``, ...), imported.

    Raises:
        SuiteError: an unknown class, or one whose module does not import (MathAPI
            needs mpmath).
    """
    mapping = _backend_config().CLASS_FILE_PATH_MAPPING
    if name not in mapping:
        raise SuiteError(f"BFCL has no class {name}")
    try:
        return getattr(importlib.import_module(mapping[name]), name)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise SuiteError(f"BFCL's {name} does not import ({exc}): {INSTALL}") from None


def stateless(name: str) -> bool:
    """Whether BFCL runs `name` without loading its configuration (MathAPI)."""
    return name in _backend_config().STATELESS_CLASSES


def function_docs(name: str) -> dict[str, dict[str, Any]]:
    """The function docs of class `name` by function name."""
    file = _backend_config().MULTI_TURN_FUNC_DOC_FILE_MAPPING[name]
    return _read_docs(installed() / "data" / "multi_turn_func_doc" / file)
