"""Streaming corpus readers: JSONL (also gzipped), a JSON list, Parquet, a directory of
text files, a Hugging Face dataset.

`read_corpus` yields one `Document` or one `ReadProblem` per input record, in input
order, and never holds more than one record (one Parquet batch) in memory, except for a
``.json`` list, which is loaded whole. Nothing is silently dropped: a line that is not
JSON, not an object, has no usable text, repeats an id or is not UTF-8 becomes a
`ReadProblem` (the run records it and goes on); only blank lines are skipped, they are no
record. `check_corpus` catches developer errors (missing path, unknown format, missing
optional package, a wrong ``--text-field``) before any work; `count_documents` gives a
progress-bar total.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, Field

from synth.id_index import IdIndex

Kind = Literal["jsonl", "json", "parquet", "directory", "hf"]
HF_PREFIX = "hf:"
TEXT_SUFFIXES = (".txt", ".md")
RAW_LIMIT = 2000
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_PEEK = 5
_BATCH_ROWS = 1024


class Document(BaseModel):
    """One input document of the corpus."""

    id: str = Field(description="The record's id, or a stable '<file name>:<line>'.")
    text: str = Field(description="The document text (a non-empty string).")
    source: str = Field(description="The file path or the dataset name it was read from.")
    line: int | None = Field(
        default=None, description="1-based line, row or list position; None for a file."
    )
    meta: dict[str, Any] = Field(default_factory=dict, description="The record's other fields.")


class ReadProblem(BaseModel):
    """An input record that is no document, and why (the run records it and goes on)."""

    document_id: str = Field(description="The record's id when known, else '<file name>:<line>'.")
    source: str = Field(description="The file path or the dataset name.")
    line: int | None = Field(default=None, description="1-based line, row or list position.")
    error: str = Field(description='What is wrong, with where: "line 7: not JSON: ...".')
    raw: str | None = Field(default=None, description=f"The raw record, cut to {RAW_LIMIT} chars.")


class CorpusError(Exception):
    """The corpus cannot be read at all (a developer error); the message says what to do."""


# -- which reader ---------------------------------------------------------------------


def corpus_kind(source: str | Path) -> Kind:
    """The reader `source` needs, from its form (``hf:``), its type or its extension.

    Raises:
        CorpusError: the extension is none of the supported ones.
    """
    text = str(source)
    if isinstance(source, str) and text.startswith(HF_PREFIX):
        return "hf"
    path = Path(source)
    if path.is_dir():
        return "directory"
    name = path.name.lower()
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".parquet"):
        return "parquet"
    raise CorpusError(
        f"{text}: unknown corpus format; give a .jsonl, .ndjson, .jsonl.gz, .json (a list), "
        f".parquet file, a directory of .txt/.md files, or hf:<dataset>[:<split>]"
    )


def check_corpus(source: str | Path, text_field: str = "text", id_field: str = "id") -> None:
    """Fail before any work when `source` cannot be read as a corpus.

    Raises:
        CorpusError: the source does not exist or is not readable, its format is unknown,
            the `datasets` package is missing for ``hf:``, a directory holds no text file,
            or none of the first records has `text_field` (the message lists the fields
            they have and suggests ``--text-field``).
    """
    if isinstance(source, str) and source.startswith(HF_PREFIX):
        _hf_name(source)
        _import_datasets()
        return
    path = Path(source)
    if not path.exists():
        raise CorpusError(f"{path}: no such file or directory; give the path of a corpus")
    if not os.access(path, os.R_OK):
        raise CorpusError(f"{path}: not readable; check its permissions")
    kind = corpus_kind(path)
    if kind == "directory":
        if next(iter(_text_files(path)), None) is None:
            raise CorpusError(f"{path}: no .txt or .md file under this directory")
        return
    if kind == "parquet":
        names = _parquet_columns(path)
        if text_field not in names:
            raise CorpusError(_missing_text_field(path, text_field, names, []))
        return
    parsed = (item for item in _raw_records(path, kind) if not isinstance(item, ReadProblem))
    records = [r for _, r, _ in itertools.islice(parsed, _PEEK) if isinstance(r, dict)]
    if records and not any(text_field in r for r in records):
        names = sorted({name for r in records for name in r})
        raise CorpusError(_missing_text_field(path, text_field, names, records))


def _missing_text_field(
    path: Path, field: str, names: Iterable[str], records: list[dict[str, Any]]
) -> str:
    """Say which fields there are, and suggest the one holding the longest strings."""
    names = list(names)
    lengths = {n: max((len(r[n]) for r in records if isinstance(r.get(n), str)), default=0)
               for n in names}  # fmt: skip
    best = max(names, key=lambda n: lengths[n], default=None)
    hint = f"; pass --text-field {best}" if best is not None and lengths[best] else ""
    n = len(records)
    where = (
        "the file has" if not n else f"the first {'record has' if n == 1 else f'{n} records have'}"
    )
    return f"{path}: {where} no field {field!r} (fields: {', '.join(names) or 'none'}){hint}"


def count_documents(
    source: str | Path, text_field: str = "text", id_field: str = "id"
) -> int | None:
    """How many records `read_corpus` will yield (documents and problems), cheaply.

    Returns None for a Hugging Face dataset (streamed, its length is not known).
    `text_field` and `id_field` are accepted for symmetry and do not change the count.
    """
    del text_field, id_field
    kind = corpus_kind(source)
    if kind == "hf":
        return None
    path = Path(source)
    if kind == "directory":
        return sum(1 for _ in _text_files(path))
    if kind == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if kind == "json":
        return len(_json_list(path))
    with _open_binary(path) as f:
        return sum(1 for line in f if line.strip())


# -- reading --------------------------------------------------------------------------


def read_corpus(
    source: str | Path, *, text_field: str = "text", id_field: str = "id"
) -> Iterator[Document | ReadProblem]:
    """Stream `source` as documents and problems, one per record, in input order.

    A record without `id_field` gets the stable id ``"<file name>:<line>"``; an integer
    id is read as its decimal text. Directory files have the path relative to the
    directory (with ``/``) as id.

    Raises:
        CorpusError: the source cannot be read at all (see `check_corpus`).
    """
    kind = corpus_kind(source)
    if kind == "directory":
        yield from _read_directory(Path(source))
        return
    records = _Records(str(source), kind, text_field, id_field)
    for item in _raw_records(source, kind):
        yield item if isinstance(item, ReadProblem) else records.item(*item)


_Raw = tuple[int, Any, "str | None"]


def _raw_records(source: str | Path, kind: Kind) -> Iterator[_Raw | ReadProblem]:
    """Yield ``(number, record, raw text or None)`` per record, or a `ReadProblem`."""
    if kind == "jsonl":
        return _jsonl_records(Path(source))
    if kind == "json":
        return ((i, r, None) for i, r in enumerate(_json_list(Path(source)), 1))
    if kind == "parquet":
        return _parquet_records(Path(source))
    return _hf_records(str(source))


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _jsonl_records(path: Path) -> Iterator[_Raw | ReadProblem]:
    number = 0
    with _open_binary(path) as f:
        try:
            for number, data in enumerate(f, 1):
                if not data.strip():
                    continue
                if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
                yield _jsonl_record(path, number, data)
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            yield ReadProblem(
                document_id=f"{path.name}:{number + 1}",
                source=str(path),
                line=number + 1,
                error=f"line {number + 1}: cannot read on: {exc}; the rest of the file is lost",
            )


def _jsonl_record(path: Path, number: int, data: bytes) -> _Raw | ReadProblem:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raw = data.decode("utf-8", "replace")
        return _problem(path, number, f"not UTF-8: {exc.reason} at byte {exc.start}", raw)
    try:
        return number, json.loads(text), text.rstrip("\r\n")
    except json.JSONDecodeError as exc:
        return _problem(path, number, f"not JSON: {exc.msg} at column {exc.colno}", text)
    except RecursionError:
        return _problem(path, number, "not JSON: nested too deeply", text)


def _problem(path: Path, number: int, error: str, raw: str | None) -> ReadProblem:
    return ReadProblem(
        document_id=f"{path.name}:{number}",
        source=str(path),
        line=number,
        error=f"line {number}: {error}",
        raw=_cut(raw.rstrip("\r\n")) if raw is not None else None,
    )


def _json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 ({exc.reason}); re-encode it") from None
    except json.JSONDecodeError as exc:
        raise CorpusError(
            f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}; a .json corpus is one "
            "JSON list of objects (or give JSONL, one object per line, as .jsonl)"
        ) from None
    if not isinstance(data, list):
        raise CorpusError(
            f"{path}: a .json corpus is a JSON list of objects, not {_type_name(data)}; "
            "give JSONL (one object per line) as .jsonl for anything else"
        )
    return data


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        return list(pq.ParquetFile(path).schema_arrow.names)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a bad file
        raise CorpusError(f"{path}: not a Parquet file ({exc})") from None


def _parquet_records(path: Path) -> Iterator[_Raw]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS):
        for record in batch.to_pylist():
            number += 1
            yield number, record, None


def _hf_name(source: str) -> tuple[str, str]:
    name, _, split = source[len(HF_PREFIX) :].partition(":")
    if not name:
        raise CorpusError(f"{source!r}: give a dataset name, e.g. hf:user/dataset:train")
    return name, split or "train"


def _import_datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise CorpusError(
            "reading hf:<dataset> needs the `datasets` package: pip install datasets"
        ) from None
    return datasets


def _hf_records(source: str) -> Iterator[_Raw]:
    datasets = _import_datasets()
    name, split = _hf_name(source)
    try:
        rows = datasets.load_dataset(name, split=split, streaming=True)
    except Exception as exc:  # the hub's errors vary by version
        raise CorpusError(f"{source}: cannot open the dataset: {exc}") from None
    for number, record in enumerate(rows, 1):
        yield number, record, None


class _Records:
    """Turns the parsed records of one source into documents and problems."""

    def __init__(self, source: str, kind: Kind, text_field: str, id_field: str) -> None:
        self.source, self.text_field, self.id_field = source, text_field, id_field
        self.label = _hf_name(source)[0] if kind == "hf" else Path(source).name
        self.where = {"jsonl": "line", "json": "item"}.get(kind, "row")
        self.seen = IdIndex()

    def item(self, number: int, record: Any, raw: str | None) -> Document | ReadProblem:
        """The document of `record` (record `number`), or the problem that it is not one."""
        text_field, id_field = self.text_field, self.id_field
        document_id = f"{self.label}:{number}"
        if not isinstance(record, dict):
            error = f"not a JSON object but {_type_name(record)} (one object per record)"
            return self._problem(number, record, raw, error, document_id)
        value = record.get(id_field)
        if isinstance(value, bool) or not isinstance(value, (str, int, type(None))):
            error = f"field {id_field!r} is {_type_name(value)}, not a string or an integer"
            return self._problem(number, record, raw, error, document_id)
        if value is not None and not str(value).strip():
            return self._problem(number, record, raw, f"field {id_field!r} is empty", document_id)
        document_id = document_id if value is None else str(value)
        text = record.get(text_field)
        if text_field not in record:
            error = (
                f"field {text_field!r} is missing (fields: {', '.join(sorted(record)) or 'none'})"
            )
        elif not isinstance(text, str):
            error = f"field {text_field!r} is {_type_name(text)}, not a string"
        elif not text.strip():
            error = f"field {text_field!r} is empty"
        elif (first := self.seen.first(document_id, number)) != number:
            error = f"duplicate document id {document_id!r} (first at {self.where} {first})"
        else:
            meta = {k: v for k, v in record.items() if k not in (text_field, id_field)}
            return Document(id=document_id, text=text, source=self.source, line=number, meta=meta)
        return self._problem(number, record, raw, error, document_id)

    def _problem(
        self, number: int, record: Any, raw: str | None, error: str, document_id: str
    ) -> ReadProblem:
        return ReadProblem(
            document_id=document_id,
            source=self.source,
            line=number,
            error=f"{self.where} {number}: {error}",
            raw=_cut(raw if raw is not None else _dump(record)),
        )


def _text_files(root: Path) -> Iterator[Path]:
    """The .txt/.md files under `root`, recursively, by relative path; hidden ones skipped."""
    files = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in TEXT_SUFFIXES and path.is_file():
            files.append((relative.as_posix(), path))
    for _, path in sorted(files):
        yield path


def _read_directory(root: Path) -> Iterator[Document | ReadProblem]:
    for path in _text_files(root):
        document_id, data = path.relative_to(root).as_posix(), path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            error = f"{document_id}: not UTF-8: {exc.reason} at byte {exc.start}"
            raw: str | None = _cut(data.decode("utf-8", "replace"))
        else:
            if text.strip():
                yield Document(
                    id=document_id, text=text, source=str(path), meta={"path": document_id}
                )
                continue
            error, raw = f"{document_id}: empty file", None
        yield ReadProblem(document_id=document_id, source=str(path), error=error, raw=raw)


def _cut(text: str) -> str:
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…"


def _dump(record: Any) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(record)


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names.update({int: "a number", float: "a number", type(None): "null", bytes: "bytes"})
    return names.get(type(value), type(value).__name__)
