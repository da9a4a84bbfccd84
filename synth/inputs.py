"""Reading the files a command is given: scenarios and toolkits, with errors that say
what to fix (shared by `gem-env eval` and `gem-env check-scenario`), and JSON records
(`json_records`: a JSON list or JSON lines, for function docs and suite data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class BadInputError(Exception):
    """A file the command was given cannot be used; the message says why (exit 2)."""


def read_scenarios(name: str, flag: str = "") -> list[Any]:
    """The scenarios of file `name` (`gem_env.scenario.load_scenarios`).

    Raises:
        BadInputError: a directory, a missing or unreadable file, or invalid scenarios
            (a syntax error located as FILE:LINE:COL).
    """
    from gem_env.errors import GemEnvError, ScenarioError
    from gem_env.scenario import load_scenarios

    path = Path(name)
    if path.is_dir():
        raise BadInputError(f"{path} is a directory; {flag or 'give'} a scenarios file")
    try:
        return load_scenarios(path)
    except FileNotFoundError:
        raise BadInputError(f"no scenarios file at {path}") from None
    except ScenarioError as exc:  # its problems are located as FILE:LINE:COL already
        raise BadInputError(str(exc) if exc.source else f"{path}: {exc}") from None
    except GemEnvError as exc:
        raise BadInputError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read {path}: {exc}") from None


def json_records(path: Path) -> list[Any]:
    """The records of a JSON file: a JSON list (an object is one record) or JSON lines.

    Raises:
        OSError, UnicodeDecodeError: the file cannot be read.
        ValueError: a line is not JSON (``FILE:LINE: not JSON: ...``).
    """
    text = path.read_text(encoding="utf-8")
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
        return records
    return items if isinstance(items, list) else [items]


def read_toolkit(name: str, flag: str = "--toolkit") -> Any:
    """The `ToolkitSpec` of file `name` given with `flag`.

    Raises:
        BadInputError: the file is missing, unreadable or not a valid toolkit.
    """
    from toolkits import ToolkitError, load_toolkit

    try:
        return load_toolkit(Path(name))
    except ToolkitError as exc:
        raise BadInputError(f"{flag} {name}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read {flag} {name}: {exc}") from None
