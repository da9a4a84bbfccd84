"""Exports round-trip: oracle trajectories of the bundled scenarios are exported to each
format and read back the way its consumer reads it (OpenAI's chat types, LLaMA-Factory's
ShareGPT rules, pyarrow / datasets); `gem-env export` exit codes and FILE:LINE errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gem_env.env import ToolUseEnv
from gem_env.messages import Message, tool_call
from gem_env.participants import OracleAgent
from gem_env.rollouts import run_episode
from gem_env.scenarios import bundled_scenarios
from gem_env.trajectory import Trajectory
from synth.cli import main
from synth.exports import (
    CARD_MARKER,
    HF_COLUMNS,
    ExportError,
    export_openai,
    export_sharegpt,
    write_export,
)


@pytest.fixture(scope="module")
def trajectories() -> list[Trajectory]:
    scenarios = bundled_scenarios()
    return [
        run_episode(ToolUseEnv(scenarios=[s]), OracleAgent(), scenario=s, seed=0).trajectory
        for s in scenarios
    ]


@pytest.fixture
def run_dir(tmp_path: Path, trajectories: list[Trajectory]) -> Path:
    out = tmp_path / "run"
    out.mkdir()
    _write(out / "trajectories.jsonl", trajectories)
    return out


def _write(path: Path, trajectories: list[Trajectory]) -> None:
    path.write_text("".join(t.to_json_line() + "\n" for t in trajectories), encoding="utf-8")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _with_messages(base: Trajectory, messages: list[Message], suffix: str) -> Trajectory:
    return base.model_copy(update={"messages": messages, "id": f"{base.id}-{suffix}"})


# -- openai -----------------------------------------------------------------------------


def _check_openai_example(example: dict[str, Any]) -> None:
    from openai.types.chat import ChatCompletionMessageParam
    from pydantic import TypeAdapter

    assert set(example) == {"messages", "tools", "parallel_tool_calls"}
    TypeAdapter(list[ChatCompletionMessageParam]).validate_python(example["messages"])
    assert example["tools"] and all(t["type"] == "function" for t in example["tools"])
    names = {t["function"]["name"] for t in example["tools"]}
    pending: set[str] = set()
    for message in example["messages"]:
        if message["role"] == "tool":
            pending.remove(message["tool_call_id"])  # answers an earlier call
            continue
        assert not pending, "every call is answered before the next non-tool message"
        for call in message.get("tool_calls") or ():
            assert call["function"]["name"] in names
            assert isinstance(json.loads(call["function"]["arguments"]), dict)
            pending.add(call["id"])
    assert not pending
    assert example["messages"][-1]["role"] == "assistant"


def test_openai_export_round_trips(run_dir: Path, trajectories: list[Trajectory]) -> None:
    path = write_export(run_dir, "openai")
    assert path == run_dir / "export" / "openai.jsonl"
    examples = _lines(path)
    assert len(examples) == len(trajectories)
    for example, trajectory in zip(examples, trajectories):
        _check_openai_example(example)
        assert example["tools"] == trajectory.toolkit["tools"]
        assert example["parallel_tool_calls"] is False
        assert example["messages"][0] == {
            "role": "system",
            "content": trajectory.messages[0].content,
        }


def test_openai_marks_parallel_calls(trajectories: list[Trajectory]) -> None:
    base = trajectories[0]
    calls = [tool_call("c1", "a", {"x": 1}), tool_call("c2", "b", {})]
    messages = [
        Message.system("s"),
        Message.user("u"),
        Message.assistant(None, calls),
        Message.tool("c1", "{}"),
        Message.tool("c2", "{}"),
        Message.assistant("done"),
        Message.user("thanks, bye"),
    ]
    (example,) = export_openai([_with_messages(base, messages, "parallel")])
    assert example["parallel_tool_calls"] is True
    assert example["messages"][-1] == {"role": "assistant", "content": "done"}  # bye dropped


# -- sharegpt (LLaMA-Factory) -----------------------------------------------------------


def _check_llamafactory_rules(conversations: list[dict[str, str]]) -> None:
    """LLaMA-Factory's SharegptDatasetConverter keeps an example only when these hold."""
    for position, turn in enumerate(conversations, 1):
        allowed = ("human", "observation") if position % 2 else ("gpt", "function_call")
        assert turn["from"] in allowed, (position, turn["from"])
        if turn["from"] == "function_call":
            assert conversations[position]["from"] == "observation"
    assert len(conversations) % 2 == 0


