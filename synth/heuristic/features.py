"""Relevance: does a text describe a multi-step procedure on an app, a website, a
computer or a machine? A weighted score of textual features, with a threshold.

Features (each a number, all reported in the reason when they decide):

- *procedure*: instructions (imperative list items and sentences, `steps`), how many
  are in ordered lists, sequencing words ("first", "then", "next").
- *tool use*: density of the vocabulary of operating a system (`lexicon.UI_WORDS`),
  UI paths ("Settings > Network"), quoted UI labels, URLs, IP addresses, key names
  ("Ctrl+C", "Enter key"), and the share of instructions that operate something.
- *other procedures*: density of the vocabulary of recipes, crafts, workouts,
  gardening, first aid, cleaning and travel (`lexicon.NON_TOOL_WORDS`).
- *narrative*: past-tense and reporting words (news, reviews, fiction).

The decision is two scores: ``procedure >= 2`` instructions (or an ordered list of
them), and ``tool - other >= threshold``. A drop says what the text is instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth.heuristic.lexicon import (
    ACTION_VERBS,
    DOMAINS,
    NARRATIVE_WORDS,
    NON_TOOL_WORDS,
    OTHER_VERBS,
    PLATFORMS,
    TAG_STOP,
    UI_WORDS,
)
from synth.heuristic.spans import words
from synth.heuristic.steps import Step, count_instructions, extract_steps
from synth.stages.answers import RelevanceAnswer

__all__ = ["Features", "features", "relevance"]

_PATH = re.compile(r"\b\w[\w -]{0,30}\s*(?:>|→|»|->)\s*\w")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\b[a-z0-9-]+\.(?:com|org|net|io|gov|edu)\b", re.I)
# An inline code span holding a command or a value to type ("run `git push`").
_CODE = re.compile(r"`[^`\n]{2,120}`")
_IP = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
_KEYS = re.compile(
    r"\b(?:ctrl|cmd|alt|shift|option|command)\s*\+\s*\w+|\b(?:enter|return|tab|esc|escape|"
    r"delete|backspace|space|f\d{1,2})\s+key\b|`[^`\n]{1,80}`",
    re.I,
)
_QUOTED_LABEL = re.compile("[\"\u201c'\u2018][A-Z][^\"\u201d'\u2019\n]{0,30}[\"\u201d'\u2019]")
_SEQUENCE = re.compile(r"\b(first|then|next|after that|finally|once|step \d+)\b", re.I)
_PAST = re.compile(r"\b\w{3,}ed\b")
_MIN_TOOL = 1.2  # threshold of the tool-use score


@dataclass
class Features:
    """The measured features of a text (see the module docstring)."""

    steps: list[Step]
    instructions: int
    listed: int
    sequencing: int
    ui: float
    other: dict[str, float]
    narrative: float
    tool_steps: int
    physical_steps: int

    @property
    def other_kind(self) -> str:
        """The kind of non-tool procedure the text's vocabulary marks most."""
        return max(self.other, key=lambda k: self.other[k]) if self.other else ""

    @property
    def other_score(self) -> float:
        """Density-weighted score of the strongest non-tool vocabulary."""
        return max(self.other.values(), default=0.0)

    @property
    def tool_score(self) -> float:
        """Evidence of operating a system, net of other procedures' vocabulary."""
        share = self.tool_steps / max(1, self.instructions)
        return self.ui + 2.0 * share - 1.4 * self.other_score

    @property
    def procedural(self) -> bool:
        """At least two instructions, or one ordered list of instructions."""
        return self.instructions >= 2 and (
            self.listed >= 2 or self.instructions >= 3 or self.sequencing >= 1
        )


def _density(hits: int, total: int) -> float:
    """Hits per 100 words, damped for short texts."""
    return 100.0 * hits / max(total, 40)


def features(text: str, steps: list[Step] | None = None) -> Features:
    """Measure a text (pass `steps` when already extracted)."""
    sample = text[:60_000]
    steps = extract_steps(sample) if steps is None else steps
    ws = words(sample)
    n = len(ws)
    ui_hits = sum(1 for w in ws if w in UI_WORDS)
    marks = (
        len(_PATH.findall(sample))
        + len(_URL.findall(sample))
        + len(_IP.findall(sample))
        + len(_KEYS.findall(sample))
        + 0.5 * len(_QUOTED_LABEL.findall(sample))
        + 0.8 * len(_CODE.findall(sample))
    )
    ui = min(6.0, 0.35 * _density(ui_hits, n)) + min(3.0, 0.6 * marks)
    other = {
        kind: 0.35 * _density(sum(1 for w in ws if w in vocab), n)
        for kind, vocab in NON_TOOL_WORDS.items()
    }
    tool_steps = sum(1 for s in steps if not s.physical and _operates(s))
    narrative = _density(sum(1 for w in ws if w in NARRATIVE_WORDS), n) + 0.3 * _density(
        len(_PAST.findall(sample)), n
    )
    others = count_instructions(sample, OTHER_VERBS - ACTION_VERBS)
    return Features(
        steps=steps,
        instructions=len(steps) + others,
        listed=sum(1 for s in steps if s.group >= 0),
        sequencing=len(_SEQUENCE.findall(sample)),
        ui=ui,
        other=other,
        narrative=narrative,
        tool_steps=tool_steps,
        physical_steps=sum(1 for s in steps if s.physical),
    )


