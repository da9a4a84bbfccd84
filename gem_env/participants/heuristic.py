"""Deterministic heuristic participants: the embedded default (no model, no key).

- `HeuristicUser` plays a scenario's user: its opening message states the goal; it
  reveals a known_info fact only when the agent's question asks for it, by the key's
  words or in other words (synonyms and word forms of a small curated table, keys
  split from snake_case and camelCase, the tool parameter the fact feeds), and says
  yes to confirmation questions ("Shall I cancel it?") whatever done words stand
  around them. While the agent asks, it answers ("Sorry, I don't know that." when it
  knows nothing asked); it stops (``UserReply.stop``, the ``###STOP###`` semantics)
  once the agent reports the request done or refused, on the agent's stop marker, or
  after `max_replies` replies. It never says anything outside goal + known_info.
- `HeuristicAgent` is the old name of the privileged `OracleAgent`
  (`gem_env.participants.oracle`), kept as an alias.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from gem_env.errors import GemEnvError
from gem_env.messages import Message
from gem_env.participants._text import (
    STOP_MARKER,
    STOPWORDS,
    appears,
    concept_words,
    concepts,
    key_concepts,
    key_head,
    key_words,
    say,
    sentences,
    stem,
    words,
)
from gem_env.participants.facts import feeds, parameter_slots
from gem_env.participants.oracle import OracleAgent, OracleAgentError
from gem_env.protocols import UserReply
from gem_env.scenario import Scenario
from toolkits.errors import ToolkitError
from toolkits.examples import load_example
from toolkits.spec import ToolkitSpec

__all__ = ["HeuristicAgent", "HeuristicAgentError", "HeuristicUser"]

# The old names of the oracle agent (it is privileged: it reads the scenario).
HeuristicAgent = OracleAgent
HeuristicAgentError = OracleAgentError

_REQUEST = re.compile(
    r"\b(could you|can you|would you|please (provide|tell|share|give|confirm|send)|may i have|"
    r"what is|what's|which|tell me|provide)\b",
    re.I,
)
# A yes/no question about going on (answered "yes"): shall I ..., do you want me to ...
_CONFIRM = re.compile(
    r"\b(shall (i|we)|should (i|we)|may i|do you want|would you like|want me to|proceed|"
    r"go ahead|is (that|this|it) (ok|okay|alright|all right|correct|right|fine)|"
    r"(does|would) (that|this) (work|sound|be ok|be okay|be fine)|are you sure|"
    r"(ok|okay) (with|to))\b",
    re.I,
)
# "Can you confirm ...?": a confirmation unless it asks for a fact (confirm your email).
_CONFIRM_ASK = re.compile(r"\bconfirm\b", re.I)
# A choice between alternatives is not a yes/no question ("a refund or store credit?").
_CHOICE = re.compile(r"\bor\b(?! not\b)", re.I)
# Nor is a question for information ("Which carrier should we ship with?").
_WH = re.compile(r"^\W*(what|which|where|when|who|whom|whose|why|how)\b", re.I)
# The closing question of a report or a refusal: the agent is done, not asking.
_CLOSING = re.compile(
    r"\b(anything else|something else|any other (questions?|requests?|concerns?|issues?)|"
    r"else (i|we) can|further (assistance|help))\b",
    re.I,
)
_DONE = re.compile(
    r"(anything else|all set|all done|has been (completed|done|processed)|is complete|"
    r"completed|goodbye|\bcan't\b|\bcannot\b|\bunable\b|not able to|could not|couldn't)",
    re.I,
)


class HeuristicUser:
    """A deterministic simulated user (see the module docstring).

    Args:
        max_replies: replies before the user gives up and stops.
        tools: the OpenAI tools (or the `ToolkitSpec`) the agent is offered, to know
            which parameters each fact feeds; None: the bundled toolkit the scenario
            names, if any.
    """

    name = "heuristic_user"

    def __init__(
        self,
        max_replies: int = 10,
        tools: list[dict[str, Any]] | ToolkitSpec | None = None,
    ):
        self.max_replies = max_replies
        self._tools = tools.openai_tools() if isinstance(tools, ToolkitSpec) else tools
        self._scenario: Scenario | None = None
        self._replies = 0
        self._slots: list[tuple[str, str]] = []
        self._fed: dict[str, list[tuple[str, str]]] = {}

    def use_tools(self, tools: list[dict[str, Any]] | ToolkitSpec) -> None:
        """The tools the agent is offered in the next episodes (the env calls this before
        each `reset`, so a custom toolkit's parameters are known too)."""
        self._tools = tools.openai_tools() if isinstance(tools, ToolkitSpec) else list(tools)

    def reset(self, scenario: Scenario, seed: int | None = None) -> str:
        """Start an episode; the opening message states the goal."""
        self._scenario = scenario
        self._replies = 0
        if self._tools is not None:
            self._slots = parameter_slots(self._tools)
        else:
            self._slots = list(_example_slots(scenario.toolkit)) if scenario.toolkit else []
        self._fed = {}
        return scenario.user.goal

    def reply(self, messages: list[Message]) -> UserReply:
        """Answer the agent's last message: facts asked for and yes to confirmation
        questions first; while the agent asks, never stop; then stop on a report or a
        refusal."""
        if self._scenario is None:
            raise GemEnvError("HeuristicUser.reply before reset(scenario, seed)")
        self._replies += 1
        text = _last_assistant_text(messages)
        if self._replies > self.max_replies:
            return UserReply(content="I have to go now. Thanks anyway.", stop=True)
        if STOP_MARKER in text:
            return UserReply(content="Okay, thank you. Goodbye.", stop=True)
        questions = _questions(text)
        if questions:
            facts = self.requested_facts(text)
            parts = []
            if any(self._confirms(q) for q in questions):
                parts.append("Yes, please go ahead.")
            if facts:
                lines = [f"- {label}: {say(value)}" for label, value in facts]
                parts.append(("Here" if parts else "Sure, here") + " you go:\n" + "\n".join(lines))
            return UserReply(content=" ".join(parts) or "Sorry, I don't know that.")
        if _DONE.search(text) or _CLOSING.search(text):
            return UserReply(content="Thank you, that's all I needed.", stop=True)
        return UserReply(content="Okay, thank you.")

    def requested_facts(self, text: str) -> list[tuple[str, Any]]:
        """The known_info facts (label, value) that the questions in `text` ask for, in
        known_info order. A question asks for a fact when it says the key (its words
        split from snake_case or camelCase, compounds and synonyms mapped to one concept:
        "e-mail" ~ ``email_address``, "When were you born?" ~ ``date_of_birth``, word
        forms by stem), when it names a tool parameter the fact feeds (`feeds`:
        "Where does the parcel ship from?" ~ ``return_address`` by ``ship_from``), or,
        when nothing else matched, when it asks for the fact's curated concept and no
        other fact is about it ("What street address?" ~ ``return_address``), or when a
        choice question offers the fact's value ("A refund or store credit?"). Nested
        keys of an object fact count when the object itself is not asked for."""
        assert self._scenario is not None
        known = self._scenario.user.known_info
        asked: list[str] = []
        for question in _questions(text):
            said = concepts(question)
            named = [k for k in known if self._names(k, question, said)]
            if not named:
                named = _by_head(known, said)
            if not named and _CHOICE.search(question):
                named = _offered(known, question)
            asked += [k for k in named if k not in asked]
            for key, value in known.items():
                if key not in asked and isinstance(value, dict):
                    asked += [
                        f"{key}.{k}"
                        for k in value
                        if f"{key}.{k}" not in asked and self._names(k, question, said)
                    ]
        out: list[tuple[str, Any]] = []
        for key, value in known.items():
            if key in asked:
                out.append((key_words(key), value))
            elif isinstance(value, dict):
                out += [(key_words(k), v) for k, v in value.items() if f"{key}.{k}" in asked]
        return out

    # -- internals -------------------------------------------------------------------

    def _names(self, key: str, question: str, said: set[str]) -> bool:
        """Whether `question` (its concepts `said`) asks for the fact under `key`."""
        want = key_concepts(key)
        if (want and want <= said) or appears(key_words(key), question.lower()):
            return True
        return any(_slot_named(name, question, said) for name, _ in self._feeding(key))

    def _feeding(self, key: str) -> list[tuple[str, str]]:
        if key not in self._fed:
            self._fed[key] = [(n, d) for n, d in self._slots if feeds(key, n, d)]
        return self._fed[key]

    def _confirms(self, question: str) -> bool:
        """Whether a question is one to say yes to: a yes/no question about going on,
        or "can you confirm ..." that asks for no fact."""
        if not question.endswith("?") or _CLOSING.search(question):
            return False
        if _WH.search(question) or (_CHOICE.search(question) and not _CONFIRM_ASK.search(question)):
            return False
        if _CONFIRM.search(question):
            return True
        return bool(_CONFIRM_ASK.search(question)) and not self.requested_facts(question)


@functools.lru_cache(maxsize=32)
def _example_slots(name: str) -> tuple[tuple[str, str], ...]:
    """The parameter slots of the bundled example toolkit `name` (none if unknown)."""
    try:
        return tuple(parameter_slots(load_example(name).openai_tools()))
    except ToolkitError:
        return ()


def _slot_named(name: str, question: str, said: set[str]) -> bool:
    """Whether a question names a parameter: its name said aloud, or all its words
    (``ship_from``: "ship" and "from"; stopwords count here, ids do not)."""
    spoken = key_words(name)
    if appears(spoken, question.lower()):
        return True
    parts = [w for w in words(spoken) if w not in ("id", "ids") and not w.isdigit()]
    mapped = [c for w in parts for c in (concept_words(w) or [w])]
    asked = said | {stem(w) for w in words(question) if w in STOPWORDS}  # "from", as is
    return bool(mapped) and {stem(w) for w in mapped} <= asked


def _offered(known: dict[str, Any], question: str) -> list[str]:
    """The facts whose value a choice question offers ("a refund or store credit?" ~
    ``preferred_resolution: refund``): a text value of three letters or more said in
    it, word-bounded, ignoring case and ``_``/spaces."""
    said = " ".join(words(question))
    return [
        k
        for k, v in known.items()
        if isinstance(v, str) and len(v) >= 3 and appears(" ".join(words(v)), said)
    ]


def _by_head(known: dict[str, Any], said: set[str]) -> list[str]:
    """The one top-level fact whose curated concept a question asks for, when exactly
    one fact is about that concept (else none)."""
    hits = [k for k in known if (head := key_head(k)) is not None and stem(head) in said]
    return hits if len(hits) == 1 else []


def _last_assistant_text(messages: list[Message]) -> str:
    for m in reversed(messages):
        if m.role == "assistant" and m.content:
            return m.content
        if m.role == "user":
            break
    return ""


def _questions(text: str) -> list[str]:
    """The sentences of `text` that ask the user something: questions (done words in
    them do not matter) and requests for information, but not a closing question
    ("anything else?") nor a statement with a done word ("this cannot be undone")."""
    out = []
    for s in sentences(text):
        if _CLOSING.search(s):
            continue
        if s.endswith("?") or (_REQUEST.search(s) and not _DONE.search(s)):
            out.append(s)
    return out
