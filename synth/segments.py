"""Segmenting long documents into pieces a model reads at once.

`segment` cuts a document at the strongest boundary that makes every piece fit
`max_chars`: markdown headings first (outside code fences), then blank lines (paragraph
boundaries, outside code fences), then sentence ends, and only for a sentence longer than
`max_chars` at the last whitespace (or, without any, at `max_chars`). Neighbouring pieces
are packed back together while they fit, and a segment shorter than `min_chars` (a small
tail) takes trailing pieces of the one before it when both then fit. Every segment's
`span` indexes the document text exactly (``document.text[start:end] == segment.text``);
segments are in order, do not overlap, and only whitespace lies between them.
"""

from __future__ import annotations

import bisect
import itertools
import re

from pydantic import BaseModel, Field

from synth.readers import Document

_HEADING = re.compile(r"^#{1,6}(?:[ \t]|$)", re.MULTILINE)
_FENCE = re.compile(r"^[ \t]{0,3}(?:```|~~~)", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"')\]\u00bb\u201d\u2019]*\s+")


class Segment(BaseModel):
    """A contiguous piece of one document."""

    id: str = Field(description="'<document_id>#<n>' (n from 0), or the document id when whole.")
    document_id: str = Field(description="The id of the document it is a piece of.")
    span: tuple[int, int] = Field(description="[start, end) character offsets into the text.")
    text: str = Field(description="document.text[start:end].")


def segment(document: Document, *, max_chars: int = 6000, min_chars: int = 200) -> list[Segment]:
    """Cut `document` into segments of at most `max_chars` characters (see the module).

    A document of at most `max_chars` characters is one segment spanning all of it, with
    the document's id. A longer one gives segments trimmed of surrounding whitespace. A
    text of whitespace only has no segment.

    Raises:
        ValueError: `max_chars` is below 1 or `min_chars` is negative.
    """
    if max_chars < 1 or min_chars < 0:
        raise ValueError(f"need max_chars >= 1 and min_chars >= 0, not {max_chars}, {min_chars}")
    text = document.text
    if not text.strip():
        return []
    if len(text) <= max_chars:
        return [Segment(id=document.id, document_id=document.id, span=(0, len(text)), text=text)]
    spans = [_trim(text, a, b) for a, b in split_spans(text, max_chars, min_chars)]
    spans = [(a, b) for a, b in spans if a < b]
    if len(spans) == 1:
        a, b = spans[0]
        return [Segment(id=document.id, document_id=document.id, span=(a, b), text=text[a:b])]
    return [
        Segment(id=f"{document.id}#{n}", document_id=document.id, span=(a, b), text=text[a:b])
        for n, (a, b) in enumerate(spans)
    ]


def split_spans(text: str, max_chars: int, min_chars: int = 0) -> list[tuple[int, int]]:
    """Contiguous ``[start, end)`` spans covering `text`, each at most `max_chars` long."""
    fences = _fenced_ranges(text)
    levels = [
        _outside(fences, [m.start() for m in _HEADING.finditer(text)]),
        _outside(fences, [m.end() for m in _BLANK_LINES.finditer(text)]),
        [m.end() for m in _SENTENCE_END.finditer(text)],
    ]
    return _split(text, 0, len(text), 0, levels, max_chars, min_chars)


def _split(
    text: str, a: int, b: int, level: int, levels: list[list[int]], max_chars: int, min_chars: int
) -> list[tuple[int, int]]:
    if b - a <= max_chars:
        return [(a, b)]
    if level == len(levels):
        return _hard_cuts(text, a, b, max_chars)
    cuts = levels[level]
    inside = cuts[bisect.bisect_right(cuts, a) : bisect.bisect_left(cuts, b)]
    if not inside:
        return _split(text, a, b, level + 1, levels, max_chars, min_chars)
    bounds = [a, *inside, b]
    pieces: list[tuple[int, int]] = []
    for start, end in itertools.pairwise(bounds):
        pieces += _split(text, start, end, level + 1, levels, max_chars, min_chars)
    return _pack(text, pieces, max_chars, min_chars)


def _hard_cuts(text: str, a: int, b: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut at the last whitespace that keeps a piece within `max_chars`, else at the limit."""
    pieces = []
    while b - a > max_chars:
        limit = a + max_chars
        cut = max(text.rfind(" ", a + 1, limit + 1), text.rfind("\n", a + 1, limit + 1))
        cut = cut if cut > a else limit
        pieces.append((a, cut))
        a = cut
    pieces.append((a, b))
    return pieces


def _pack(
    text: str, pieces: list[tuple[int, int]], max_chars: int, min_chars: int
) -> list[tuple[int, int]]:
    """Join consecutive pieces while the join fits `max_chars`; then a chunk with less than
    `min_chars` of text takes trailing pieces of the chunk before it, while both stay valid
    (the predecessor keeps `min_chars`, the taker stays within `max_chars`)."""
    chunks = [[pieces[0]]]
    for piece in pieces[1:]:
        if piece[1] - chunks[-1][0][0] <= max_chars:
            chunks[-1].append(piece)
        else:
            chunks.append([piece])
    for before, chunk in itertools.pairwise(chunks):
        while _size(text, chunk) < min_chars and len(before) > 1:
            if chunk[-1][1] - before[-1][0] > max_chars or _size(text, before[:-1]) < min_chars:
                break
            chunk.insert(0, before.pop())
    return [(chunk[0][0], chunk[-1][1]) for chunk in chunks]


def _size(text: str, chunk: list[tuple[int, int]]) -> int:
    return len(text[chunk[0][0] : chunk[-1][1]].strip())


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _fenced_ranges(text: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` ranges of fenced code blocks (an unclosed fence runs to the end)."""
    marks = [m.start() for m in _FENCE.finditer(text)]
    if len(marks) % 2:
        marks.append(len(text))
    return list(zip(marks[::2], marks[1::2]))


def _outside(ranges: list[tuple[int, int]], cuts: list[int]) -> list[int]:
    """The cuts that are not strictly inside one of `ranges` (sorted, not overlapping)."""
    starts = [start for start, _ in ranges]
    kept = []
    for cut in cuts:
        i = bisect.bisect_left(starts, cut) - 1
        if i < 0 or cut >= ranges[i][1]:
            kept.append(cut)
    return kept
