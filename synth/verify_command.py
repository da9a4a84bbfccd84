"""`gem-env verify`: verify trajectories and print one verdict line per record.

    gem-env verify FILE.jsonl [FILE ...] [--json] [--checks NAMES] [--out FILE]
                   [--isolation auto|none|process]
                   [--judge-model M [--judge-base-url URL] [--judge-api-key KEY]]

``-`` reads standard input. Each record, in input order, prints ``PASS <id>``,
``FAIL <id>  <check>: <code>@<message index>, ...`` or, for a line that is not a
trajectory, ``ERROR <file>:<line>: <what is wrong>``; a summary with a count per finding
code follows. A file that is one JSON document (a pretty-printed trajectory, a JSON array
of them) is bad input: the message says to give JSONL and how to convert it. ``--json``
prints one JSON object per record instead (``{"id", "passed", "checks"}``, or
``{"id": null, "line", "file", "error"}``) and the summary on stderr. ``--out`` writes
the readable trajectories with their ``verification`` report. Exit 0 when all pass, 1
when some fail, 2 on bad input (a file or a line that cannot be read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from gem_env.errors import NotJSONLinesError, TrajectoryFormatError
from gem_env.trajectory import Trajectory, parse_lines, read_trajectories
from verifiers import (
    DEFAULT_CHECKS,
    Check,
    CheckConfigError,
    UnknownCheckError,
    VerificationReport,
    make_checks,
    verify,
)

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
STDIN, STDIN_LABEL = "-", "<stdin>"
DEFAULT_NAMES = [check.name for check in DEFAULT_CHECKS]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env verify`."""
    p.add_argument("files", nargs="+", metavar="FILE.jsonl", help="trajectory files ('-': stdin)")
    p.add_argument("--json", action="store_true", help="print one JSON report per record")
    p.add_argument(
        "--checks", action="append", metavar="NAMES",
        help=f"comma-separated checks, repeatable (default: {', '.join(DEFAULT_NAMES)}, "
        "plus judge when --judge-model is given)",
    )  # fmt: skip
    p.add_argument("--out", metavar="FILE", help="also write the trajectories with their reports")
    p.add_argument(
        "--isolation", choices=["auto", "none", "process"], default="auto",
        help="where tool calls are replayed: 'auto' (default) in a worker process for "
        "every toolkit but the bundled examples, 'process' always, 'none' in this process",
    )  # fmt: skip
    p.add_argument("--judge-model", metavar="M", help="chat model of the LLM judge check")
    p.add_argument("--judge-base-url", metavar="URL", help="OpenAI-compatible API root (…/v1)")
    p.add_argument("--judge-api-key", metavar="KEY", help="API key (default: $OPENAI_API_KEY)")
    p.add_argument(
        "--judge-max-tokens", type=int, default=1024, metavar="N",
        help="tokens per judge answer (default 1024: a verdict is short; small models "
        "otherwise ramble until their context is full)",
    )  # fmt: skip


class _BadInputError(Exception):
    pass