def _call_of(value: str) -> dict[str, Any]:
    """Parse a function_call value as LLaMA-Factory's FunctionFormatter does."""
    if value.startswith("<think>\n"):
        value = value.split("\n</think>\n\n", 1)[1]
    call = json.loads(value)
    assert set(call) == {"name", "arguments"} and isinstance(call["arguments"], dict)
    return call


def test_sharegpt_export_follows_llamafactory(
    run_dir: Path, trajectories: list[Trajectory]
) -> None:
    path = write_export(run_dir, "sharegpt")
    records = _lines(path)
    assert len(records) == len(trajectories)
    for record, trajectory in zip(records, trajectories):
        assert set(record) == {"conversations", "system", "tools"}
        assert record["system"] == trajectory.messages[0].content
        _check_llamafactory_rules(record["conversations"])
        tools = json.loads(record["tools"])
        assert [t["name"] for t in tools] == [
            t["function"]["name"] for t in trajectory.toolkit["tools"]
        ]
        calls = [c for m in trajectory.messages for c in m.tool_calls or ()]
        turns = record["conversations"]
        exported = [_call_of(t["value"]) for t in turns if t["from"] == "function_call"]
        assert [c["name"] for c in exported] == [c.function.name for c in calls]
        arguments = [json.loads(c.function.arguments) for c in calls]
        assert [c["arguments"] for c in exported] == arguments
    info = json.loads((path.parent / "dataset_info.json").read_text())
    assert info == {
        "gem_env_sharegpt": {
            "file_name": "sharegpt.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
        }
    }


THOUGHT = "<think>\nLet me check both.\n</think>\n\n"


def test_sharegpt_parallel_calls_and_text_with_a_call(trajectories: list[Trajectory]) -> None:
    base = trajectories[0]
    calls = [tool_call("c1", "first", {"x": 1}), tool_call("c2", "second", {"y": 2})]
    messages = [
        Message.system("sys"),
        Message.user("hi"),
        Message.user("book it"),
        Message.assistant("Let me check both.", calls),
        Message.tool("c2", '{"b":2}'),  # results may come in any order
        Message.tool("c1", '{"a":1}'),
        Message.assistant("Done."),
        Message.user("bye"),
    ]
    (record,) = export_sharegpt([_with_messages(base, messages, "pair")])
    turns = [(t["from"], t["value"]) for t in record["conversations"]]
    assert turns == [
        ("human", "hi\n\nbook it"),
        ("function_call", THOUGHT + '{"name": "first", "arguments": {"x": 1}}'),
        ("observation", '{"a":1}'),
        ("function_call", '{"name": "second", "arguments": {"y": 2}}'),
        ("observation", '{"b":2}'),
        ("gpt", "Done."),
    ]
    _check_llamafactory_rules(record["conversations"])


def test_sharegpt_refuses_what_llamafactory_would_drop(trajectories: list[Trajectory]) -> None:
    base = trajectories[0]
    unanswered = [Message.user("u"), Message.assistant(None, [tool_call("c9", "a", {})])]
    with pytest.raises(ExportError, match="tool call 'c9' has no tool result"):
        list(export_sharegpt([_with_messages(base, unanswered, "x")]))
    greeting_first = [Message.system("s"), Message.assistant("Hello!"), Message.user("u"),
                      Message.assistant("ok")]  # fmt: skip
    with pytest.raises(ExportError, match="'gpt' at position 1"):
        list(export_sharegpt([_with_messages(base, greeting_first, "y")]))
    bad_arguments = [Message.user("u"), Message.assistant(None, [tool_call("c1", "a", "{x")]),
                     Message.tool("c1", "{}"), Message.assistant("ok")]  # fmt: skip
    with pytest.raises(ExportError, match="arguments of a call to 'a' are not JSON"):
        list(export_sharegpt([_with_messages(base, bad_arguments, "z")]))
    with pytest.raises(ExportError, match="no assistant message"):
        list(export_openai([_with_messages(base, [Message.user("u")], "w")]))


def test_sharegpt_dataset_info_is_merged_not_clobbered(run_dir: Path) -> None:
    out = run_dir / "lf" / "mine.jsonl"
    out.parent.mkdir()
    (out.parent / "dataset_info.json").write_text('{"other": {"file_name": "o.json"}}')
    write_export(run_dir, "sharegpt", out)
    info = json.loads((out.parent / "dataset_info.json").read_text())
    assert info["other"] == {"file_name": "o.json"}
    assert info["gem_env_mine"]["file_name"] == "mine.jsonl"


# -- hf (Parquet) -----------------------------------------------------------------------


