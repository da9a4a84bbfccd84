"""The bundled sample corpus (synth/corpus/sample.jsonl): format, labels, marked steps."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from synth.corpus import FORMATS, LABELS, load_labels, sample_corpus_path

REQUIRED = {"id", "text", "label", "kind", "domain", "format", "marked_steps"}
OPTIONAL = {"marked_conditions", "note"}
MINIMUMS = {"tool_procedure": 24, "hard_negative": 12, "negative": 8}


def _documents() -> list[dict[str, Any]]:
    raw = sample_corpus_path().read_bytes().decode("utf-8")  # strict: must be UTF-8
    lines = raw.splitlines()
    assert lines, "the corpus is empty"
    docs = []
    for number, line in enumerate(lines, 1):
        assert line.strip(), f"line {number} is blank"
        doc = json.loads(line)
        assert isinstance(doc, dict), f"line {number} is not a JSON object"
        docs.append(doc)
    return docs


DOCS = _documents()


def _words(text: str) -> int:
    return len(text.split())


def _assert_in_order(text: str, spans: list[str], what: str, doc_id: str) -> None:
    """Each span occurs verbatim in `text`, after the end of the previous one."""
    position = 0
    for span in spans:
        assert isinstance(span, str), f"{doc_id}: {what} entry {span!r} is not a string"
        assert span.strip() == span and span, f"{doc_id}: {what} {span!r} is empty or padded"
        assert span in text, f"{doc_id}: {what} {span!r} is not a substring of the text"
        found = text.find(span, position)
        assert found >= 0, f"{doc_id}: {what} {span!r} is out of order"
        position = found + len(span)


def test_every_line_is_a_json_object_with_a_unique_id() -> None:
    ids = [doc.get("id") for doc in DOCS]
    assert all(isinstance(i, str) and re.fullmatch(r"doc-\d{3}", i) for i in ids), ids
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []


@pytest.mark.parametrize("doc", DOCS, ids=[d.get("id", "?") for d in DOCS])
def test_fields_are_valid(doc: dict[str, Any]) -> None:
    keys = set(doc)
    assert keys >= REQUIRED, f"missing {REQUIRED - keys}"
    assert keys <= REQUIRED | OPTIONAL, f"unknown fields {keys - REQUIRED - OPTIONAL}"
    assert isinstance(doc["text"], str) and doc["text"].strip() == doc["text"] != ""
    assert doc["label"] in LABELS
    assert doc["format"] in FORMATS
    assert re.fullmatch(r"[a-z][a-z_]{1,30}", doc["kind"]), doc["kind"]
    assert isinstance(doc["domain"], str) and 0 < len(doc["domain"]) <= 30
    assert isinstance(doc["marked_steps"], list)
    assert isinstance(doc.get("marked_conditions", []), list)
    if "note" in doc:
        assert isinstance(doc["note"], str) and len(doc["note"]) > 20


@pytest.mark.parametrize("doc", DOCS, ids=[d.get("id", "?") for d in DOCS])
def test_marked_steps_and_conditions_are_verbatim_and_in_order(doc: dict[str, Any]) -> None:
    steps = doc["marked_steps"]
    conditions = doc.get("marked_conditions", [])
    if doc["label"] == "tool_procedure":
        assert len(steps) >= 2, "a procedure has several steps"
    else:
        assert steps == [] and conditions == [], "only procedures have marked spans"
    _assert_in_order(doc["text"], steps, "marked step", doc["id"])
    _assert_in_order(doc["text"], conditions, "marked condition", doc["id"])
    assert len(set(steps)) == len(steps), "a step is marked twice"
    assert not set(steps) & set(conditions), "a span is marked as both step and condition"


def test_counts_per_label_meet_the_minimums() -> None:
    counts = Counter(doc["label"] for doc in DOCS)
    assert len(DOCS) >= 44
    for label, minimum in MINIMUMS.items():
        assert counts[label] >= minimum, f"{label}: {counts[label]} < {minimum}"


def test_procedures_vary_in_length_format_and_kind() -> None:
    procedures = [doc for doc in DOCS if doc["label"] == "tool_procedure"]
    lengths = [_words(doc["text"]) for doc in procedures]
    assert all(70 <= n <= 650 for n in lengths), lengths
    assert sum(n > 350 for n in lengths) >= 4
    assert len({doc["format"] for doc in procedures}) >= 5
    assert len({doc["kind"] for doc in procedures}) >= 6
    assert len({doc["domain"] for doc in procedures}) >= 8


def test_procedure_kinds_are_not_negative_kinds() -> None:
    tool_kinds = {doc["kind"] for doc in DOCS if doc["label"] == "tool_procedure"}
    other_kinds = {doc["kind"] for doc in DOCS if doc["label"] != "tool_procedure"}
    assert tool_kinds.isdisjoint(other_kinds), tool_kinds & other_kinds


def test_sample_corpus_path_is_the_bundled_file() -> None:
    path = sample_corpus_path()
    assert isinstance(path, Path)
    assert path.is_file()
    assert path.name == "sample.jsonl"
    assert path.resolve().parent == Path(__file__).resolve().parents[1] / "synth" / "corpus"


def test_load_labels_gives_every_field_but_the_text() -> None:
    labels = load_labels()
    assert list(labels) == [doc["id"] for doc in DOCS]
    for doc in DOCS:
        expected = {key: value for key, value in doc.items() if key != "text"}
        assert labels[doc["id"]] == expected
        assert "text" not in labels[doc["id"]]


def test_load_labels_refuses_a_duplicate_id(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    line = json.dumps({"id": "doc-001", "text": "x", "label": "negative"})
    path.write_text(f"{line}\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dup\.jsonl:2: duplicate id 'doc-001'"):
        load_labels(path)


def test_load_labels_locates_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "doc-001", "text": "x"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: invalid JSON"):
        load_labels(path)
    path.write_text('["doc-001"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: not a JSON object"):
        load_labels(path)


def test_the_corpus_ships_as_package_data() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["synth"]
    assert any(sample_corpus_path().match(f"synth/{pattern}") for pattern in patterns)
