"""Fine-tuning exports of a run's trajectories: OpenAI chat JSONL, ShareGPT, HF Parquet.

Owns the mapping of `gem-env/trajectory@1` records (DESIGN.md 3.3) to three training
formats and writing them next to a run (`write_export`):

- ``openai``: one line per trajectory, ``{"messages", "tools", "parallel_tool_calls"}``,
  the shape of OpenAI's chat fine-tuning with function calling. ``parallel_tool_calls``
  is false unless an assistant message of the trajectory holds several calls.
- ``sharegpt``: ShareGPT as LLaMA-Factory reads it (``formatting: sharegpt``):
  ``{"conversations": [{"from", "value"}], "system", "tools"}``, with a
  ``dataset_info.json`` entry beside the file. LLaMA-Factory drops an example whose
  roles do not alternate (human/observation at odd positions, gpt/function_call at
  even ones) or that does not end on the model's side, so: an assistant turn with
  several calls becomes consecutive function_call/observation pairs in call order;
  the text of an assistant message that also calls a tool is the thought of its first
  function_call (``<think>\\n...\\n</think>\\n\\n{call}``, the one place LLaMA-Factory
  keeps text in a function turn; a separate gpt turn would break the alternation);
  consecutive user messages are joined.
- ``hf``: a Parquet file (columns `HF_COLUMNS`) with a README.md dataset card beside it,
  loadable by ``datasets.load_dataset("parquet", data_files=...)``.

The openai and sharegpt exports end each conversation at its last assistant message:
a closing user message ("thanks, bye") is no training target, and both trainers want
the model's side last. The hf export keeps every message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from gem_env.errors import NotJSONLinesError, TrajectoryFormatError
from gem_env.messages import Message
from gem_env.trajectory import Trajectory, read_trajectories

ExportFormat = Literal["openai", "sharegpt", "hf"]
FORMATS: tuple[ExportFormat, ...] = ("openai", "sharegpt", "hf")
HF_COLUMNS = ("id", "messages", "tools", "toolkit", "scenario_id", "document_id", "num_turns")
CARD_MARKER = "<!-- written by gem-env export -->"
_BATCH_ROWS = 512


class ExportError(Exception):
    """The run directory or a trajectory cannot be exported; the message says where and why.

    `where` is ``FILE:LINE`` (or the path) of the bad input.
    """

    def __init__(self, where: str, problem: str):
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


# -- shared pieces --------------------------------------------------------------------


def trainable_messages(trajectory: Trajectory) -> list[Message]:
    """The messages up to and including the last assistant message."""
    messages = list(trajectory.messages)
    while messages and messages[-1].role != "assistant":
        messages.pop()
    return messages


def openai_tools(trajectory: Trajectory) -> list[dict[str, Any]]:
    """The toolkit's tools as OpenAI function tools (exactly as sent to a model)."""
    tools = trajectory.toolkit.get("tools")
    if not isinstance(tools, list):
        raise ExportError(trajectory.id, "its toolkit has no 'tools' list")
    return tools


def _openai_message(message: Message) -> dict[str, Any]:
    """Only the keys of the chat format (extra keys a record may carry are left out)."""
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool":
        data["tool_call_id"] = message.tool_call_id
        data["content"] = message.content or ""
    elif message.role != "assistant":
        data["content"] = message.content or ""
    return data


def _arguments(trajectory: Trajectory, text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            trajectory.id, f"the arguments of a call to {name!r} are not JSON: {exc.msg}"
        ) from None


def _has_parallel_calls(messages: Iterable[Message]) -> bool:
    return any(len(m.tool_calls or ()) > 1 for m in messages)


# -- openai ---------------------------------------------------------------------------


def export_openai(trajectories: Iterable[Trajectory]) -> Iterator[dict[str, Any]]:
    """Yield one OpenAI chat fine-tuning example per trajectory.

    Raises:
        ExportError: a trajectory has no assistant message or no tools list.
    """
    for trajectory in trajectories:
        messages = trainable_messages(trajectory)
        if not messages:
            raise ExportError(trajectory.id, "it has no assistant message to train on")
        yield {
            "messages": [_openai_message(m) for m in messages],
            "tools": openai_tools(trajectory),
            "parallel_tool_calls": _has_parallel_calls(messages),
        }


# -- sharegpt (LLaMA-Factory) ---------------------------------------------------------

_ODD, _EVEN = ("human", "observation"), ("gpt", "function_call")


