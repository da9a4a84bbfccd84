"""The offline heuristic "model" of the text-to-trajectory pipeline: deterministic, no
model, no network (what ``gem-env run`` uses with no arguments).

- `relevance(text)`: GEM's relevance decision from weighted textual features
  (`synth.heuristic.features`).
- `extract(text, document_id)`: the workflow (steps, execution graph, rules), a
  ``gem-env/toolkit@1`` document and a scenario (`synth.heuristic.extract`); raises
  `ExtractionError` (a `ValueError` with a ledger `reason`) when no toolkit can be made.

Modules: `spans` (offsets of headings, items, sentences), `steps` (which spans are
actions), `rules` (the conditions), `params` (typed parameters), `values` (synthesized
values), `design` (steps to tools), `toolkit_writer`, `scenario_writer`, `lexicon`.
"""

from synth.heuristic.extract import ExtractionError, extract
from synth.heuristic.features import relevance

__all__ = ["ExtractionError", "extract", "relevance"]
