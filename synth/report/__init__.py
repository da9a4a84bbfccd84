"""`gem-env view`: one static, self-contained HTML report of a run directory.

The page (``DIR/report.html``) needs no network: CSS, JavaScript and the SVG charts are
inline. The funnel and the eval summary are rendered here; the long lists (document
outcomes, trajectories, toolkits, eval tasks) are embedded as one JSON block and paged
in the browser by a small vanilla-JS pager, so a run of thousands of trajectories stays
a file of a few MB that opens fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from synth.report.charts import estimates_svg, funnel_svg
from synth.report.data import funnel as ledger_funnel
from synth.report.data import is_run_directory, load_run

__all__ = ["ReportError", "render_report", "write_report", "write_report_at_end"]

TEMPLATES = Path(__file__).parent / "templates"


class ReportError(ValueError):
    """The directory cannot be reported on (missing, or not a run directory)."""


def write_report_at_end(run_dir: Path, command: str) -> Path | None:
    """``run_dir/report.html`` at the end of `command` (``run``, ``eval``): the path, or
    None after a warning on stderr (a report that cannot be written fails no run)."""
    import sys

    try:
        return write_report(run_dir)
    except (ReportError, OSError) as exc:
        print(f"gem-env {command}: could not write the report: {exc}", file=sys.stderr)
        return None


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the HTML report of `run_dir` to `out` (default ``run_dir/report.html``).

    Args:
        run_dir: the output directory of `gem-env run` (or of `gem-env eval --out`).
        out: the HTML file to write.

    Returns:
        The path written.

    Raises:
        ReportError: `run_dir` is missing or holds no run output.
        OSError: `out` cannot be written.
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise ReportError(f"{run_dir}: no such directory; give the --out directory of a run")
    if not is_run_directory(run_dir):
        raise ReportError(
            f"{run_dir}: not a run directory (no outcomes.jsonl, trajectories.jsonl, "
            "stats.json or metrics.json)"
        )
    out = Path(out) if out is not None else run_dir / "report.html"
    data = load_run(run_dir)
    try:
        html = render_report(data)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
        # stats.json or metrics.json of an unexpected shape: render without them
        problems = [*data["problems"], f"stats.json / metrics.json not shown: {exc}"]
        data = {**data, "stats": None, "metrics": None, "problems": problems}
        data["funnel"] = ledger_funnel(run_dir, None, problems)
        html = render_report(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out


def render_report(data: dict[str, Any]) -> str:
    """The report page of `data` (as `synth.report.data.load_run` returns it)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    report = data.get("metrics") if isinstance(data.get("metrics"), dict) else None
    metrics = report.get("metrics") if report and isinstance(report.get("metrics"), dict) else None
    tasks = (metrics or {}).get("tasks")
    counts = _counts(data)
    payload = {
        "outcomes": data["outcomes"],
        "trajectories": data["trajectories"],
        "sources": data["sources"],
        "toolkits": data["toolkits"],
        "workflows": data["workflows"],
        "eval_tasks": [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else [],
    }
    return env.get_template("report.html.j2").render(
        data=data,
        funnel=data["funnel"],
        funnel_chart=Markup(funnel_svg(data["funnel"], (counts["kept"], counts["rejected"]))),
        eval_report=report,
        metrics=metrics,
        estimates=_estimates(metrics),
        estimates_chart=Markup(estimates_svg(_estimates(metrics))),
        counts=counts,
        payload=Markup(_script_json(payload)),
        css=Markup((TEMPLATES / "report.css").read_text("utf-8")),
        js=Markup((TEMPLATES / "report.js").read_text("utf-8")),
    )


def _estimates(metrics: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(metrics, dict):
        return []
    rows = [(f"pass@{k}", e) for k, e in _items(metrics.get("pass_at_k"))]
    rows += [(f"pass^{k}", e) for k, e in _items(metrics.get("pass_hat_k"))]
    if isinstance(metrics.get("mean_reward"), dict):
        rows.append(("mean reward", metrics["mean_reward"]))
    return [
        (label, e)
        for label, e in rows
        if isinstance(e, dict)
        and all(isinstance(e.get(k), (int, float)) for k in ("value", "ci_low", "ci_high"))
    ]


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _counts(data: dict[str, Any]) -> dict[str, int]:
    trajectories = data["trajectories"]
    kept = sum(1 for t in trajectories if t["status"] == "kept")
    return {
        "documents": len(data["outcomes"]),
        "kept": kept,
        "rejected": len(trajectories) - kept,
        "toolkits": len(data["toolkits"]),
        "workflows": len(data["workflows"]),
    }


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``</script>``, no ``<!--``, no HTML entities."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
