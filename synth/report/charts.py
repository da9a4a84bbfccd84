"""Inline SVG charts of the report, generated as strings (no scripts, no external files)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["estimates_svg", "funnel_svg"]

COLORS = {"kept": "#2e8b57", "dropped": "#d9a21b", "failed": "#c0392b"}
_FONT = 'font-family="system-ui,sans-serif" font-size="12"'


def funnel_svg(funnel: dict[str, Any], verified: tuple[int, int] | None = None) -> str:
    """A horizontal stacked bar per stage (and the documents' final outcomes).

    Args:
        funnel: ``{"documents": {...}, "stages": {stage: {"in", "kept", "dropped",
            "failed"}}}`` as in ``stats.json``.
        verified: ``(kept, rejected)`` trajectories, drawn as a last bar (rejected in
            the colour of failed).

    Returns:
        An ``<svg>`` element; bars are scaled to the largest ``in`` count.
    """
    rows: list[tuple[str, dict[str, Any]]] = [
        (stage, row)
        for stage, row in (funnel.get("stages") or {}).items()
        if isinstance(row, dict) and row.get("in")
    ]
    docs = funnel.get("documents") or {}
    if docs.get("total"):
        rows.append(("final", {"in": docs["total"], **docs}))
    if verified and sum(verified):
        kept, rejected = verified
        rows.append(("trajectories", {"in": kept + rejected, "kept": kept, "failed": rejected}))
    label_w, bar_w, row_h, top = 100, 480, 28, 24
    height = top + row_h * max(len(rows), 1) + 10
    scale = max((int(r.get("in") or 0) for _, r in rows), default=0) or 1
    parts = [
        f'<svg role="img" class="chart" '
        f'viewBox="0 0 {label_w + bar_w + 120} {height}" width="{label_w + bar_w + 120}" '
        f'height="{height}" {_FONT}><title>documents per stage</title>'
    ]
    parts.append(_legend(label_w))
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 16}">no outcomes recorded</text>')
    for i, (name, row) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
        )
        x = float(label_w)
        for status in ("kept", "dropped", "failed"):
            n = int(row.get(status) or 0)
            if not n:
                continue
            w = bar_w * n / scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" fill="{COLORS[status]}">'
                f"<title>{escape(name)}: {n} {status}</title></rect>"
            )
            if w > 22:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 15}" text-anchor="middle" '
                    f'fill="#fff">{n}</text>'
                )
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="#555">in {row.get("in", 0)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def estimates_svg(estimates: list[tuple[str, dict[str, Any]]]) -> str:
    """Point estimates on [0, 1] with their confidence intervals as whiskers.

    Args:
        estimates: ``(label, {"value", "ci_low", "ci_high"})`` pairs (pass@k, pass^k, ...).

    Returns:
        An ``<svg>`` element, or ``""`` when there is nothing to draw.
    """
    rows = [(k, e) for k, e in estimates if isinstance(e, dict) and e.get("value") is not None]
    if not rows:
        return ""
    label_w, bar_w, row_h, top = 100, 400, 24, 20
    height = top + row_h * len(rows) + 10
    parts = [
        f'<svg role="img" class="chart" '
        f'viewBox="0 0 {label_w + bar_w + 190} {height}" width="{label_w + bar_w + 190}" '
        f'height="{height}" {_FONT}><title>estimates with confidence intervals</title>'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + bar_w * tick
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{top - 4}" y2="{height - 8}" stroke="#ddd"/>'
            f'<text x="{x}" y="{top - 8}" text-anchor="middle" fill="#777">{tick:g}</text>'
        )
    for i, (label, e) in enumerate(rows):
        y = top + i * row_h + 12
        value = float(e["value"])
        low = float(e.get("ci_low") if e.get("ci_low") is not None else value)
        high = float(e.get("ci_high") if e.get("ci_high") is not None else value)
        xv, xl, xh = (label_w + bar_w * min(max(v, 0.0), 1.0) for v in (value, low, high))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>'
            f'<line x1="{xl:.1f}" x2="{xh:.1f}" y1="{y}" y2="{y}" stroke="#345" stroke-width="2"/>'
            f'<line x1="{xl:.1f}" x2="{xl:.1f}" y1="{y - 5}" y2="{y + 5}" stroke="#345"/>'
            f'<line x1="{xh:.1f}" x2="{xh:.1f}" y1="{y - 5}" y2="{y + 5}" stroke="#345"/>'
            f'<circle cx="{xv:.1f}" cy="{y}" r="4" fill="#1f6feb"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 4}">{value:.3f} [{low:.3f}, {high:.3f}]'
            f"</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(x0: int) -> str:
    parts = []
    for i, (status, color) in enumerate(COLORS.items()):
        x = x0 + i * 90
        parts.append(
            f'<rect x="{x}" y="2" width="12" height="12" fill="{color}"/>'
            f'<text x="{x + 16}" y="12">{status}</text>'
        )
    return "".join(parts)