def export_sharegpt(trajectories: Iterable[Trajectory]) -> Iterator[dict[str, Any]]:
    """Yield one LLaMA-Factory ShareGPT example per trajectory (see the module docstring).

    Raises:
        ExportError: a trajectory cannot be written so that LLaMA-Factory keeps it (a
            call without its result, malformed arguments, roles that cannot alternate).
    """
    for trajectory in trajectories:
        messages = trainable_messages(trajectory)
        system = ""
        if messages and messages[0].role == "system":
            system = messages[0].content or ""
            messages = messages[1:]
        turns = _sharegpt_turns(trajectory, messages)
        _check_alternation(trajectory, turns)
        tools = [tool.get("function", tool) for tool in openai_tools(trajectory)]
        yield {
            "conversations": [{"from": role, "value": value} for role, value in turns],
            "system": system,
            "tools": json.dumps(tools, ensure_ascii=False),
        }


def _sharegpt_turns(trajectory: Trajectory, messages: list[Message]) -> list[tuple[str, str]]:
    results = {m.tool_call_id: m.content or "" for m in messages if m.role == "tool"}
    turns: list[tuple[str, str]] = []
    for message in messages:
        text = message.content or ""
        if message.role == "user":
            if turns and turns[-1][0] == "human":
                turns[-1] = ("human", f"{turns[-1][1]}\n\n{text}")
            else:
                turns.append(("human", text))
        elif message.role == "assistant" and not message.tool_calls:
            if turns and turns[-1][0] == "gpt":
                turns[-1] = ("gpt", f"{turns[-1][1]}\n\n{text}")
            else:
                turns.append(("gpt", text))
        elif message.role == "assistant":
            for i, call in enumerate(message.tool_calls or ()):
                name = call.function.name
                arguments = _arguments(trajectory, call.function.arguments, name)
                value = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
                if i == 0 and text.strip():
                    value = f"<think>\n{text}\n</think>\n\n{value}"
                if call.id not in results:
                    raise ExportError(trajectory.id, f"tool call {call.id!r} has no tool result")
                turns += [("function_call", value), ("observation", results[call.id])]
        elif message.role == "system":
            raise ExportError(trajectory.id, "a system message after the first one")
    return turns


def _check_alternation(trajectory: Trajectory, turns: list[tuple[str, str]]) -> None:
    for position, (role, _) in enumerate(turns, 1):
        if role not in (_ODD if position % 2 else _EVEN):
            raise ExportError(
                trajectory.id,
                f"LLaMA-Factory would drop it: {role!r} at position {position} (human or "
                "observation must be at odd positions, gpt or function_call at even ones)",
            )
    if not turns or len(turns) % 2:
        raise ExportError(trajectory.id, "LLaMA-Factory would drop it: it must end on gpt")


