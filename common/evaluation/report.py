"""The files of a scored test set: the markdown table, the per-file CSV, the JSON summary, and one line
per problem or note."""
from __future__ import annotations

import csv
import json

from common.audio import metrics
from common.evaluation import tables
from common.evaluation.aggregate import LABELS, NOTES, PROBLEMS, ratio, rows
from common.evaluation.tables import cell


DEMO_NOTE = ("**The synthetic demo corpus, not VoiceBank-DEMAND**: eSpeak NG speech in synthetic noise. A check that "
             "the pipeline enhances, not a result: nothing here compares with published figures "
             "(docs/quick_recipe.md gives the same recipe's figures on real speech).")


def issue_lines(summary: dict) -> list[str]:
    """One line per problem and per note: 'dir: file: kind: detail'."""
    return [f"{r['dir']}: {e['file']}: {kind}: {e['detail']}" for r in rows(summary)
            for group in ("problems", "notes") for kind, entries in r[group].items() for e in entries]


def _names(entries: list[dict], limit: int = 10) -> str:
    names = ", ".join(e["file"] for e in entries[:limit])
    return names + (f", … ({len(entries) - limit} more)" if len(entries) > limit else "")


def markdown(summary: dict) -> str:
    ms = summary["metrics"]
    lines = [f"Scores against `{summary['clean_dir']}` ({summary['n_expected']} files; mean over files; "
             f"PESQ = wideband MOS-LQO, STOI classic in [0, 1]; files = scored / in the clean test set).", ""]
    if summary.get("demo_corpus"):
        lines[-1:-1] = ["", DEMO_NOTE]
    noisy, across = summary["noisy"], summary["across"]
    table = [[f"Noisy: {r['dir']}" if r is noisy else r["dir"], ratio(r), *(cell(r["mean"][m]) for m in ms)]
             for r in rows(summary)]
    if len(summary["dirs"]) > 1 and across:
        table.append([f"**mean ± std over {across['n_dirs']} dirs**", ratio(across),
                      *(cell(across["mean"][m], across["std"][m]) for m in ms)])
    if summary["delta"]:
        table.append(["**Δ vs noisy**", ratio(across), *(cell(summary["delta"][m], sign=True) for m in ms)])
    lines += tables.markdown(["dir", "files", *(LABELS[m] for m in ms)], table)
    if len(summary["dirs"]) > 1 and not across:
        lines += ["", f"No mean ± std over the directories: {summary['across_note']}."]
    if summary["verdict"]:
        lines += ["", summary["verdict"]["text"] + " (Δ = enhanced mean − Noisy, the unprocessed input; "
                  "higher is better for every metric.)"]
    elif noisy:
        lines += ["", f"No Δ vs noisy: {summary['delta_note']}."]
    for title, group, labels in (("Not scored", "problems", PROBLEMS), ("Notes", "notes", NOTES)):
        items = [f"- `{r['dir']}`: " + "; ".join(f"{labels[k]} ({len(v)}): {_names(v)}"
                                                 for k, v in r[group].items() if v)
                 for r in rows(summary) if any(r[group].values())]
        if items:
            lines += ["", f"{title}:"] + items
    return "\n".join(lines) + "\n"


def write_csv(path: str, summary: dict, scores: list[dict]) -> None:
    """Per-file scores (`scores`: one per entry of `rows`); a leading 'dir' column with several directories
    (Noisy's included); 'dir_files' = the row's n/N."""
    lead = ["dir"] if len(scores) > 1 else []
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(lead + ["dir_files", "file"] + list(metrics.METRICS))
        for r, files in zip(rows(summary), scores):
            for name in sorted(files):
                w.writerow(([r["dir"]] if lead else []) + [ratio(r), name]
                           + [f"{files[name][m]:.6f}" for m in metrics.METRICS])


def write_json(path: str, summary: dict) -> None:
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
