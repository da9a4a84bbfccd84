"""Where the pieces of a text are: headings, list items and sentences, as offsets.

Every step and rule the extractor returns is a `Span` of the document, so its text is
the text's own words (`document[span.start:span.end] == span.text`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["Span", "split_sentences", "units", "words"]

_ITEM = re.compile(
    "^[ \t]*(?:(?:step|stage)\\s*(?:\\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
    "\\s*[:.)\u2013-]|\\(?\\d{1,2}[.):]|\\(?[a-hA-H][.)](?=\\s)|"
    "[-*\u2022+\u00b7\u25aa\u2023\u2013])[ \t]+",
    re.I,
)
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+")
# A markdown table: a row "| 1 | Sign in to the portal |" and its rule "|---|---|".
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*\|?[ \t]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*_]*\s+(?=[\"'(\[*_]*[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "Mr.", "Dr.", "No.", "Fig.")
_WORD = re.compile("[A-Za-z][A-Za-z0-9'\u2019+-]*|\\d+(?:\\.\\d+)?")


@dataclass(frozen=True)
class Span:
    """A piece of the document: its offsets, its text and what it is.

    Attributes:
        start: offset of the first character.
        end: offset after the last character.
        text: ``document[start:end]``.
        kind: ``heading``, ``item`` (of a numbered or bulleted list, with the list's
            number in `group`) or ``sentence`` (of a paragraph).
        group: the index of the list an item belongs to (-1 for other kinds).
    """

    start: int
    end: int
    text: str
    kind: str
    group: int = -1


def words(text: str) -> list[str]:
    """Lowercase words of a text (letters, digits, inner hyphens and apostrophes)."""
    return [w.lower().strip("'\u2019") for w in _WORD.findall(text)]


def _action_cell(line: str) -> tuple[int, int] | None:
    """The (start, end) in `line` of the table cell holding the most words (the action
    of a "| 2 | Click **Invoices** |" row), None when no cell has two words."""
    bars = [i for i, ch in enumerate(line) if ch == "|"]
    best: tuple[int, int, int] | None = None
    for a, b in itertools.pairwise(bars):
        count = len(words(line[a + 1 : b]))
        if count >= 2 and (best is None or count > best[0]):
            best = (count, a + 1, b)
    return None if best is None else (best[1], best[2])


def _trimmed(document: str, start: int, end: int) -> tuple[int, int]:
    while start < end and document[start].isspace():
        start += 1
    while end > start and document[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(document: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets inside ``document[start:end]``."""
    out = []
    cursor = start
    chunk = document[start:end]
    for m in _SENTENCE_END.finditer(chunk):
        cut = start + m.start()
        before = document[cursor:cut]
        if before.endswith(_ABBREVIATIONS) or re.search(r"\b[A-Z]\.$", before):
            continue
        s, e = _trimmed(document, cursor, cut)
        if e > s:
            out.append((s, e))
        cursor = start + m.end()
    s, e = _trimmed(document, cursor, end)
    if e > s:
        out.append((s, e))
    return out


def units(document: str) -> list[Span]:
    """The headings, list items and paragraph sentences of a document, in order.

    A list item runs on over indented continuation lines; blank lines end paragraphs
    and lists. Items of one list share a `group`.
    """
    out: list[Span] = []
    lines = []
    pos = 0
    for line in document.splitlines(keepends=True):
        lines.append((pos, pos + len(line.rstrip("\r\n")), line.rstrip("\r\n")))
        pos += len(line)
    group = -1
    in_list = False
    para: list[tuple[int, int]] = []
    item: list[int] | None = None

    def flush_para() -> None:
        if para:
            for s, e in split_sentences(document, para[0][0], para[-1][1]):
                out.append(Span(s, e, document[s:e], "sentence"))
            para.clear()

    def flush_item() -> None:
        nonlocal item
        if item is not None:
            s, e = _trimmed(document, item[0], item[1])
            if e > s:
                out.append(Span(s, e, document[s:e], "item", group))
            item = None

    table = False  # inside a markdown table (its header row seen)
    for start, end, line in lines:
        if not line.strip():
            flush_para()
            flush_item()
            in_list = table = False
            continue
        if _TABLE_ROW.match(line):
            flush_para()
            flush_item()
            if _TABLE_RULE.match(line) or not table:  # the rule, or the header row
                if not table:
                    group += 1
                table, in_list = True, False
                continue
            cell = _action_cell(line)
            if cell is not None:
                s, e = _trimmed(document, start + cell[0], start + cell[1])
                if e > s:
                    out.append(Span(s, e, document[s:e], "item", group))
            continue
        table = False
        heading = _HEADING.match(line)
        marker = _ITEM.match(line)
        if heading:
            flush_para()
            flush_item()
            in_list = False
            s, e = _trimmed(document, start + heading.end(), end)
            out.append(Span(s, e, document[s:e], "heading"))
        elif marker:
            flush_para()
            flush_item()
            if not in_list:
                group += 1
                in_list = True
            item = [start + marker.end(), end]
        elif item is not None and (line[:1].isspace() or not line.rstrip().endswith(":")):
            item[1] = end  # a continuation of the item
        else:
            flush_item()
            in_list = False
            stripped = line.strip()
            is_title = (
                not para
                and len(stripped) < 80
                and not stripped.endswith((".", "!", "?", ","))
                and len(words(stripped)) <= 12
            )
            if stripped.endswith(":") and len(words(stripped)) > 4:
                is_title = False  # "Open a terminal and run the following command:"
            if is_title and (stripped.endswith(":") or stripped[:1].isupper()):
                s, e = _trimmed(document, start, end)
                out.append(Span(s, e, document[s:e], "heading"))
            else:
                para.append((start, end))
    flush_para()
    flush_item()
    return out