@dataclass
class _Tally:
    """What was seen so far: verdicts, corrupt lines, unreadable files, finding codes."""

    passed: int = 0
    failed: int = 0
    unreadable: int = 0
    bad_files: int = 0
    codes: Counter[str] = field(default_factory=Counter)

    def exit_code(self) -> int:
        """2 for any bad input, else 1 for any failure, else 0."""
        if self.unreadable or self.bad_files:
            return EXIT_BAD_INPUT
        return EXIT_FAIL if self.failed else EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Check the options and the inputs, then verify every record in input order."""
    try:
        names = _check_names(args)
        _check_inputs(args.files, args.out)
        model = _judge_model(args) if "judge" in names else None
        checks = make_checks(names, judge_model=model)
    except (_BadInputError, UnknownCheckError, CheckConfigError) as exc:
        print(f"gem-env verify: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with _Sink(args.out) as sink:
            tally = _verify_files(args, checks, sink)
    finally:
        for check in checks:  # the judge closes its model's connections on its own loop
            closer = getattr(check, "close", None)
            if callable(closer):
                closer()
    _print_summary(tally, sys.stderr if args.json else sys.stdout)
    return tally.exit_code()


def _check_names(args: argparse.Namespace) -> list[str]:
    """The check names of ``--checks`` (comma-separated, repeatable) or the defaults."""
    if args.judge_model is None and (args.judge_base_url or args.judge_api_key):
        raise _BadInputError("--judge-base-url and --judge-api-key need --judge-model M")
    if not args.checks:
        return DEFAULT_NAMES + (["judge"] if args.judge_model else [])
    names = [n.strip() for item in args.checks for n in item.split(",") if n.strip()]
    if not names:
        raise _BadInputError("--checks names no check; e.g. --checks structure,replay")
    if args.judge_model is not None and "judge" not in names:
        raise _BadInputError("--judge-model is given but --checks has no judge; add judge")
    if "judge" in names and args.judge_model is None:
        raise _BadInputError(
            "the judge check needs a chat model: pass --judge-model M and --judge-base-url URL"
        )
    return names


def _check_inputs(files: list[str], out: str | None) -> None:
    """Every input is a file (or stdin) and ``--out`` can be written, before any check."""
    for name in files:
        path = Path(name)
        if name != STDIN and not path.exists():
            raise _BadInputError(f"cannot read {name}: no such file")
        if name != STDIN and path.is_dir():
            raise _BadInputError(f"cannot read {name}: it is a directory, not a JSONL file")
    if out is not None:
        target = Path(out)
        if target.is_dir():
            raise _BadInputError(f"--out {out} is a directory; give a file name")
        if not target.parent.is_dir():
            raise _BadInputError(f"--out {out}: no directory {target.parent}")


def _judge_model(args: argparse.Namespace) -> Any:
    """The judge's chat model, after checking its server answers and serves the model."""
    import difflib

    from synth.backends import BackendError, OpenAIChatModel

    if args.judge_max_tokens < 1:
        raise _BadInputError("--judge-max-tokens must be at least 1")
    model = OpenAIChatModel(
        args.judge_model,
        base_url=args.judge_base_url,
        api_key=args.judge_api_key,
        max_tokens=args.judge_max_tokens,
    )

    async def served_models() -> list[str]:
        try:
            return await model.list_models()
        finally:  # the client of this short loop; the judge makes its own on its loop
            await model.aclose()

    try:
        served = asyncio.run(served_models())
    except BackendError as exc:
        raise _BadInputError(f"judge: {_judge_flags(str(exc))}") from None
    if served and args.judge_model not in served:
        close = difflib.get_close_matches(args.judge_model, served, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise _BadInputError(
            f"the server at {model.where} does not serve {args.judge_model!r}.{hint} "
            f"It serves: {', '.join(served[:10])}."
        )
    return model


def _judge_flags(message: str) -> str:
    """A backend message naming ``--base-url`` etc. names this command's ``--judge-*``."""
    return re.sub(r"(?<![\w-])--(base-url|api-key|model)\b", r"--judge-\1", message)


class _Sink:
    """``--out``: trajectories go to a temporary file, renamed over FILE on success."""

    def __init__(self, out: str | None):
        self.out = out
        self._file: Any = None

    def __enter__(self) -> _Sink:
        if self.out is not None:
            target = Path(self.out)
            self._file = tempfile.NamedTemporaryFile(  # closed in __exit__
                "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.",
                suffix=".tmp", delete=False,
            )  # fmt: skip
        return self

    def write(self, trajectory: Trajectory, report: VerificationReport) -> None:
        """Write `trajectory` with its ``verification`` report (no-op without ``--out``)."""
        if self._file is not None:
            annotated = trajectory.model_copy(update={"verification": report.to_dict()})
            self._file.write(annotated.to_json_line() + "\n")

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self._file is None:
            return
        self._file.close()
        if exc_type is None:
            os.replace(self._file.name, self.out)  # type: ignore[arg-type]
        else:
            os.unlink(self._file.name)


def _verify_files(args: argparse.Namespace, checks: list[Check], sink: _Sink) -> _Tally:
    """Verify every record of every file, printing one line each as it is done."""
    tally = _Tally()
    for name in args.files:
        label = STDIN_LABEL if name == STDIN else name
        seen = 0
        try:
            for number, item in _records(name):
                seen += 1
                if isinstance(item, TrajectoryFormatError):
                    tally.unreadable += 1
                    print(_error_line(label, number, item.detail, args.json), flush=True)
                    continue
                report = verify(item, checks, isolation=args.isolation)
                sink.write(item, report)
                _count(tally, report)
                print(_verdict_line(item.id, report, args.json), flush=True)
        except NotJSONLinesError as exc:  # raised before its first record
            tally.bad_files += 1
            where = label if exc.line is None else f"{label}:{exc.line}:{exc.col}"
            print(f"gem-env verify: {where}: {exc.detail}", file=sys.stderr)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            tally.bad_files += 1
            print(f"gem-env verify: cannot read {label}: {_reason(exc)}", file=sys.stderr)
            continue
        if seen == 0:
            tally.bad_files += 1
            print(f"gem-env verify: no trajectories in {label}", file=sys.stderr)
    return tally


def _records(name: str) -> Iterator[tuple[int, Trajectory | TrajectoryFormatError]]:
    """``(line number, trajectory or its error)`` of a file, or of stdin for ``-``."""
    return parse_lines(sys.stdin) if name == STDIN else read_trajectories(name)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason})"
    return getattr(exc, "strerror", None) or str(exc)


def _count(tally: _Tally, report: VerificationReport) -> None:
    if report.passed:
        tally.passed += 1
    else:
        tally.failed += 1
    tally.codes.update(report.codes())


def _verdict_line(trajectory_id: str, report: VerificationReport, as_json: bool) -> str:
    """``PASS id`` / ``FAIL id  check: code@index, ...; check: ...``, or the JSON object."""
    if as_json:
        data = {"id": trajectory_id, "passed": report.passed}
        return json.dumps({**data, "checks": report.to_dict()["checks"]}, ensure_ascii=False)
    if report.passed:
        return f"PASS {trajectory_id}"
    groups = [
        f"{result.name}: "
        + ", ".join(
            f"{f.code}@{'-' if f.message_index is None else f.message_index}"
            for f in result.findings
        )
        for result in report.checks
        if result.findings
    ]
    return f"FAIL {trajectory_id}  {'; '.join(groups)}"


def _error_line(label: str, number: int, error: str, as_json: bool) -> str:
    """``ERROR file:line: what is wrong``, or its JSON object."""
    if as_json:
        data = {"id": None, "line": number, "file": label, "error": error}
        return json.dumps(data, ensure_ascii=False)
    return f"ERROR {label}:{number}: {error}"


def _print_summary(tally: _Tally, stream: TextIO) -> None:
    """Totals, then the count of each finding code (most frequent first)."""
    total = tally.passed + tally.failed + tally.unreadable
    noun = "trajectory" if total == 1 else "trajectories"
    print(
        f"{total} {noun}: {tally.passed} passed, {tally.failed} failed, "
        f"{tally.unreadable} unreadable",
        file=stream,
    )
    ranked = sorted(tally.codes.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(code) for code, _ in ranked), default=0)
    for code, n in ranked:
        print(f"  {code:<{width}}  {n}", file=stream)
    if tally.bad_files:
        print(f"{tally.bad_files} file(s) could not be read (see above)", file=stream)
    stream.flush()
