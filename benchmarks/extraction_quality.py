"""Quality of a run against a labelled corpus: relevance, yield and step extraction.

Run: ``python benchmarks/extraction_quality.py [RUN_DIR] [--corpus FILE] [--json]``.
Without RUN_DIR it runs ``gem-env run`` on the bundled sample corpus (heuristic backend)
into a temporary directory first. The corpus lines carry labels (``label``:
``tool_procedure`` / ``hard_negative`` / ``negative``, and ``marked_steps``: the steps a
person marked, verbatim), as `synth.corpus` documents.

Reported:
- relevance precision, recall and F1 (a document is predicted relevant when its
  relevance row kept a segment), and the hard negatives wrongly kept;
- yield: the share of relevant documents with at least one verified trajectory;
- steps: coverage (share of marked steps matched by an extracted step) and precision
  (share of extracted steps that match a marked step), and extracted vs marked counts.
  Two steps match when one text contains the other, or their word sets overlap by at
  least half (Jaccard >= 0.5), after lower-casing and dropping markdown.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _matches(a: str, b: str) -> bool:
    x, y = " ".join(_WORD.findall(a.lower())), " ".join(_WORD.findall(b.lower()))
    if x and y and (x in y or y in x):
        return True
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.5


def evaluate(run_dir: Path, corpus: Path) -> dict[str, Any]:
    """The quality figures of `run_dir` against the labels of `corpus`."""
    labels = {}
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            labels[record["id"]] = record
    rows = [json.loads(x) for x in (run_dir / "outcomes.jsonl").read_text().splitlines()]
    kept_relevance = {
        r["document_id"] for r in rows if r["stage"] == "relevance" and r["status"] == "kept"
    }
    finals = {r["document_id"]: r for r in rows if r.get("final")}
    relevant = {d for d, r in labels.items() if r.get("label") == "tool_procedure"}
    tp = len(relevant & kept_relevance)
    fp = len(kept_relevance - relevant)
    fn = len(relevant - kept_relevance)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    verified = {d for d, r in finals.items() if r["status"] == "kept"}
    workflows: dict[str, list[str]] = {}
    for line in (run_dir / "workflows.jsonl").read_text().splitlines():
        w = json.loads(line)
        workflows.setdefault(w["document_id"], []).extend(s["text"] for s in w["steps"])
    marked_total = covered = extracted_total = precise = 0
    for doc in sorted(relevant):
        marked = labels[doc].get("marked_steps", [])
        extracted = workflows.get(doc, [])
        marked_total += len(marked)
        extracted_total += len(extracted)
        covered += sum(1 for m in marked if any(_matches(m, e) for e in extracted))
        precise += sum(1 for e in extracted if any(_matches(m, e) for m in marked))
    hard = [d for d in kept_relevance if labels.get(d, {}).get("label") == "hard_negative"]
    return {
        "documents": len(labels),
        "relevance": {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "hard_negatives_kept": sorted(hard),
        },
        "yield": {
            "relevant": len(relevant),
            "with_verified_trajectory": len(relevant & verified),
            "share": round(len(relevant & verified) / len(relevant), 3) if relevant else None,
        },
        "steps": {
            "marked": marked_total,
            "extracted": extracted_total,
            "coverage": round(covered / marked_total, 3) if marked_total else None,
            "precision": round(precise / extracted_total, 3) if extracted_total else None,
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Run (or read) a run and print its quality figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", nargs="?", help="a gem-env run directory")
    parser.add_argument("--corpus", help="the labelled corpus (default: the bundled sample)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from synth.corpus import sample_corpus_path

    corpus = Path(args.corpus) if args.corpus else sample_corpus_path()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(args.run_dir) if args.run_dir else Path(tmp) / "run"
        if not args.run_dir:
            subprocess.run(
                [sys.executable, "-m", "synth", "run", str(corpus), "--out", str(run_dir),
                 "--no-progress"],
                check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        result = evaluate(run_dir, corpus)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    r, y, s = result["relevance"], result["yield"], result["steps"]
    print(f"relevance  P {r['precision']}  R {r['recall']}  F1 {r['f1']}  (target F1 >= 0.95); "
          f"hard negatives kept: {r['hard_negatives_kept'] or 'none'}")  # fmt: skip
    print(f"yield      {y['with_verified_trajectory']}/{y['relevant']} relevant documents with a "
          f"verified trajectory = {y['share']} (target >= 0.9)")  # fmt: skip
    print(f"steps      coverage {s['coverage']} (target >= 0.8), precision {s['precision']} "
          f"(target >= 0.75); {s['extracted']} extracted vs {s['marked']} marked")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
