"""Segmenter: exact spans that cover the text in order, within max_chars, cut at the
strongest boundary (heading, then paragraph, then sentence)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synth.readers import Document
from synth.segments import Segment, segment


def _doc(text: str, doc_id: str = "d") -> Document:
    return Document(id=doc_id, text=text, source="test")


def _assert_valid(document: Document, segments: list[Segment], max_chars: int) -> None:
    text = document.text
    if not text.strip():
        assert segments == []
        return
    assert segments, "a document with text always has a segment"
    position = 0
    for s in segments:
        start, end = s.span
        assert text[start:end] == s.text  # exact span
        assert start >= position  # in order, no overlap
        assert text[position:start].strip() == ""  # only whitespace between segments
        assert s.document_id == document.id
        if len(segments) > 1:
            assert len(s.text) <= max_chars
            assert s.text.strip()
        position = end
    assert text[position:].strip() == ""  # covers the text to its end
    ids = [s.id for s in segments]
    assert len(set(ids)) == len(ids)


_word = st.text(alphabet="abcdefgh xyz,", min_size=1, max_size=12)
_sentence = st.builds(lambda ws, end: " ".join(ws) + end, st.lists(_word, min_size=1, max_size=20),
                      st.sampled_from([".", "!", "?", "", "…"]))  # fmt: skip
_paragraph = st.builds(" ".join, st.lists(_sentence, min_size=1, max_size=8))
_heading = st.builds(lambda level, title: "#" * level + " " + title, st.integers(1, 3), _word)
_fence = st.builds(lambda body: f"```\n{body}\n\n# not a heading\n```", _paragraph)
_block = st.one_of(_paragraph, _paragraph, _heading, _fence, st.text(max_size=40))
_separator = st.sampled_from(["\n\n", "\n", "\n\n\n", " \n\t\n", ""])
_documents = st.builds(
    lambda blocks, seps: "".join(b + s for b, s in zip(blocks, seps)),
    st.lists(_block, min_size=1, max_size=30),
    st.lists(_separator, min_size=30, max_size=30),
)


@given(text=_documents, max_chars=st.integers(20, 600), min_chars=st.integers(0, 300))
def test_spans_are_exact_cover_the_text_and_respect_max_chars(
    text: str, max_chars: int, min_chars: int
) -> None:
    document = _doc(text)
    _assert_valid(document, segment(document, max_chars=max_chars, min_chars=min_chars), max_chars)


@given(text=st.text(min_size=1, max_size=3000), max_chars=st.integers(1, 300))
def test_any_text_is_segmented_validly(text: str, max_chars: int) -> None:
    document = _doc(text)
    _assert_valid(document, segment(document, max_chars=max_chars, min_chars=0), max_chars)


def test_a_short_document_is_one_segment_with_the_document_id() -> None:
    document = _doc("  Open Settings, then press Save.  ", "doc-1")
    (only,) = segment(document)
    assert (only.id, only.span, only.text) == ("doc-1", (0, len(document.text)), document.text)


def test_long_document_splits_at_headings_first() -> None:
    sections = [f"# Section {i}\n\n" + ("Step one is done. " * 20).strip() for i in range(4)]
    text = "\n\n".join(sections)
    segments = segment(_doc(text), max_chars=len(sections[0]) + 10, min_chars=0)
    assert [s.text for s in segments] == sections
    assert [s.id for s in segments] == ["d#0", "d#1", "d#2", "d#3"]


def test_paragraphs_are_never_cut_when_each_fits() -> None:
    paragraphs = [
        f"Paragraph {i}: " + "open the panel and check the value. " * 5 for i in range(30)
    ]
    paragraphs = [p.strip() for p in paragraphs]
    text = "\n\n".join(paragraphs)
    segments = segment(_doc(text), max_chars=700, min_chars=100)
    assert len(segments) > 1
    for s in segments:
        for piece in s.text.split("\n\n"):
            assert piece in paragraphs  # every paragraph whole, inside one segment
    assert sum(s.text.count("Paragraph ") for s in segments) == 30


def test_an_oversized_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} tells you to press the button." for i in range(40)]
    text = " ".join(sentences)
    segments = segment(_doc(text), max_chars=300, min_chars=0)
    assert len(segments) > 1
    for s in segments:
        assert s.text.endswith(".")
        assert len(s.text) <= 300


def test_headings_inside_code_fences_are_no_boundary() -> None:
    code = "```\nset -e\n\n# comment line in a shell script\necho hi\n```"
    text = "Intro paragraph here.\n\n" + code + "\n\n" + "# Real heading\n\nBody text."
    segments = segment(_doc(text), max_chars=len(code) + 5, min_chars=0)
    assert [s.text for s in segments] == [
        "Intro paragraph here.",
        code,
        "# Real heading\n\nBody text.",
    ]


def test_a_small_tail_takes_paragraphs_from_its_neighbour() -> None:
    paragraphs = [f"P{i} " + "x" * 96 for i in range(7)]  # 100 chars each
    text = "\n\n".join(paragraphs)
    greedy = segment(_doc(text), max_chars=350, min_chars=0)
    balanced = segment(_doc(text), max_chars=350, min_chars=150)
    assert [s.text.count("P") for s in greedy] == [3, 3, 1]
    assert [s.text.count("P") for s in balanced] == [3, 2, 2]
    _assert_valid(_doc(text), balanced, 350)


def test_whitespace_only_has_no_segment() -> None:
    assert segment(_doc(" \n\t " * 50), max_chars=10) == []
    assert segment(_doc("  "), max_chars=10) == []


def test_bad_limits_raise() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        segment(_doc("x"), max_chars=0)
    with pytest.raises(ValueError, match="min_chars"):
        segment(_doc("x"), min_chars=-1)


def test_a_heading_starts_a_segment_rather_than_ending_one() -> None:
    """Packing paragraphs alone would end a segment with the next section's heading."""
    sections = [f"## Part {i}\n\n" + "\n\n".join(["p" * 98] * 3) for i in range(4)]
    text = "\n\n".join(sections)
    segments = segment(_doc(text), max_chars=400, min_chars=0)
    assert [s.text for s in segments] == sections
