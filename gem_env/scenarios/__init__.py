"""Bundled example scenarios: realistic tasks on the example toolkits (package data).

One JSON file per example toolkit (``<toolkit name>.json``, a list of scenarios, each
naming its toolkit in ``toolkit``). Every toolkit has scenarios that need facts the
user reveals only when asked, and at least one the policy forbids (success = the
agent refuses and the relevant part of the state is unchanged)::

    from gem_env.scenarios import bundled_scenarios
    scenarios = bundled_scenarios()                       # all of them
    clinic = bundled_scenarios("clinic_appointments")     # one toolkit's
"""

from __future__ import annotations

import difflib
from pathlib import Path

from gem_env.errors import GemEnvError
from gem_env.scenario import Scenario, load_scenarios

__all__ = ["bundled_scenario", "bundled_scenarios", "scenario_files"]

_DIR = Path(__file__).parent


def scenario_files(directory: Path | None = None) -> list[Path]:
    """The scenario files (``*.json``) of `directory` (default: the bundled ones), sorted."""
    directory = _DIR if directory is None else Path(directory)
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def bundled_scenarios(
    toolkit: str | None = None, *, directory: Path | None = None
) -> list[Scenario]:
    """Load the bundled scenarios, all of them or those of one example toolkit.

    `directory` replaces the bundled directory (for tests and custom packs).

    Raises:
        GemEnvError: `toolkit` names no bundled scenarios file (close matches listed).
        ScenarioError: a bundled file is invalid (a packaging bug).
    """
    files = scenario_files(directory)
    if toolkit is not None:
        names = [p.stem for p in files]
        if toolkit not in names:
            close = difflib.get_close_matches(toolkit, names, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            available = ", ".join(names)
            raise GemEnvError(
                f"no bundled scenarios for toolkit {toolkit!r}.{hint} Available: {available}."
            )
        files = [f for f in files if f.stem == toolkit]
    return [s for path in files for s in load_scenarios(path)]


def bundled_scenario(scenario_id: str) -> Scenario:
    """The bundled scenario with this id.

    Raises:
        GemEnvError: no bundled scenario has this id (close matches listed).
    """
    scenarios = {s.id: s for s in bundled_scenarios()}
    if scenario_id in scenarios:
        return scenarios[scenario_id]
    close = difflib.get_close_matches(scenario_id, list(scenarios), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise GemEnvError(f"no bundled scenario {scenario_id!r}.{hint}")
