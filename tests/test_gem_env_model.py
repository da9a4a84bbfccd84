"""gem_env data model: messages, scenarios, trajectories and action parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gem_env.errors import ScenarioError, TrajectoryFormatError
from gem_env.messages import Message, tool_call
from gem_env.parsing import parse_action
from gem_env.scenario import load_scenarios
from gem_env.trajectory import (
    Termination,
    Trajectory,
    parse_trajectory,
    read_trajectories,
    write_trajectories,
)

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "trajectory-library_loans.jsonl"


def test_messages_round_trip_in_openai_shape() -> None:
    call = tool_call("c1", "find_book", {"title_words": "garden"})
    assistant = Message.assistant(None, [call])
    data = assistant.to_openai()
    assert data == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "find_book", "arguments": '{"title_words": "garden"}'},
            }
        ],
    }
    assert Message.model_validate(data) == assistant
    assert Message.tool("c1", "{}").to_openai() == {
        "role": "tool",
        "content": "{}",
        "tool_call_id": "c1",
    }


def test_reference_trajectory_parses_and_round_trips(tmp_path: Path) -> None:
    line = FIXTURE.read_text().splitlines()[0]
    trajectory = parse_trajectory(line, 1)
    assert trajectory.termination == Termination.user_stop or trajectory.termination in Termination
    out = tmp_path / "t.jsonl"
    write_trajectories(out, [trajectory, trajectory])
    again = [t for _, t in read_trajectories(out)]
    assert all(isinstance(t, Trajectory) for t in again)
    assert json.loads(again[0].to_json_line()) == json.loads(trajectory.to_json_line())


def test_corrupt_lines_are_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    good = FIXTURE.read_text().splitlines()[0]
    bad_format = json.dumps({**json.loads(good), "format": "other@1"})
    missing = json.loads(good)
    del missing["messages"]
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join([good, "{not json", bad_format, json.dumps(missing), "", good]) + "\n"
    )
    results = list(read_trajectories(path))
    assert [n for n, _ in results] == [1, 2, 3, 4, 6]
    kinds = [type(r).__name__ for _, r in results]
    assert kinds == [
        "Trajectory",
        "TrajectoryFormatError",
        "TrajectoryFormatError",
        "TrajectoryFormatError",
        "Trajectory",
    ]
    errors = [r for _, r in results if isinstance(r, TrajectoryFormatError)]
    assert errors[0].line == 2 and "not JSON" in str(errors[0])
    assert "format" in str(errors[1]) and "messages" in str(errors[2])


def test_scenarios_load_from_list_file_and_jsonl(tmp_path: Path) -> None:
    item = {"id": "s1", "system_prompt": "Help.", "user": {"goal": "borrow a book"}}
    assert load_scenarios([item])[0].max_turns == 20
    (tmp_path / "a.json").write_text(json.dumps([item, {**item, "id": "s2"}]))
    assert [s.id for s in load_scenarios(tmp_path / "a.json")] == ["s1", "s2"]
    (tmp_path / "b.jsonl").write_text(
        json.dumps(item) + "\n" + json.dumps({**item, "id": "s3"}) + "\n"
    )
    assert [s.id for s in load_scenarios(tmp_path / "b.jsonl")] == ["s1", "s3"]


def test_invalid_scenarios_list_every_problem() -> None:
    item = {"id": "s1", "system_prompt": "Help.", "user": {"goal": "x"}}
    with pytest.raises(ScenarioError) as info:
        load_scenarios([item, {"id": "s2"}, item, {**item, "id": "s4", "max_turns": 0}])
    paths = [p.path for p in info.value.problems]
    assert "[1].system_prompt" in paths and "[1].user" in paths
    assert "[3].max_turns" in paths
    assert any("duplicate" in p.message for p in info.value.problems)


@pytest.mark.parametrize(
    ("output", "names", "content", "codes"),
    [
        (
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "x", "arguments": "{}"}}
                ],
            },
            ["x"],
            None,
            [],
        ),
        (
            'Checking. <tool_call>{"name": "find", "arguments": {"q": "a"}}</tool_call>',
            ["find"],
            "Checking.",
            [],
        ),
        (
            '<tool_call>{"name": "a", "arguments": {}}</tool_call>'
            '<tool_call>{"name": "b", "arguments": {}}</tool_call>',
            ["a", "b"],
            None,
            [],
        ),
        ('```json\n{"name": "find", "arguments": {"q": 1}}\n```', ["find"], None, []),
        (
            "<tool_call>{broken</tool_call>",
            [],
            "<tool_call>{broken</tool_call>",
            ["unparseable_tool_call"],
        ),
        (
            '<tool_call>{"arguments": {}}</tool_call>',
            [],
            '<tool_call>{"arguments": {}}</tool_call>',
            ["unparseable_tool_call"],
        ),
        ("Your order is refunded.", [], "Your order is refunded.", []),
        ("", [], "", ["empty_output"]),
        (None, [], "", ["empty_output"]),
        ({"role": "assistant", "tool_calls": "nonsense"}, [], "", ["unparseable_tool_call"]),
    ],
)
def test_parse_action_forms(output, names, content, codes) -> None:
    action = parse_action(output)
    assert [c.function.name for c in action.tool_calls] == names
    assert action.message.content == content
    assert [f.code for f in action.findings] == codes
    assert action.message.role == "assistant"
