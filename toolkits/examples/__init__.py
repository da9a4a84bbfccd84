"""Hand-written example toolkits shipped with the package, and their loader.

Each example is a `gem-env/toolkit@1` JSON file in this directory, modelled on a real
procedure and enforcing its policy in code (a refused request raises `ToolError`):

- `online_store_returns`: an online store's returns desk (RMAs, labels, refunds, exchanges).
- `it_helpdesk_accounts`: an IT helpdesk (identity checks, unlocks, password policy,
  license seats, manager approvals, tickets).
- `clinic_appointments`: a clinic booking desk (coverage and referrals, booking,
  24-hour reschedule and cancellation rules, waitlist).

They are fixtures for tests, the checker (`toolkits.check_toolkit`) and the env::

    spec = load_example("clinic_appointments")
    toolkit = compile_toolkit(spec)
"""

from __future__ import annotations

import difflib
from pathlib import Path

from toolkits.errors import UnknownExampleError
from toolkits.spec import ToolkitSpec, load_toolkit

__all__ = ["example_names", "example_path", "load_example"]

_DIR = Path(__file__).parent


def example_names() -> list[str]:
    """Return the sorted names of the bundled example toolkits."""
    return sorted(p.stem for p in _DIR.glob("*.json"))


def example_path(name: str) -> Path:
    """Return the path of the bundled example toolkit `name`.

    Raises:
        UnknownExampleError: when no example has that name; the message lists close matches.
    """
    names = example_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownExampleError(
            f"no example toolkit named {name!r}.{hint} Available: {', '.join(names)}."
        )
    return _DIR / f"{name}.json"


def load_example(name: str) -> ToolkitSpec:
    """Load and validate the bundled example toolkit `name` (see `example_names`).

    Raises:
        UnknownExampleError: when no example has that name.
    """
    return load_toolkit(example_path(name))
