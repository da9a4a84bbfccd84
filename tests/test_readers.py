"""Corpus readers: each record is a Document or a ReadProblem, in order; developer errors
fail early (check_corpus)."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import pytest

from synth.readers import (
    CorpusError,
    Document,
    ReadProblem,
    check_corpus,
    count_documents,
    read_corpus,
)

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
DOCS = CORPUS / "docs.jsonl"
HOWTOS = CORPUS / "howtos"


def _write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_fixture_gives_one_item_per_record_in_order() -> None:
    items = list(read_corpus(DOCS))
    kinds = [(type(i).__name__, i.line) for i in items]
    assert kinds == [
        ("Document", 1),
        ("Document", 2),
        ("ReadProblem", 4),  # line 3 is blank: no record
        ("Document", 5),
        ("ReadProblem", 6),
        ("ReadProblem", 7),
    ]
    first = items[0]
    assert isinstance(first, Document)
    assert first.id == "reset-router"
    assert first.source == str(DOCS)
    assert first.meta == {"url": "https://example.org/router", "lang": "en"}
    assert first.text.startswith("To reset the router")


def test_jsonl_problems_say_precisely_what_is_wrong() -> None:
    problems = [i for i in read_corpus(DOCS) if isinstance(i, ReadProblem)]
    corrupt, duplicate, no_text = problems
    assert corrupt.error.startswith("line 4: not JSON: Expecting property name")
    assert "at column" in corrupt.error
    assert corrupt.document_id == "docs.jsonl:4"
    assert corrupt.raw == '{"id": "broken", "text": "this line is cut off",'
    assert duplicate.error == "line 6: duplicate document id 'reset-router' (first at line 1)"
    assert duplicate.document_id == "reset-router"
    assert no_text.error == "line 7: field 'text' is missing (fields: body, id, url)"
    assert no_text.document_id == "no-text"


def test_a_record_without_id_gets_a_stable_file_name_and_line_id() -> None:
    (doc,) = [i for i in read_corpus(DOCS) if isinstance(i, Document) and i.line == 5]
    assert doc.id == "docs.jsonl:5"
    again = [i for i in read_corpus(DOCS) if isinstance(i, Document) and i.line == 5]
    assert again[0].id == doc.id


def test_non_object_bad_text_and_bad_id_are_problems(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "c.jsonl",
        [[1, 2], "just a string", {"id": "a", "text": ""}, {"id": "b", "text": ["x"]},
         {"id": ["x"], "text": "ok"}, {"id": 7, "text": "integer ids are read as text"}],
    )  # fmt: skip
    items = list(read_corpus(path))
    errors = [i.error for i in items if isinstance(i, ReadProblem)]
    assert errors == [
        "line 1: not a JSON object but a list (one object per record)",
        "line 2: not a JSON object but a string (one object per record)",
        "line 3: field 'text' is empty",
        "line 4: field 'text' is a list, not a string",
        "line 5: field 'id' is a list, not a string or an integer",
    ]
    assert isinstance(items[-1], Document) and items[-1].id == "7"


def test_invalid_utf8_is_a_problem_and_the_next_line_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n{"id": "b", "text": "fine"}\n')
    bad, good = list(read_corpus(path))
    assert isinstance(bad, ReadProblem)
    assert bad.error.startswith("line 1: not UTF-8:")
    assert "caf" in (bad.raw or "")
    assert isinstance(good, Document) and good.id == "b"


def test_custom_fields_and_raw_is_cut(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "c.ndjson", [{"key": "k1", "body": "procedure"}, {"key": "k2", "x": "y" * 5000}]
    )
    doc, problem = list(read_corpus(path, text_field="body", id_field="key"))
    assert isinstance(doc, Document) and (doc.id, doc.text, doc.meta) == ("k1", "procedure", {})
    assert isinstance(problem, ReadProblem)
    assert len(problem.raw or "") <= 2001


def test_gzipped_jsonl_streams(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write('{"id": "a", "text": "one"}\n\n{"id": "b", "text": "two"}\n')
    assert [i.id for i in read_corpus(path) if isinstance(i, Document)] == ["a", "b"]
    assert count_documents(path) == 2


def test_truncated_gzip_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    data = gzip.compress(b"".join(b'{"id": "%d", "text": "t"}\n' % i for i in range(2000)))
    path.write_bytes(data[: len(data) // 2])
    items = list(read_corpus(path))
    assert isinstance(items[-1], ReadProblem)
    assert "cannot read on" in items[-1].error


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"id": "a", "text": "one"}, {"text": "two"}, 3]))
    a, b, c = list(read_corpus(path))
    assert isinstance(a, Document) and a.line == 1
    assert isinstance(b, Document) and b.id == "c.json:2"
    assert isinstance(c, ReadProblem) and c.error.startswith("item 3: not a JSON object")
    assert count_documents(path) == 3


def test_json_that_is_not_a_list_is_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"id": "a", "text": "one"}')
    with pytest.raises(CorpusError, match="a JSON list of objects, not an object; give JSONL"):
        list(read_corpus(path))


def test_parquet_streams_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "c.parquet"
    table = pa.table(
        {
            "id": ["a", None, "c", "a"],
            "text": ["one", "two", None, "four"],
            "url": ["u1", "u2", "u3", "u4"],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    items = list(read_corpus(path))
    assert [type(i).__name__ for i in items] == [
        "Document",
        "Document",
        "ReadProblem",
        "ReadProblem",
    ]
    assert items[0].meta == {"url": "u1"}  # type: ignore[union-attr]
    assert items[1].id == "c.parquet:2"  # type: ignore[union-attr]
    assert items[2].error == "row 3: field 'text' is null, not a string"  # type: ignore[union-attr]
    assert items[3].error == "row 4: duplicate document id 'a' (first at row 1)"  # type: ignore[union-attr]
    assert count_documents(path) == 4
    check_corpus(path)
    with pytest.raises(CorpusError, match=r"no field 'body' \(fields: id, text, url\)"):
        check_corpus(path, text_field="body")


def test_directory_of_text_files() -> None:
    items = list(read_corpus(HOWTOS))
    assert [i.id for i in items] == ["01-wifi.md", "printing/setup.txt"]  # type: ignore[union-attr]
    assert all(isinstance(i, Document) and i.line is None for i in items)
    assert items[0].text.startswith("# Connect")  # type: ignore[union-attr]
    assert count_documents(HOWTOS) == 2
    check_corpus(HOWTOS)


def test_directory_problems_and_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xff\xfe bad")
    (tmp_path / "b.md").write_text("   \n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("hidden")
    bad, empty = list(read_corpus(tmp_path))
    assert isinstance(bad, ReadProblem) and bad.error.startswith("a.txt: not UTF-8")
    assert isinstance(empty, ReadProblem) and empty.error == "b.md: empty file"


def test_check_corpus_errors(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no such file or directory"):
        check_corpus(tmp_path / "missing.jsonl")
    (tmp_path / "c.csv").write_text("id,text\n")
    with pytest.raises(CorpusError, match="unknown corpus format"):
        check_corpus(tmp_path / "c.csv")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    with pytest.raises(CorpusError, match=r"no \.txt or \.md file"):
        check_corpus(empty_dir)
    path = _write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "body": "the text", "n": 1}])
    with pytest.raises(CorpusError) as info:
        check_corpus(path)
    assert "the first record has no field 'text' (fields: body, id, n)" in str(info.value)
    assert "--text-field body" in str(info.value)
    check_corpus(path, text_field="body")
    check_corpus(DOCS)  # a corrupt line is a ReadProblem later, not a developer error


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_check_corpus_unreadable(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "c.jsonl", [{"id": "a", "text": "x"}])
    path.chmod(0)
    try:
        with pytest.raises(CorpusError, match="not readable"):
            check_corpus(path)
    finally:
        path.chmod(0o600)


def test_hf_source_without_datasets_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets raises ImportError
    with pytest.raises(CorpusError, match="pip install datasets"):
        check_corpus("hf:user/corpus:train")
    with pytest.raises(CorpusError, match="pip install datasets"):
        list(read_corpus("hf:user/corpus"))
    assert count_documents("hf:user/corpus") is None
    with pytest.raises(CorpusError, match="give a dataset name"):
        check_corpus("hf:")


def test_hf_source_streams_through_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in `datasets` module: the reader asks for a streamed split and reads rows."""
    calls = []

    class _Datasets:
        @staticmethod
        def load_dataset(name: str, split: str, streaming: bool):
            calls.append((name, split, streaming))
            return iter([{"id": "x", "text": "one"}, {"text": None}])

    monkeypatch.setitem(sys.modules, "datasets", _Datasets)
    doc, problem = list(read_corpus("hf:user/corpus:validation"))
    assert calls == [("user/corpus", "validation", True)]
    assert isinstance(doc, Document) and doc.source == "hf:user/corpus:validation"
    assert isinstance(problem, ReadProblem) and problem.document_id == "user/corpus:2"


def test_duplicates_are_found_after_the_id_index_compacts(tmp_path: Path) -> None:
    """More ids than the index keeps in its dict: old ids are still recognised, exactly."""
    records: list[object] = [{"id": f"doc-{i}", "text": "t"} for i in range(10_000)]
    records += [{"id": "doc-17", "text": "again"}, {"id": "doc-9999", "text": "again"}]
    records.append({"id": "doc-new", "text": "new"})
    items = list(read_corpus(_write_jsonl(tmp_path / "big.jsonl", records)))
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert [p.error for p in problems] == [
        "line 10001: duplicate document id 'doc-17' (first at line 18)",
        "line 10002: duplicate document id 'doc-9999' (first at line 10000)",
    ]
    assert isinstance(items[-1], Document) and items[-1].id == "doc-new"


def test_text_field_hint_names_the_field_with_the_longest_text(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": "a", "title": "Reset", "content": "Open the panel, press reset and wait."}],
    )
    with pytest.raises(CorpusError, match=r"--text-field content$"):
        check_corpus(path)
