"""`gem-env view`: the static HTML report of a real run directory (the bundled sample
corpus on the offline heuristic backend, plus an oracle eval): every section is there
with content, the page is self-contained and parses, bad input exits 2, and a damaged
directory (a corrupt line, no stats.json) still renders."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from synth.cli import main
from synth.report import write_report
from synth.report.data import TEXT_LIMIT, cut, load_run

SECTIONS = ("funnel", "documents", "trajectories", "toolkits", "eval")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    assert main(["run", "--out", str(out), "--limit", "6", "--no-progress"]) == 0
    code = main(
        ["eval", "--scenarios", str(out / "scenarios.jsonl"), "--model", "oracle", "-k", "1",
         "--out", str(out), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    assert (out / "metrics.json").is_file()
    return out


@pytest.fixture(scope="module")
def html(run_dir: Path) -> str:
    assert main(["view", str(run_dir)]) == 0
    return (run_dir / "report.html").read_text(encoding="utf-8")


class _Page(HTMLParser):
    """Sections by id (with their text), resource references, the embedded JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.section: str | None = None
        self.text: dict[str, list[str]] = {}
        self.tags: dict[str, list[str]] = {}
        self.refs: list[str] = []
        self.data_script = False
        self.data = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "section":
            self.section = a.get("id")
        if self.section:
            self.tags.setdefault(self.section, []).append(tag)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset")]
        self.data_script = tag == "script" and a.get("type") == "application/json"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None
        if tag == "script":
            self.data_script = False

    def handle_data(self, data: str) -> None:
        if self.data_script:
            self.data += data
        elif self.section:
            self.text.setdefault(self.section, []).append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_section_is_there_with_content(run_dir: Path, html: str) -> None:
    page = _parse(html)
    assert set(SECTIONS) <= page.ids
    assert "svg" in page.tags["funnel"] and "rect" in page.tags["funnel"]
    assert "svg" in page.tags["eval"]
    eval_text = " ".join(page.text["eval"])
    assert "pass@1" in eval_text and "pass^1" in eval_text
    funnel_text = " ".join(page.text["funnel"])
    assert "relevance" in funnel_text and "no_tool_use" in funnel_text
    for section in ("documents", "trajectories", "toolkits"):
        assert "tbody" in page.tags[section]


def test_the_embedded_data_holds_the_run(run_dir: Path, html: str) -> None:
    data = json.loads(_parse(html).data)
    finals = {r["document_id"] for r in _lines(run_dir / "outcomes.jsonl") if r["final"]}
    assert finals and {o["document_id"] for o in data["outcomes"]} == finals
    kept = _lines(run_dir / "trajectories.jsonl")
    assert kept and len(data["trajectories"]) == len(kept) + len(_lines(run_dir / "rejected.jsonl"))
    first = next(t for t in data["trajectories"] if t["id"] == kept[0]["id"])
    assert first["status"] == "kept"
    assert first["document_id"] == kept[0]["provenance"]["document_id"]
    texts = [m["content"] for m in first["messages"]]
    assert kept[0]["messages"][1]["content"] in texts
    assert any(m.get("tool_calls") for m in first["messages"])
    # the bundled sample corpus is findable: the source span is embedded
    span = first["span"]
    assert data["sources"][f"{first['document_id']}|{span[0]}|{span[1]}"]
    toolkit_files = sorted(p.name for p in (run_dir / "toolkits").glob("*.json"))
    assert sorted(k["file"].split("/")[-1] for k in data["toolkits"]) == toolkit_files
    assert all(k["source"] and k["tools"] for k in data["toolkits"])
    assert len(data["workflows"]) == len(_lines(run_dir / "workflows.jsonl"))
    assert {t["task_id"] for t in data["eval_tasks"]} == {
        s["id"] for s in _lines(run_dir / "scenarios.jsonl")
    }


def test_the_page_is_self_contained(html: str) -> None:
    page = _parse(html)
    assert page.refs and all(ref.startswith("#") for ref in page.refs), page.refs
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<link" not in html.lower() and "@import" not in html
    # the embedded JSON cannot close its script element
    assert page.data.count("</") == 0


