"""The run report in a real browser: headless Chromium (Debian's ``chromium``, which
``.ci/run`` installs when missing) renders every section with content, the trajectory
viewer navigates, and a screenshot is saved (``tests/artifacts/report.png``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from synth.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = ROOT / "tests" / "artifacts" / "report.png"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", "--out", str(out), "--limit", "8", "--no-progress"]) == 0
    assert main(["view", str(out)]) == 0
    return out, out / "report.html"


def _dom(page: Path, tmp_path: Path, fragment: str = "") -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri() + fragment],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_every_section_renders_with_content(report: tuple[Path, Path], tmp_path: Path) -> None:
    out, page = report
    dom = _dom(page, tmp_path)
    for section in ("funnel", "documents", "trajectories", "toolkits"):
        assert f'id="{section}"' in dom, section
    assert "<svg" in dom  # the funnel chart
    finals = [json.loads(x) for x in (out / "outcomes.jsonl").read_text().splitlines()]
    finals = [r for r in finals if r.get("final")]
    shown = sum(1 for r in finals if r["document_id"] in dom)
    assert shown >= min(len(finals), 8)  # the outcome table is filled in by the page
    first = json.loads((out / "trajectories.jsonl").read_text().splitlines()[0])
    tools = {t["function"]["name"] for t in first["toolkit"]["tools"]}
    assert any(name in dom for name in tools)  # a toolkit or a trajectory rendered


def test_the_trajectory_viewer_navigates(report: tuple[Path, Path], tmp_path: Path) -> None:
    out, page = report
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    if len(lines) < 2:
        pytest.skip("needs two trajectories")
    second = json.loads(lines[1])
    said = next(m["content"] for m in second["messages"] if m["role"] == "user")
    dom = _dom(page, tmp_path, "#trajectory=" + second["id"])
    assert said.split("\n")[0][:40] in dom


def test_a_screenshot_is_saved(report: tuple[Path, Path], tmp_path: Path) -> None:
    _, page = report
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'shot'}", "--window-size=1280,2000",
         "--virtual-time-budget=5000", f"--screenshot={SCREENSHOT}", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert SCREENSHOT.stat().st_size > 10_000  # not a blank page