def _operates(step: Step) -> bool:
    """Whether a step's own words operate a system."""
    own = set(words(step.span.text))
    text = step.span.text
    marked = _PATH.search(text) or _URL.search(text) or _CODE.search(text)
    return bool(own & UI_WORDS) or bool(marked)


def _best(table: list[tuple[str, frozenset[str]]], ws: list[str], default: str) -> str:
    scores = [(sum(1 for w in ws if w in vocab), -i, name) for i, (name, vocab) in enumerate(table)]
    best = max(scores)
    return best[2] if best[0] > 0 else default


def tags_of(text: str) -> tuple[str, str, list[str]]:
    """(domain, platform, tags) of a text, from its vocabulary."""
    ws = words(text[:20_000])
    domain = _best(DOMAINS, ws, "general")
    platform = _best(PLATFORMS, ws, "web app")
    return domain, platform, [domain.lower().replace(" ", "-"), platform.replace(" ", "-")]


def task_tag(summary: str) -> str:
    """A task tag from the summary's first content words ("change-wi-fi-password")."""
    kept = [w for w in words(summary) if w not in TAG_STOP and not any(c.isdigit() for c in w)]
    return "-".join(kept[:4])


def _base_verb(word: str) -> str:
    """The base form of a gerund ("adding" -> "add", "setting" -> "set")."""
    w = word.lower()
    if not w.endswith("ing") or len(w) < 5:
        return word
    stem = w[:-3]
    for cand in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else ""):
        if cand and (cand in ACTION_VERBS or cand in _E_VERBS):
            return cand
    if re.search(r"(?:[aeiou][sczvg]|^[^aeiou]{1,2}[aeiou][ktp]|[^aeiou]l|ur[sv])$", stem):
        return stem + "e"  # "raising" -> "raise", "making" -> "make", "handling"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]  # "summing" -> "sum"
    return stem if len(w) >= 6 else word


# Verbs whose gerund drops an "e" ("raising" -> "raise").
_E_VERBS = frozenset(
    [
        "raise",
        "share",
        "manage",
        "arrange",
        "move",
        "remove",
        "save",
        "create",
        "update",
        "delete",
        "close",
        "use",
        "change",
        "configure",
        "enable",
        "disable",
        "schedule",
        "purchase",
        "type",
        "write",
        "choose",
        "receive",
        "release",
        "prepare",
        "replace",
        "resolve",
        "exchange",
        "compose",
        "organise",
        "organize",
        "automate",
        "invite",
        "revoke",
        "retrieve",
        "restore",
        "secure",
        "store",
        "continue",
        "issue",
        "describe",
        "subscribe",
        "unsubscribe",
        "file",
    ]
)
_PRONOUNS = frozenset(["one", "it", "this", "that", "them", "these", "those", "him", "her"])
# Words of a page title that say what kind of page it is, not what to do.
_PAGE_WORDS = re.compile(
    r"\s*(?:[:\u2013\u2014|-]\s*)?\b(?:frequently asked questions|faqs?|a (?:quick |short )?"
    r"guide|(?:quick |step-by-step |user )?guide|help(?: centre| center| page)?|tips|overview|"
    r"instructions|how-to|tutorial|walkthrough|support)\b\s*$",
    re.I,
)
# What a text says its reader can do: "The app lets you set a weekly schedule."
_LETS = re.compile(
    r"\b(?:lets you|allows you to|helps you(?: to)?|enables you to|you can now|"
    r"here'?s how (?:to|you)|this is how to|(?:i|we)'?ll show you how to|"
    r"(?:i|we) (?:wanted|needed) to|(?:i|we) finally got)\s+([a-z][^,.!?:;()\u2014\u2013]{3,80}?)"
    r"(?=\s*(?:[,.!?:;()\u2014\u2013]|\bin\s+(?:a|about|under)\s+\w+\s+minutes?\b|$))",
    re.I,
)


_HOW = re.compile(r"\bhow (?:do i|to|can i|do you|would i)\s+(.{3,100}?)\s*(?:[?.!:]|$)", re.I)
_CANT = re.compile(
    r"\b(?:can'?t|cannot|unable to|trouble|problems?)\s+(?:\w+ing\s+)?((?:log|sign|connect|access|"
    r"reset|change|open|install|print|send|find|update)\b[^,.!?:;]{2,80})",
    re.I,
)
_PURPOSE = re.compile(
    r"\b(?:in order to|to|want to|trying to|how to|how do i|how can i)\s+([a-z][^,.!?:;]{3,80}?)"
    r"(?=\s*(?:[,.!?:;]|\byou\b|\bjust\b|\bfirst\b))",
    re.I,
)