def test_hf_export_loads_with_pyarrow_and_datasets(
    run_dir: Path, trajectories: list[Trajectory]
) -> None:
    import pyarrow.parquet as pq

    path = write_export(run_dir, "hf")
    assert path == run_dir / "export" / "hf.parquet"
    table = pq.read_table(path)
    assert tuple(table.column_names) == HF_COLUMNS
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [t.id for t in trajectories]
    for row, trajectory in zip(rows, trajectories):
        assert json.loads(row["messages"]) == [m.to_openai() for m in trajectory.messages]
        assert json.loads(row["tools"]) == trajectory.toolkit["tools"]
        assert row["toolkit"] == trajectory.toolkit["name"]
        assert row["scenario_id"] == trajectory.scenario.id
        assert row["num_turns"] == sum(m.role == "assistant" for m in trajectory.messages)
    card = (path.parent / "README.md").read_text()
    assert CARD_MARKER in card and f"{len(rows)} multi-turn" in card
    try:
        import datasets
    except ImportError:
        return  # the datasets half of the round trip needs the optional package
    loaded = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert loaded.num_rows == len(trajectories)


def test_hf_card_does_not_overwrite_a_foreign_readme(run_dir: Path) -> None:
    out = run_dir / "data.parquet"
    (run_dir / "README.md").write_text("# my project\n")
    write_export(run_dir, "hf", out)
    assert (run_dir / "README.md").read_text() == "# my project\n"
    assert CARD_MARKER in (run_dir / "data.card.md").read_text()


# -- the command ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "hf"])
def test_cli_exports_each_format(
    run_dir: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(run_dir), "--format", fmt]) == 0
    suffix = "parquet" if fmt == "hf" else "jsonl"
    assert f"wrote 15 {fmt} records to {run_dir / 'export' / f'{fmt}.{suffix}'}" in (
        capsys.readouterr().out
    )


def test_cli_out_and_include_rejected(
    run_dir: Path, trajectories: list[Trajectory], tmp_path: Path
) -> None:
    rejected = [t.model_copy(update={"id": f"{t.id}-rejected"}) for t in trajectories[:2]]
    _write(run_dir / "rejected.jsonl", rejected)
    out = tmp_path / "elsewhere" / "train.jsonl"
    assert main(["export", str(run_dir), "--format", "openai", "--out", str(out)]) == 0
    assert len(_lines(out)) == 15
    assert main(["export", str(run_dir), "--format", "openai", "--out", str(out),
                 "--include-rejected"]) == 0  # fmt: skip
    assert len(_lines(out)) == 17


def test_cli_corrupt_line_is_file_line_and_exports_nothing(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = run_dir / "trajectories.jsonl"
    lines = source.read_text().splitlines()
    lines[2] = lines[2][:50]
    source.write_text("\n".join(lines) + "\n")
    assert main(["export", str(run_dir), "--format", "sharegpt"]) == 2
    err = capsys.readouterr().err
    assert f"{source}:3: not JSON" in err
    assert "nothing was exported" in err
    assert not (run_dir / "export" / "sharegpt.jsonl").exists()
    assert not list((run_dir / "export").glob("*.partial"))


def test_cli_not_a_trajectory_line(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = run_dir / "trajectories.jsonl"
    source.write_text(source.read_text() + '{"format": "something/else@1"}\n')
    assert main(["export", str(run_dir), "--format", "hf"]) == 2
    assert f"{source}:16: format is 'something/else@1'" in capsys.readouterr().err
    assert not (run_dir / "export" / "hf.parquet").exists()


def test_cli_missing_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nope"), "--format", "openai"]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "openai"]) == 2
    assert f"{tmp_path / 'trajectories.jsonl'}: no such file" in capsys.readouterr().err
    assert main(["export", str(tmp_path), "--format", "csv"]) == 2  # argparse: bad choice


def test_cli_refuses_to_overwrite_its_input(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = run_dir / "trajectories.jsonl"
    before = source.read_text()
    assert main(["export", str(run_dir), "--format", "openai", "--out", str(source)]) == 2
    assert "is an input of the export" in capsys.readouterr().err
    assert source.read_text() == before


def test_a_bad_dataset_info_fails_before_anything_is_written(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = run_dir / "export"
    export.mkdir()
    (export / "dataset_info.json").write_text("{not json")
    assert main(["export", str(run_dir), "--format", "sharegpt"]) == 2
    assert "dataset_info.json: exists but is not JSON" in capsys.readouterr().err
    assert not (export / "sharegpt.jsonl").exists()