def dataset_info_entry(file_name: str) -> dict[str, Any]:
    """The LLaMA-Factory `dataset_info.json` entry of a ShareGPT export file."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
    }


# -- hf (Parquet) ---------------------------------------------------------------------


def export_hf_rows(trajectories: Iterable[Trajectory]) -> Iterator[dict[str, Any]]:
    """Yield one row (columns `HF_COLUMNS`) per trajectory; `messages`/`tools` are JSON text.

    `num_turns` counts the assistant messages (the agent's turns).
    """
    for trajectory in trajectories:
        yield {
            "id": trajectory.id,
            "messages": json.dumps(
                [_openai_message(m) for m in trajectory.messages], ensure_ascii=False
            ),
            "tools": json.dumps(openai_tools(trajectory), ensure_ascii=False),
            "toolkit": str(trajectory.toolkit.get("name", "")),
            "scenario_id": trajectory.scenario.id,
            "document_id": trajectory.provenance.document_id,
            "num_turns": sum(m.role == "assistant" for m in trajectory.messages),
        }


def _write_parquet(rows: Iterable[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [(name, pa.string()) for name in HF_COLUMNS[:-1]] + [("num_turns", pa.int64())]
    )
    count, batch = 0, []
    with pq.ParquetWriter(path, schema) as writer:
        for row in rows:
            batch.append(row)
            if len(batch) >= _BATCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _card(file_name: str, count: int) -> str:
    return f"""---
configs:
- config_name: default
  data_files: {file_name}
---
{CARD_MARKER}
# gem-env tool-use trajectories

{count} multi-turn tool-use trajectories, each executed against a compiled toolkit and
replayable. Load: `datasets.load_dataset("parquet", data_files="{file_name}")`.

| column | meaning |
| --- | --- |
| `id` | trajectory id |
| `messages` | JSON text: OpenAI chat messages (system, user, assistant, tool) |
| `tools` | JSON text: the toolkit's tools as OpenAI function tools |
| `toolkit` | toolkit name |
| `scenario_id` | the scenario the episode ran |
| `document_id` | the corpus document it came from (null for bundled scenarios) |
| `num_turns` | number of assistant messages |
"""


# -- writing next to a run ------------------------------------------------------------


def run_files(out_dir: str | Path, include_rejected: bool = False) -> list[Path]:
    """The trajectory files of run directory `out_dir` to export.

    Raises:
        ExportError: the directory or its ``trajectories.jsonl`` does not exist.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ExportError(str(out_dir), "no such run directory (give the --out DIR of a run)")
    files = [out_dir / "trajectories.jsonl"]
    if not files[0].is_file():
        raise ExportError(str(files[0]), "no such file: is this the output directory of a run?")
    rejected = out_dir / "rejected.jsonl"
    if include_rejected and rejected.is_file():
        files.append(rejected)
    return files


def read_run(files: Iterable[Path]) -> Iterator[Trajectory]:
    """Stream the trajectories of `files`; raise `ExportError` (``FILE:LINE``) at a bad line."""
    for path in files:
        try:
            for number, item in read_trajectories(path):
                if isinstance(item, TrajectoryFormatError):
                    raise ExportError(f"{path}:{number}", item.detail)
                yield item
        except NotJSONLinesError as exc:
            where = f"{path}:{exc.line}" if exc.line is not None else str(path)
            raise ExportError(where, exc.detail) from None
        except UnicodeDecodeError as exc:
            raise ExportError(str(path), f"not UTF-8 text: {exc.reason}") from None


def default_output(out_dir: str | Path, fmt: ExportFormat) -> Path:
    """``OUT_DIR/export/<format>.jsonl`` (``.parquet`` for hf)."""
    return Path(out_dir) / "export" / f"{fmt}.{'parquet' if fmt == 'hf' else 'jsonl'}"


def write_export(
    out_dir: str | Path,
    fmt: ExportFormat,
    out: str | Path | None = None,
    *,
    include_rejected: bool = False,
) -> Path:
    """Export the run in `out_dir` as `fmt`; return the written file.

    All or nothing: the file is written under a temporary name and renamed when every
    trajectory was exported. The sharegpt export also writes (or updates) a
    ``dataset_info.json`` beside it; the hf export a README.md dataset card (or
    ``<name>.card.md`` when a README.md not written by gem-env is there).

    Raises:
        ExportError: a missing directory or file, a corrupt line (``FILE:LINE``), or a
            trajectory the format cannot hold; nothing is written then.
    """
    if fmt not in FORMATS:
        raise ExportError(fmt, f"unknown export format; choose one of {', '.join(FORMATS)}")
    files = run_files(out_dir, include_rejected)
    target = Path(out) if out is not None else default_output(out_dir, fmt)
    if any(target.resolve() == f.resolve() for f in files):
        raise ExportError(str(target), "is an input of the export; give another --out FILE")
    info = _dataset_info(target) if fmt == "sharegpt" else None  # a bad one fails first
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    trajectories = read_run(files)
    try:
        if fmt == "hf":
            count = _write_parquet(export_hf_rows(trajectories), partial)
        else:
            records = export_openai if fmt == "openai" else export_sharegpt
            count = _write_jsonl(records(trajectories), partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    if info is not None:
        info[f"gem_env_{target.stem}"] = dataset_info_entry(target.name)
        text = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
        (target.parent / "dataset_info.json").write_text(text, encoding="utf-8")
    elif fmt == "hf":
        _write_card(target, count)
    return target


def _write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def _dataset_info(target: Path) -> dict[str, Any]:
    """The ``dataset_info.json`` beside `target` to add the export's entry to ({} if none)."""
    info_path = target.parent / "dataset_info.json"
    if not info_path.exists():
        return {}
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(
            str(info_path), f"exists but is not JSON ({exc}); fix or remove it"
        ) from None
    if not isinstance(info, dict):
        raise ExportError(str(info_path), "exists but is not a JSON object; remove it")
    return info


def _write_card(target: Path, count: int) -> Path:
    card = target.parent / "README.md"
    if card.exists() and CARD_MARKER not in card.read_text(encoding="utf-8", errors="replace"):
        card = target.parent / f"{target.stem}.card.md"
    card.write_text(_card(target.name, count), encoding="utf-8")
    return card
