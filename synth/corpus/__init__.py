"""The bundled sample corpus that `gem-env run` reads when it is given no input.

`sample.jsonl` is hand-written fixture data: every document was written for this project
(none is copied from the web) to look like real how-to text, with different voices,
formats, noise and lengths. It serves as demonstration input and as a labelled fixture for
the relevance filter and the step extractor.

Each line is one JSON object:

- `id`: `doc-NNN`, unique.
- `text`: the document.
- `label`: `tool_procedure` (a multi-step procedure carried out by operating an app, a
  website, a computer or a machine), `hard_negative` (instructional or software-related
  text that is not tool use: recipes, workouts, crafts, reviews, software news) or
  `negative` (not procedural: essays, news, a poem, a biography, ...).
- `kind`: a short snake_case category (`web_app`, `router`, `recipe`, `poem`, ...).
- `domain`: the subject area (`banking`, `IT`, `home`, ...).
- `format`: one of `FORMATS`.
- `marked_steps`: for `tool_procedure`, the actions on the system a careful reader would
  mark, in order, each a verbatim substring of `text`; `[]` for the other labels.
- `marked_conditions` (optional): conditions and limits stated in the text, verbatim.
- `note` (optional): why a borderline document has the label it has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LABELS = ("tool_procedure", "hard_negative", "negative")
FORMATS = ("numbered_list", "prose", "forum_answer", "markdown", "faq", "mixed")


def sample_corpus_path() -> Path:
    """The bundled JSONL file (`synth/corpus/sample.jsonl`)."""
    return Path(__file__).with_name("sample.jsonl")


def load_labels(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Document id -> its label record (every field of its line except `text`).

    Reads `path`, by default the bundled corpus.

    Raises:
        ValueError: a line is not valid JSON, not an object with a string `id`, or repeats
            an id (the message gives the line number).
    """
    path = path or sample_corpus_path()
    labels: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: invalid JSON: {exc}") from None
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise ValueError(f"{path}:{number}: not a JSON object with a string id")
            doc_id = record["id"]
            if doc_id in labels:
                raise ValueError(f"{path}:{number}: duplicate id {doc_id!r}")
            labels[doc_id] = {key: value for key, value in record.items() if key != "text"}
    return labels
