"""Evaluation reports: one JSON and one Markdown file per run under ``eval/reports/``."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ..config import ROOT

REPORTS = ROOT / "eval" / "reports"


def write_report(kind: str, gold_path: Path, summary: dict, rows: list[dict], extra: dict | None = None, out_dir: Path = REPORTS) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{Path(gold_path).stem}"
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data = {"kind": kind, "gold": str(gold_path), "created": stamp, **(extra or {}), "metrics": summary, "questions": rows}
    jp = out_dir / f"{stem}.json"
    jp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    mp = out_dir / f"{stem}.md"
    mp.write_text(markdown(kind, gold_path, stamp, summary, rows, extra), encoding="utf-8")
    return jp, mp


def markdown(kind: str, gold_path: Path, stamp: str, summary: dict, rows: list[dict], extra: dict | None) -> str:
    lines = [f"# {kind} evaluation: `{Path(gold_path).name}`", "", f"{stamp}" + "".join(f" · {k}: {v}" for k, v in (extra or {}).items()), ""]
    metrics = sorted({k for m in [summary["overall"], *summary["by_type"].values()] for k in m})
    lines.append("| type | " + " | ".join(metrics) + " |")
    lines.append("|---|" + "---|" * len(metrics))
    for name, m in [("**overall**", summary["overall"]), *summary["by_type"].items()]:
        lines.append(f"| {name} | " + " | ".join(str(m.get(k, "–")) for k in metrics) + " |")
    if "latency_ms" in summary:
        lines += ["", "latency ms: " + ", ".join(f"{k} {v}" for k, v in summary["latency_ms"].items())]
    misses = [r for r in rows if r.get("miss")]
    if misses:
        lines += ["", "## Misses", ""] + [f"- {r['id']} ({r['type']}): {r['miss']}" for r in misses]
    return "\n".join(lines) + "\n"