def test_exit_codes(tmp_path: Path, run_dir: Path) -> None:
    assert main(["view", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["view", str(tmp_path / "empty")]) == 2
    out = tmp_path / "elsewhere" / "r.html"
    assert main(["view", str(run_dir), "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000


def test_a_damaged_directory_still_renders(tmp_path: Path, run_dir: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(run_dir, damaged, ignore=shutil.ignore_patterns("stats.json", "*.html"))
    text = (damaged / "trajectories.jsonl").read_text(encoding="utf-8")
    (damaged / "trajectories.jsonl").write_text(
        '{"id": "broken", "messages": [\n' + text + "not json at all\n", encoding="utf-8"
    )
    with (damaged / "outcomes.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"document_id": "doc-999", "fin\n')
    (damaged / "metrics.json").write_text("{not json", encoding="utf-8")
    path = write_report(damaged)
    page = _parse(path.read_text(encoding="utf-8"))
    assert set(SECTIONS) <= page.ids
    assert "svg" in page.tags["funnel"]
    data = json.loads(page.data)
    assert len(data["trajectories"]) == len(_lines(run_dir / "trajectories.jsonl"))
    problems = " ".join(page.text.get("funnel", [])) + path.read_text(encoding="utf-8")
    assert "unreadable line" in problems and "computed from" in problems


def test_long_tool_results_are_cut(tmp_path: Path, run_dir: Path) -> None:
    long = tmp_path / "long"
    long.mkdir()
    t = _lines(run_dir / "trajectories.jsonl")[0]
    tool = next(m for m in t["messages"] if m["role"] == "tool")
    tool["content"] = "x" * 200_000 + "</script><script>alert(1)</script>"
    (long / "trajectories.jsonl").write_text(json.dumps(t) + "\n", encoding="utf-8")
    html = write_report(long).read_text(encoding="utf-8")
    assert len(html) < 60_000
    assert "<script>alert" not in html
    data = load_run(long)
    assert max(len(m["content"]) for m in data["trajectories"][0]["messages"]) < TEXT_LIMIT + 100
    assert cut("abc", 10) == "abc" and "cut" in cut("a" * 20, 10)


def _rejected_copy(run_dir: Path, where: Path) -> str:
    """A directory whose one trajectory is rejected with a finding at message 5."""
    where.mkdir()
    t = _lines(run_dir / "trajectories.jsonl")[0]
    t["id"] = "rejected-one"
    t["verification"] = {
        "passed": False,
        "checks": [
            {
                "name": "invariants",
                "passed": False,
                "findings": [
                    {"code": "invariant_violated", "message_index": 5, "detail": "<b>log</b>"}
                ],
            }
        ],
    }
    (where / "rejected.jsonl").write_text(json.dumps(t) + "\n", encoding="utf-8")
    return t["id"]


def test_findings_are_kept_with_their_message_index(tmp_path: Path, run_dir: Path) -> None:
    _rejected_copy(run_dir, tmp_path / "rej")
    (t,) = load_run(tmp_path / "rej")["trajectories"]
    assert t["status"] == "rejected" and t["passed"] is False
    assert t["findings"] == [
        {
            "check": "invariants",
            "code": "invariant_violated",
            "message_index": 5,
            "detail": "<b>log</b>",
        }
    ]


def _browser() -> str | None:
    return next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )


@pytest.mark.skipif(_browser() is None, reason="no headless chromium")
def test_the_pages_render_in_a_headless_browser(tmp_path: Path, run_dir: Path) -> None:
    """The inline JS runs: the pagers fill the tables; #trajectory=ID opens one with its
    finding marked at its message (escaped, not interpreted)."""
    import subprocess

    ident = _rejected_copy(run_dir, tmp_path / "rej")
    page = write_report(tmp_path / "rej")
    shutil.copy(run_dir / "report.html", tmp_path / "full.html")

    def dom(path: Path, fragment: str = "") -> str:
        result = subprocess.run(
            [_browser() or "", "--headless", "--no-sandbox", "--disable-gpu",
             "--enable-logging=stderr", "--v=0",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
             "--dump-dom", path.resolve().as_uri() + fragment],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert "Uncaught" not in result.stderr, result.stderr
        return result.stdout

    full = dom(tmp_path / "full.html")
    finals = {r["document_id"] for r in _lines(run_dir / "outcomes.jsonl") if r["final"]}
    assert all(f"<code>{d}</code>" in full for d in finals)
    assert "page 1 of 1" in full
    rejected = dom(page, f"#trajectory={ident}")
    assert 'class="msg tool flagged"' in rejected
    assert "invariant_violated: &lt;b&gt;log&lt;/b&gt;" in rejected


def test_records_of_unexpected_shapes_are_tolerated(tmp_path: Path, run_dir: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(run_dir, odd, ignore=shutil.ignore_patterns("*.html"))
    (odd / "stats.json").write_text('{"documents": 3, "stages": [1], "trajectories": []}')
    metrics = {"model": 1, "episodes": [], "metrics": {"pass_at_k": [1], "tasks": "x"}}
    (odd / "metrics.json").write_text(json.dumps(metrics))
    with (odd / "trajectories.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": 7, "provenance": "x", "messages": "y", "verification": []}\n[1, 2]\n')
    with (odd / "workflows.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"steps": 3, "rules": [1]}\n')
    (odd / "toolkits" / "list.json").write_text("[]")
    (odd / "toolkits" / "odd.json").write_text('{"tools": "x", "invariants": [1]}')
    page = _parse(write_report(odd).read_text(encoding="utf-8"))
    assert set(SECTIONS) <= page.ids and "rect" in page.tags["funnel"]
    data = json.loads(page.data)
    assert len(data["trajectories"]) == len(_lines(run_dir / "trajectories.jsonl")) + 1
    assert len(data["toolkits"]) == len(list((run_dir / "toolkits").glob("*.json"))) + 1
    assert data["eval_tasks"] == []
    assert any("stats.json" in p for p in load_run(odd)["problems"])
