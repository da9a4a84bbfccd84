"""JudgeCheck: the three GEM hallucination rubrics, parsing of the judge's answer,
judge_error on model failures and unreadable answers, prompt truncation, and running
inside an event loop; once through the real stand-in server and OpenAI client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import verifiers
from gem_env.messages import Message
from gem_env.trajectory import Trajectory, parse_trajectory
from synth.backends.openai_chat import OpenAIChatModel
from synth.backends.stand_in import StandInServer, scripted
from verifiers import DEFAULT_CHECKS, CheckConfigError, make_checks, verify
from verifiers.judge import RUBRICS, JudgeCheck

FIXTURE = Path(__file__).parent / "fixtures" / "trajectory-library_loans.jsonl"


class ScriptedJudge:
    """Hand-written stand-in for LLM output: a ChatModel test double.

    Returns the scripted answers in order (the last one repeats), or raises `error`;
    records every request it receives in `calls`.
    """

    name = "scripted-judge"

    def __init__(self, *answers: Any, error: Exception | None = None):
        self.answers = list(answers) or [""]
        self.error = error
        self.calls: list[dict[str, Any]] = []

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        self.calls.append(
            {"messages": messages, "tools": tools, "temperature": temperature, "seed": seed}
        )
        await asyncio.sleep(0)
        if self.error is not None:
            raise self.error
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, str):
            return {"role": "assistant", "content": answer}
        return answer

    @property
    def prompt(self) -> str:
        """Everything sent in the last request."""
        return "\n".join(m["content"] for m in self.calls[-1]["messages"])


def answer(rubrics: tuple[str, ...] = RUBRICS, **hallucinated: tuple[int | None, str]) -> str:
    """A judge answer: each rubric in `hallucinated` maps to (message_index, reason)."""
    verdicts = {}
    for rubric in rubrics:
        if rubric in hallucinated:
            index, reason = hallucinated[rubric]
            verdicts[rubric] = {"hallucinated": True, "message_index": index, "reason": reason}
        else:
            verdicts[rubric] = {"hallucinated": False, "message_index": None, "reason": "ok"}
    return json.dumps(verdicts)


@pytest.fixture(scope="module")
def trajectory() -> Trajectory:
    with FIXTURE.open(encoding="utf-8") as f:
        return parse_trajectory(f.readline())


def test_a_clean_answer_passes_with_one_seeded_call(trajectory: Trajectory) -> None:
    model = ScriptedJudge(answer())
    result = JudgeCheck(model).run(trajectory)
    assert result.passed and result.findings == [] and result.skipped is None
    (call,) = model.calls
    assert call["seed"] == 0 and call["temperature"] == 0.0 and call["tools"] is None
    assert [m["role"] for m in call["messages"]] == ["system", "user"]
    prompt = model.prompt
    assert "find_book(title_words: string)" in prompt and "borrow_book(" in prompt
    assert "Search the catalogue by words of the title." in prompt
    assert "[14] assistant: Done: loan L-41, due back on day 221." in prompt
    assert '[12] assistant: -> calls borrow_book {"card_number": "C1001"' in prompt
    assert '[9] tool (result of call call_2): {"error":"No copy available"}' in prompt
    for rubric in RUBRICS:
        assert f'"{rubric}": {{"hallucinated"' in prompt


@pytest.mark.parametrize(
    ("rubric", "index", "code"),
    [
        ("tool_call", 12, "judge_tool_call_hallucination"),
        ("capability", 14, "judge_capability_hallucination"),
        ("context", 6, "judge_context_hallucination"),
    ],
)
def test_each_rubric_fires_with_its_code_and_index(
    trajectory: Trajectory, rubric: str, index: int, code: str
) -> None:
    model = ScriptedJudge(answer(**{rubric: (index, f"{rubric} evidence")}))
    result = JudgeCheck(model).run(trajectory)
    assert not result.passed
    assert [(f.code, f.message_index, f.detail) for f in result.findings] == [
        (code, index, f"{rubric} evidence")
    ]


def test_all_rubrics_at_once_are_reported_in_rubric_order(trajectory: Trajectory) -> None:
    model = ScriptedJudge(answer(context=(10, "c"), tool_call=(4, "t"), capability=(14, "p")))
    result = JudgeCheck(model).run(trajectory)
    assert [(f.code, f.message_index) for f in result.findings] == [
        ("judge_tool_call_hallucination", 4),
        ("judge_capability_hallucination", 14),
        ("judge_context_hallucination", 10),
    ]


@pytest.mark.parametrize("bad_index", [99, -1, 5, 1, None])
def test_an_index_that_is_no_assistant_message_becomes_none(
    trajectory: Trajectory, bad_index: int | None
) -> None:
    model = ScriptedJudge(answer(capability=(bad_index, "claims a refund")))
    (finding,) = JudgeCheck(model).run(trajectory).findings
    assert finding.code == "judge_capability_hallucination"
    assert finding.message_index is None and finding.detail == "claims a refund"


def test_a_long_reason_is_cut(trajectory: Trajectory) -> None:
    reason = "start " + "x" * 5000 + " end"
    (finding,) = JudgeCheck(ScriptedJudge(answer(context=(6, reason)))).run(trajectory).findings
    assert len(finding.detail) <= 320
    assert finding.detail.startswith("start ") and finding.detail.endswith(" end")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda a: f"```json\n{a}\n```",
        lambda a: f"Here is my verdict:\n```\n{a}\n```\nThanks.",
        lambda a: f"After reading {{the transcript}} carefully: {a} -- that is all.",
    ],
    ids=["json-fence", "plain-fence-with-prose", "surrounded-by-text"],
)
def test_the_json_is_found_in_fences_and_prose(trajectory: Trajectory, wrap: Any) -> None:
    model = ScriptedJudge(wrap(answer(tool_call=(8, "invented id"))))
    (finding,) = JudgeCheck(model).run(trajectory).findings
    assert (finding.code, finding.message_index) == ("judge_tool_call_hallucination", 8)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("I think the assistant did fine.", "no JSON object"),
        (json.dumps({"tool_call": {"hallucinated": False}}), "capability"),
        (answer().replace("false", '"no"', 1), "tool_call.hallucinated"),
        (answer(context=(6, "x")).replace('"message_index": 6', '"message_index": "6"'), "int"),
        (json.dumps({"tool_call": [], "capability": {}, "context": None}), "malformed"),
        ("[" + answer() + "]", "a JSON list, not an object"),
        ("", "no JSON object"),
    ],
    ids=[
        "prose",
        "missing-rubric",
        "bool-as-text",
        "index-as-text",
        "wrong-shapes",
        "list",
        "empty",
    ],
)
def test_a_malformed_answer_is_one_judge_error(trajectory: Trajectory, raw: str, says: str) -> None:
    result = JudgeCheck(ScriptedJudge(raw)).run(trajectory)
    (finding,) = result.findings
    assert not result.passed
    assert finding.code == "judge_error" and finding.message_index is None
    assert says in finding.detail
    assert json.dumps(raw[:200]) in finding.detail  # the start of the raw answer


def test_the_raw_answer_is_quoted_only_to_200_chars(trajectory: Trajectory) -> None:
    raw = "no json here " + "y" * 1000
    (finding,) = JudgeCheck(ScriptedJudge(raw)).run(trajectory).findings
    assert json.dumps(raw[:200]) in finding.detail and "y" * 201 not in finding.detail


@pytest.mark.parametrize(
    "reply",
    [{"role": "assistant", "content": None}, {"role": "assistant"}, ["not", "a", "dict"]],
)
def test_an_answer_without_text_is_a_judge_error(trajectory: Trajectory, reply: Any) -> None:
    (finding,) = JudgeCheck(ScriptedJudge(reply)).run(trajectory).findings
    assert finding.code == "judge_error" and "no JSON object" in finding.detail


@pytest.mark.parametrize(
    "error", [TimeoutError("the judge took too long"), ConnectionError("refused"), KeyError("k")]
)
def test_a_failing_model_is_a_judge_error(trajectory: Trajectory, error: Exception) -> None:
    (finding,) = JudgeCheck(ScriptedJudge(error=error)).run(trajectory).findings
    assert finding.code == "judge_error" and finding.message_index is None
    assert finding.detail == f"the judge model failed: {type(error).__name__}: {error}"


def test_a_subset_of_rubrics_asks_only_for_those(trajectory: Trajectory) -> None:
    model = ScriptedJudge(answer(("capability",), capability=(14, "no loan was made")))
    check = JudgeCheck(model, rubrics=["capability"])
    assert check.rubrics == ("capability",)
    (finding,) = check.run(trajectory).findings
    assert (finding.code, finding.message_index) == ("judge_capability_hallucination", 14)
    prompt = model.prompt
    assert '"capability": {"hallucinated"' in prompt and "capability hallucination" in prompt
    assert '"tool_call"' not in prompt and "tool-call hallucination" not in prompt
    assert '"context"' not in prompt and "context hallucination" not in prompt


def test_subset_order_follows_rubrics(trajectory: Trajectory) -> None:
    check = JudgeCheck(ScriptedJudge(answer()), rubrics=["context", "tool_call"])
    assert check.rubrics == ("tool_call", "context")


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"rubrics": ["capabilty"]}, "did you mean capability"),
        ({"rubrics": ["nonsense_xyz"]}, "unknown judge rubric 'nonsense_xyz'"),
        ({"rubrics": []}, "at least one rubric"),
        ({"max_chars": 100}, "too small"),
    ],
)
def test_bad_configuration_is_a_check_config_error(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(CheckConfigError, match=says):
        JudgeCheck(ScriptedJudge(answer()), **kwargs)


class _SyncModel:
    name = "sync"

    def complete(self, messages: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        return {"role": "assistant", "content": answer()}


@pytest.mark.parametrize("model", [_SyncModel(), object(), None])
def test_a_model_without_async_complete_is_refused(model: Any) -> None:
    with pytest.raises(CheckConfigError, match="async complete"):
        JudgeCheck(model)


def test_a_trajectory_without_assistant_messages_is_skipped(trajectory: Trajectory) -> None:
    short = trajectory.model_copy(update={"messages": trajectory.messages[:2]})
    model = ScriptedJudge(answer())
    result = JudgeCheck(model).run(short)
    assert result.passed and result.skipped and model.calls == []


def test_verify_with_the_judge_outside_and_inside_a_running_loop(
    trajectory: Trajectory,
) -> None:
    model = ScriptedJudge(answer(context=(10, "invents copies")))
    checks = [*DEFAULT_CHECKS, JudgeCheck(model)]

    report = verify(trajectory, checks)
    assert [c.name for c in report.checks][-1] == "judge"
    assert report.codes() == {"judge_context_hallucination": 1}

    async def main() -> Any:
        asyncio.get_running_loop()  # verify is called with a loop running in this thread
        return verify(trajectory, checks)

    inside = asyncio.run(main())
    assert inside.to_dict() == report.to_dict()
    assert len(model.calls) == 2


def test_make_checks_builds_the_judge_lazily() -> None:
    model = ScriptedJudge(answer())
    (check,) = make_checks(["judge"], judge_model=model)
    assert isinstance(check, JudgeCheck) and check.model is model
    assert check.rubrics == RUBRICS and check.temperature == 0.0
    assert verifiers.JudgeCheck is JudgeCheck
    assert "judge" in repr(check).lower() and "scripted-judge" in repr(check)


def _long(trajectory: Trajectory, pairs: int, size: int) -> Trajectory:
    middle = []
    for n in range(pairs):
        middle.append(Message.user(f"MIDDLE-USER-{n} " + "u" * size))
        middle.append(Message.assistant(f"MIDDLE-ASSISTANT-{n} " + "a" * size))
    messages = [*trajectory.messages[:2], *middle, *trajectory.messages[2:]]
    return trajectory.model_copy(update={"messages": messages})


def test_a_long_transcript_keeps_its_start_and_end_within_max_chars(
    trajectory: Trajectory,
) -> None:
    long = _long(trajectory, pairs=200, size=300)
    model = ScriptedJudge(answer(capability=(len(long.messages) - 2, "end")))
    result = JudgeCheck(model, max_chars=8000).run(long)
    request = model.calls[0]["messages"]
    assert sum(len(m["content"]) for m in request) <= 8000
    prompt = model.prompt
    assert "[0] system: You are the borrowing desk assistant" in prompt
    assert "[1] user: Hi, I'd like to borrow a gardening book." in prompt
    last = len(long.messages) - 1
    assert f"[{last - 1}] assistant: Done: loan L-41" in prompt
    assert f"[{last}] user: Great, thanks!" in prompt
    assert "left out to fit the prompt" in prompt
    assert "MIDDLE-USER-100 " not in prompt
    assert (result.findings[0].message_index) == last - 1  # indexes are the real ones


def test_a_huge_message_is_cut_keeping_its_start_and_end(trajectory: Trajectory) -> None:
    messages = list(trajectory.messages)
    messages[5] = messages[5].model_copy(update={"content": "HEAD " + "r" * 100_000 + " TAIL"})
    huge = trajectory.model_copy(update={"messages": messages})
    model = ScriptedJudge(answer())
    JudgeCheck(model, max_chars=6000).run(huge)
    assert sum(len(m["content"]) for m in model.calls[0]["messages"]) <= 6000
    prompt = model.prompt
    assert "[5] tool (result of call call_1): HEAD " in prompt and " TAIL" in prompt
    assert "characters cut" in prompt
    assert "[14] assistant: Done: loan L-41" in prompt  # the other messages are whole


def test_through_the_stand_in_server_and_openai_client(trajectory: Trajectory) -> None:
    reply = f"```json\n{answer(tool_call=(12, 'book id B-9 was never offered'))}\n```"
    with StandInServer(scripted([reply])) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url)
        check = JudgeCheck(model)

        async def main() -> Any:
            return verify(trajectory, [*DEFAULT_CHECKS, check])

        report = asyncio.run(main())
        again = verify(trajectory, [check])  # the same loop and client, from sync code
        check.close()  # closes the client's connections on the judge's loop
        request = server.requests[0]
        assert len(server.requests) == 2
    assert again.checks[0] == report.check("judge")
    assert request["seed"] == 0 and request["temperature"] == 0.0 and "tools" not in request
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    judge = report.check("judge")
    assert judge is not None
    assert [(f.code, f.message_index, f.detail) for f in judge.findings] == [
        ("judge_tool_call_hallucination", 12, "book id B-9 was never offered")
    ]
    assert all(c.passed for c in report.checks if c.name != "judge")


def test_an_unreachable_server_is_a_judge_error(trajectory: Trajectory) -> None:
    with StandInServer(scripted(["{}"]), fail_first=100) as server:
        model = OpenAIChatModel("stand-in", base_url=server.url, max_retries=0, backoff=0.0)
        check = JudgeCheck(model)
        (finding,) = check.run(trajectory).findings
        check.close()
    assert finding.code == "judge_error" and finding.message_index is None
    assert finding.detail.startswith("the judge model failed: BackendUnavailableError: ")
