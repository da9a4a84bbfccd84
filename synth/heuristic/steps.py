"""Steps of a procedure: which spans of a text are user actions, split and classified.

A step is a list item or a prose sentence in the imperative mood (after sequencing
words such as "First," or "Then", a location such as "In the app,", or a condition such
as "If the order is pending,", which becomes the step's `condition`). Notes, tips,
warnings, results ("The page reloads.") and preconditions ("Make sure ...") are not
steps. "Click X, then enter Y" is split when both halves open with an action verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth.heuristic.lexicon import ACTION_VERBS, PHYSICAL_VERBS, RULE_OPENERS, STRONG_VERBS
from synth.heuristic.spans import Span, split_sentences, units, words

__all__ = ["Step", "count_instructions", "extract_steps", "imperative_at", "lead_length"]

_NOTE = re.compile(
    r"^\W*(note|tip|tips|warning|caution|important|hint|nb|n\.b\.|ps|p\.s\.|update|edit|"
    r"optional|alternatively|disclaimer)\b\W",
    re.I,
)
_SEQUENCER = re.compile(
    r"^(?:(?:first|firstly|second|secondly|third|thirdly|then|next|now|finally|lastly|also|"
    r"afterwards|after that|and|simply|just|please|once done|once that'?s done|to finish|"
    r"to start|to begin|step \d+|step (?:one|two|three|four|five|six|seven|eight|nine|ten)|"
    r"the (?:first|next|last|final) step is to|the first thing (?:to do )?is(?: to)?|"
    r"(?:go ahead|proceed) and)\b\s*[,:.\u2013-]?\s+)+",
    re.I,
)
_YOU = re.compile(
    r"^(?:you(?:'ll| will)? (?:need|want|have|must|should|can|could|may|wanna|gotta)(?: to)?|"
    r"you'?ll|"
    r"go ahead and|make sure to|be sure to|try to|remember to|don't forget to)\s+",
    re.I,
)
_LEAD_CLAUSE = re.compile(
    r"^((?:if|when|once|after|before|unless|as soon as|in case|while|to|in|on|from|under|"
    r"within|inside|at|using|with|via|for)\b[^,;]{1,120}),\s+",
    re.I,
)
_COLON_LEAD = re.compile(r"^[*_\s]*[^:.;!?\n]{2,80}:[*_]*\s+")
_YOU_INNER = re.compile(
    r"\byou(?:'ll| will)? (?:need to|want to|have to|must|should|can|wanna|gotta|gonna)\s+", re.I
)
_FALLBACK = re.compile(
    r"\b(doesn'?t|does not|didn'?t|did not|don'?t|fails?|failed|not working|persists|isn'?t|"
    r"won'?t|can'?t|cannot|no longer|nothing happens|still (?:not|doesn|can)|mistake|wrong|"
    r"errors?|problems?|issues?|trouble)\b",
    re.I,
)
_ALSO = re.compile(r"^\W*(you can also|alternatively|optionally|or you can|you could also)\b", re.I)
_ASIDE = re.compile(
    r"^\W*(tips?|notes?|warnings?|cautions?|troubleshooting|faq|see also|related|"
    r"things you'?ll need|(?:good )?habits|best practices|reminders|requirements|prerequisites|"
    r"what you(?:'ll| will)? need|you(?:'ll| will) need)\W*$",
    re.I,
)
_BOILERPLATE = re.compile(
    r"\b((click|tap|press) here|sign up for (our|the|a) (free )?(newsletter|mailing list)|"
    r"subscribe (to|now)|follow us|share (this|on)|read more|accept (all )?cookies|"
    r"privacy policy|log in to (comment|reply)|sign in to (comment|reply)|leave a comment|"
    r"rate this|download our app|advertisement|sponsored)\b",
    re.I,
)
_SPEECH = re.compile(
    r"[\"\u201d],?\s+(she|he|they|i|we|[A-Z][a-z]+)\s+(said|asked|shouted|whispered|told)\b"
)
_MAX_SPAN = 1200
# A list item that is a UI path only: "Settings > Network > Wi-Fi".
_INLINE_NUMBER = re.compile(r"(?:(?<=\s)|^)\(?(\d{1,2})\)\s+")
_PATH_ONLY = re.compile(
    r"^[*_\s]*[\w][\w &'-]{0,30}(?:\s*(?:>|\u2192|\u00bb|->)\s*[\w][\w &'-]{0,30})+[.*_\s]*$"
)
# A condition after the action: "Tap Cancel if the order is still pending".
_TRAILING_IF = re.compile(
    r"\s((?:only if|if|unless|as long as|provided that)\s+[^,;.()]{3,100})\s*$", re.I
)
_OPTIONAL_IF = re.compile(
    r"^if (?:you (?:want|wish|like|prefer|need)|needed|necessary|prompted|asked|required|"
    r"applicable|any|so|possible|available)\b",
    re.I,
)
_CONDITIONAL = re.compile(r"^(if|unless|in case|only if)\b", re.I)
_SPLIT = re.compile(
    r"(?:,\s*(?:and\s+)?then\s+|;\s*(?:and\s+)?(?:then\s+)?|\s+and\s+then\s+|,\s+and\s+|"
    r"\s+then\s+|\.\s+(?:then\s+|next,?\s+)?|,\s+(?=\w+\s))",
    re.I,
)
_AND = re.compile(r"\s+and\s+", re.I)
_POWER = re.compile(
    r"\b(power (button|cord|cable|adapter)|reset button|(turn|switch|power) (it |the \w+ )?"
    r"(off|on)\b|power (it )?(off|on|cycle)|cable|plug)",
    re.I,
)
_DEVICE = re.compile(
    r"\b(router|modem|printer|computer|pc|laptop|phone|device|tv|console|machine|camera|"
    r"power|it|monitor|speaker|hub|kiosk|car|engine)\b",
    re.I,
)
_UI_HINT = re.compile(r"(>|→|»|\bclick|\btap|\bselect|\bmenu\b|\bbutton\b|\btab\b)", re.I)


@dataclass
class Step:
    """One user action of the procedure.

    Attributes:
        span: where the step's words are in the document.
        verb: the action verb, lowercased ("click", "sign in").
        body: the words after the verb (the object phrase and the rest).
        condition: the condition the text attaches to the step, as it says it.
        physical: a step outside the system (the user's hands on a device).
        group: the list the step came from (-1 for prose).
    """

    span: Span
    verb: str
    body: str
    condition: str | None = None
    physical: bool = False
    group: int = -1


def lead_length(text: str) -> tuple[int, str | None]:
    """The length of the words before the action verb of `text` (sequencers, "you need
    to", leading clauses) and the condition among them, if any."""
    pos = 0
    condition = None
    for _ in range(4):
        rest = text[pos:]
        m = _SEQUENCER.match(rest) or _YOU.match(rest)
        if m and m.end() > 0:
            pos += m.end()
            continue
        if re.match(r"you\s+(?:just\s+|simply\s+|then\s+)?", rest, re.I):
            m = re.match(r"you\s+(?:just\s+|simply\s+|then\s+)?", rest, re.I)
            if m and _verb_of(rest[m.end() :]) not in (None, "make", "use", "keep", "try"):
                pos += m.end()
                continue
        m = _COLON_LEAD.match(rest)
        if m and _verb_of(rest[m.end() :]) is not None:
            pos += m.end()
            continue
        m = _LEAD_CLAUSE.match(rest)
        if m and _verb_of(rest[m.end() :]) is not None:
            clause = m.group(1)
            if _CONDITIONAL.match(clause) and condition is None:
                condition = clause.strip()
            pos += m.end()
            continue
        break
    return pos, condition


def _verb_of(text: str) -> str | None:
    """The action verb `text` opens with, or None ("sign in" and "log in" as one verb)."""
    ws = words(text[:60])
    if not ws:
        return None
    first = ws[0]
    if first not in ACTION_VERBS or first in ("make", "ensure", "keep", "note", "use", "try"):
        if first == "use" and len(ws) > 1:
            return "use"
        if first == "make" and len(ws) > 1 and ws[1] != "sure":
            return "make"
        return None
    if first in ("sign", "log") and len(ws) > 1 and ws[1] in ("in", "into", "on", "out", "up"):
        return f"{first} {'in' if ws[1] == 'into' else ws[1]}"
    if first in ("turn", "switch") and len(ws) > 1 and ws[1] in ("on", "off"):
        return f"{first} {ws[1]}"
    if first in ("go", "navigate") and len(ws) > 1 and ws[1] == "back":
        return "go back"
    return first


def imperative_at(text: str) -> tuple[int, str, str | None] | None:
    """Where the action verb of an instruction starts, the verb and the condition
    before it; None when `text` is no instruction."""
    text = text[:400]  # an instruction opens within its first words; bounds the work
    if _NOTE.match(text) or _ALSO.match(text) or RULE_OPENERS.match(text.strip()):
        return None
    if _BOILERPLATE.search(text) or _SPEECH.search(text):
        return None
    pos, condition = lead_length(text)
    verb = _verb_of(text[pos:])
    if verb is None:
        inner = _YOU_INNER.search(text, pos)  # "So to get online you wanna go into ..."
        verb = _verb_of(text[inner.end() :]) if inner else None
        if inner is None or verb is None:
            return None
        pos = inner.end()
    if condition and _FALLBACK.search(condition):
        return None  # troubleshooting: "If it doesn't work, restart ..."
    if re.search(r"\binstead\W*$", text):
        return None  # an alternative path, not the procedure
    rest = text[pos:].lstrip()
    if (
        pos
        and re.match(r"^you\b", text.strip(), re.I)
        and re.search(r"\bbefore (you|it|they|we)\b", text, re.I)
    ):
        return None  # "You must verify your email before you can ..." states a rule
    # "Check that ..." / "Verify that ..." state a precondition
    if re.match(r"^(check|verify|confirm)\s+(that|whether|if)\b", rest, re.I):
        return None
    return pos, verb, condition


def _pieces(document: str, span: Span, strong: bool = False) -> list[tuple[int, int]]:
    """Split an instruction span into distinct actions (each opening with a verb); with
    `strong`, only at strong separators (``;``, "then", a colon), for a sentence that is
    no instruction itself ("The portal sends a code; type it in the Code box")."""
    text = span.text
    lead, _ = lead_length(text)
    seps: list[tuple[int, int]] = []
    for m in _SPLIT.finditer(text):
        tail = text[m.end() :]
        if m.end() <= lead:
            continue
        if tail[:1].isupper() and not m.group(0).lstrip().startswith("."):
            continue  # "click Expense and then Create New Report": a label, not a verb
        if imperative_at(tail) is None:
            continue
        if strong and not re.search(r"[;:]|then", m.group(0), re.I):
            continue
        if m.group(0).strip() == "," and imperative_at(tail)[1] in ("make", "use"):
            continue
        seps.append((m.start(), m.end()))
    for m in [] if strong else _AND.finditer(text):
        left = text[: m.start()].strip()
        tail = text[m.end() :]
        verb = _verb_of(tail)
        if verb is None or len(words(left)) < 2 or len(words(tail)) < 2 or tail[:1].isupper():
            continue
        if verb in ("make", "use", "hold", "release", "drop", "paste"):
            continue
        seps.append((m.start(), m.end()))
    out = []
    cursor = 0
    for start, end in sorted(seps):
        if start < cursor:
            continue
        out.append((cursor, start))
        cursor = end
    out.append((cursor, len(text)))
    pieces = []
    for a, b in out:
        s, e = span.start + a, span.start + b
        while e > s and document[e - 1] in " .,;:!*_":
            e -= 1
        while s < e and (document[s].isspace() or document[s] in "*_"):
            s += 1
        if e - s >= 3:
            pieces.append((s, e))
    return pieces or [(span.start, span.end)]


def _physical(verb: str, body: str) -> bool:
    if verb in PHYSICAL_VERBS:
        return True
    if verb in ("turn off", "turn on", "switch off", "switch on", "power"):
        return bool(_DEVICE.search(body)) and not _UI_HINT.search(body)
    if verb in ("press", "hold", "connect", "disconnect", "remove", "locate", "find", "take"):
        return bool(_POWER.search(body)) and not _UI_HINT.search(body)
    return False


def _candidates(document: str) -> list[Span]:
    """Spans that may hold steps: list items (their sentences), prose sentences, and
    imperative lines that look like headings (a list written without markers)."""
    out: list[Span] = []
    spans = units(document)
    aside = False
    for i, span in enumerate(spans):
        if span.kind == "heading":
            aside = bool(_ASIDE.match(span.text.strip("#*_ ")))
        if aside:
            continue
        if span.kind == "item":
            # an item's first instruction is its step; later sentences explain it,
            # unless they go on with a sequencer ("Then click Save.")
            started = False
            for s, e in split_sentences(document, span.start, span.end):
                sentence = document[s:e]
                found = imperative_at(sentence)
                goes_on = _SEQUENCER.match(sentence.lstrip("*_ ")) or (
                    found is not None and found[1] in STRONG_VERBS
                )
                if started and not goes_on:
                    continue
                started = started or found is not None
                out.append(Span(s, e, sentence, "item", span.group))
        elif span.kind == "sentence":
            out.extend(_inline_items(document, span, 1000 + i))
        elif span.kind == "heading" and i > 0 and not span.text.endswith(":"):
            out.append(Span(span.start, span.end, span.text, "sentence"))
    return out


def _inline_items(document: str, span: Span, group: int) -> list[Span]:
    """A sentence with an inline enumeration ("1) open the app 2) click ...", "(1) ...,
    (2) ...") as one item per number (numbers 1, 2, ... in order); else the sentence."""
    marks = [m for m in _INLINE_NUMBER.finditer(span.text)]
    numbered = []
    for m in marks:
        if int(m.group(1)) == len(numbered) + 1:
            numbered.append(m)
    if len(numbered) < 2:
        return [span]
    out = []
    head = span.text[: numbered[0].start()].strip()
    if head:
        out.append(Span(span.start, span.start + len(head), head, "sentence"))
    for m, nxt in zip(numbered, [*numbered[1:], None]):
        s = span.start + m.end()
        e = span.start + (nxt.start() if nxt else len(span.text))
        while e > s and document[e - 1] in " ,;.":
            e -= 1
        if e > s:
            out.append(Span(s, e, document[s:e], "item", group))
    return out


def count_instructions(document: str, verbs: frozenset[str]) -> int:
    """How many candidate spans open with one of `verbs` (after sequencers and leading
    clauses): instructions of any kind, for relevance."""
    n = 0
    for span in map(_bounded, _candidates(document)):
        if _NOTE.match(span.text):
            continue
        pos, _ = lead_length(span.text)
        ws = words(span.text[pos : pos + 40])
        if ws and ws[0] in verbs:
            n += 1
    return n


def _bounded(span: Span) -> Span:
    """A span cut to `_MAX_SPAN` characters (a run-on "sentence" of a huge text)."""
    if len(span.text) <= _MAX_SPAN:
        return span
    return Span(span.start, span.start + _MAX_SPAN, span.text[:_MAX_SPAN], span.kind, span.group)


def extract_steps(document: str, limit: int = 60) -> list[Step]:
    """The steps of a document, in order (at most `limit`)."""
    steps: list[Step] = []
    for span in map(_bounded, _candidates(document)):
        if len(steps) >= limit:
            break
        found = imperative_at(span.text)
        lead = lead_length(span.text)[0]
        if found is None and _PATH_ONLY.match(span.text[lead:]):
            body = span.text[lead:].strip(" .*_")
            steps.append(Step(span, "go to", body, None, False, span.group))
            continue
        lead_condition = lead_length(span.text)[1]
        if lead_condition and _FALLBACK.search(lead_condition):
            continue  # troubleshooting: the whole sentence is off the main path
        if found is None and not re.search(r"[;:]\s|\sthen\s", span.text):
            continue
        condition = found[2] if found else None
        for s, e in _pieces(document, span, strong=found is None):
            piece = document[s:e]
            got = imperative_at(piece)
            if got is None:
                continue
            pos, verb, cond = got
            rest = piece[pos:]
            trailing = _TRAILING_IF.search(rest)
            if trailing and _FALLBACK.search(trailing.group(1)):
                continue  # "Restart the router if it doesn't connect": troubleshooting
            if trailing and not cond and not _OPTIONAL_IF.match(trailing.group(1)):
                cond = trailing.group(1).strip()
            first = len(verb.split())
            body = " ".join(rest.split()[first:])
            step = Step(
                Span(s, e, piece, span.kind, span.group),
                verb,
                body,
                cond or condition,
                False,
                span.group,
            )
            step.physical = _physical(verb, body)
            steps.append(step)
            condition = None  # a leading condition belongs to the first piece
    listed = [s for s in steps if s.group >= 0]
    if len(listed) >= 2 and 2 * len(listed) >= len(steps) - len(listed):
        steps = listed  # a list of steps: prose around it is intro and outro
    return steps[:limit]