def summary_of(text: str, steps: list[Step]) -> str:
    """One line of what the procedure achieves: a "How to ..." phrase or a title (a
    gerund made a verb: "Adding a printer" -> "add a printer"; "To X:" -> "x"), else a
    purpose the text states ("To reset your password, ...", "the app lets you ..."),
    else a title that names no action ("get this done: <title>"), else its last step."""
    lines = [line.strip().lstrip("#").strip() for line in text[:3000].splitlines()]
    head = [line for line in lines[:6] if line]
    questions = [ln for ln in lines if ln.endswith("?") and re.match(r"^\W*how\b", ln, re.I)]
    for line in [*head[:3], *(q for q in questions if len(q) <= 100)][:12]:
        m = _HOW.search(line)
        if m:
            return m.group(1).strip()
    nominal = ""
    if head:
        title = re.sub(r"\s*\([^)]*\)", "", head[0]).strip().rstrip(":?.!")
        title = re.sub(r"^(re|fwd?|q|question)\s*:\s*", "", title, flags=re.I)
        title = re.sub(r"^\W*to\s+(?=[a-z])", "", title, flags=re.I)  # "To send money ...:"
        is_title = (
            len(title) <= 90
            and not re.search(r"[.!?]\s", title)
            and (not steps or steps[0].span.start > text.find(head[0]) + len(head[0]) - 2)
        )
        if is_title and title:
            if ":" in title:
                left, right = title.split(":", 1)
                lead = right.split()[0] if right.split() else ""
                verbal = lead.lower() in ACTION_VERBS or _base_verb(lead) != lead
                title = right.strip() if verbal else f"{left.strip()}: {right.strip()}"
            first = title.split()[0]
            base = _base_verb(first)
            if base != first or first.lower() in ACTION_VERBS:
                return (base + title[len(first) :]).strip()
            page = _PAGE_WORDS.sub("", title).strip(" :-\u2013\u2014|")
            if not re.match(r"^(posted|asked|answered|reply|replies|thread)\b", page, re.I):
                nominal = "get this done: " + (page or title)
    m = _CANT.search(text[:300])
    if m:
        return m.group(1).strip()
    for m in _PURPOSE.finditer(text[:400]):
        lead = words(m.group(1))
        verb_ok = lead and lead[0] in ACTION_VERBS and lead[0] not in ("make", "keep", "use", "try")
        if verb_ok and len(lead) >= 2 and lead[1] not in _PRONOUNS:
            return m.group(1).strip()
    for m in _LETS.finditer(text[:600]):
        lead = words(m.group(1))
        if (
            len(lead) >= 2
            and _base_verb(lead[0]) == lead[0]
            and lead[0] != "be"
            and (lead[1] not in _PRONOUNS)
        ):
            return m.group(1).strip()
    if nominal:
        return nominal
    colon = re.match(r"^([A-Z][^:.!?\n]{5,70}):\s", text.strip())
    if colon and words(colon.group(1))[:1] and words(colon.group(1))[0] in ACTION_VERBS:
        return colon.group(1).strip()  # "Record a voice memo on iPhone: Open ..."
    if steps:
        return steps[-1].span.text.rstrip(".")[:140]
    return ""


def relevance(text: str) -> RelevanceAnswer:
    """GEM's relevance decision for a text, from its features (see the module docstring)."""
    if not text or not text.strip():
        return RelevanceAnswer(relevant=False, reason="empty text: there is nothing to extract")
    f = features(text)
    domain, platform, tags = tags_of(text)
    summary = summary_of(text, f.steps)
    if task_tag(summary):
        tags.append(task_tag(summary))
    if not f.procedural:
        what = (
            "narrative or descriptive text (news, a review, an essay or a story)"
            if f.narrative > 6
            else "text with no sequence of instructions"
        )
        return RelevanceAnswer(
            relevant=False,
            reason=f"not a procedure: {what}; {f.instructions} instruction(s) found",
            procedural=False,
            summary=summary,
            domain=domain,
            platform=platform,
            tags=tags,
        )
    if f.tool_score < _MIN_TOOL or (f.tool_steps == 0 and f.physical_steps < 2):
        kind = f.other_kind if f.other_score >= 0.8 else "a procedure"
        why = (
            f"tool score {f.tool_score:.1f} < {_MIN_TOOL}"
            if f.tool_score < _MIN_TOOL
            else "no step names an app, a device or a control"
        )
        return RelevanceAnswer(
            relevant=False,
            reason=f"{kind}: {_KIND_NOTE.get(kind, 'steps')}, no app or device is operated ({why})",
            procedural=True,
            summary=summary,
            domain=domain,
            platform=platform,
            tags=tags,
        )
    return RelevanceAnswer(
        relevant=True,
        reason=f"a {f.instructions}-step procedure operating a {platform} "
        f"({f.tool_steps} steps operate it; tool score {f.tool_score:.1f})",
        procedural=True,
        summary=summary,
        domain=domain,
        platform=platform,
        tags=tags,
    )


_KIND_NOTE = {
    "a recipe": "cooking steps",
    "a craft": "handicraft steps",
    "a workout": "exercise steps",
    "gardening advice": "gardening steps",
    "first aid": "first-aid steps",
    "cleaning instructions": "cleaning steps",
    "travel tips": "travel advice",
    "a repair or assembly job": "repair or assembly steps done by hand",
    "a procedure": "steps done by hand",
}
