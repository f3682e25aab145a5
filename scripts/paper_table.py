#!/usr/bin/env python3
"""The paper's results table from the runs: one row per configuration found in RUN_DIR/*/ (flags.json and
the results.json of scripts/evaluate.py), each metric as mean ± std over its evaluated checkpoints, the
generator parameters counted on the model the run's flags describe, a Noisy row scored from the noisy
test files with the same evaluator (cached in RUN_DIR/noisy_results.json; delete it to rescore), and the
published reference rows that have a source (common/published.py).

    python scripts/paper_table.py [--run_dir runs] [--all_runs] [--noisy_dir D --clean_dir D]

Writes RUN_DIR/paper_table.md and .csv (or --markdown / --csv) and prints the markdown.
"""
import argparse
import contextlib
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from common import config, published  # noqa: E402
from common.metrics import METRICS  # noqa: E402
from common.model_config import PAPER_CONFIGS, ModelConfig  # noqa: E402
from common.models import parameter_counts  # noqa: E402
from scripts import evaluate  # noqa: E402

CHECKPOINTS = 5  # the run scripts evaluate the last five
NOISY_CACHE = "noisy_results.json"


def spread(per_dir: list[dict]) -> tuple[dict, dict]:
    """Mean and sample std (ddof 1; 0 for one value) over directories of each metric's per-directory mean."""
    values = {m: [d["mean"][m] for d in per_dir] for m in METRICS}
    return ({m: float(np.mean(v)) for m, v in values.items()},
            {m: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for m, v in values.items()})


def run_summary(run_dir: str) -> dict:
    """A run's row: name, n_ckpts, mean, std (None without results), g_params, notes (what is missing)."""
    flags = config.load_flags(run_dir)
    if flags is None:
        raise ValueError(f"{run_dir}: no {config.FLAGS_FILE}")
    row = {"name": os.path.basename(os.path.normpath(run_dir)),
           "g_params": parameter_counts(ModelConfig(**flags["model"]))[0], "flags": flags,
           "n_ckpts": 0, "mean": None, "std": None, "notes": []}
    try:
        with open(os.path.join(run_dir, "results.json")) as f:
            dirs = json.load(f)["dirs"]
    except FileNotFoundError:
        row["notes"].append("no results.json (not evaluated yet)")
        return row
    scored = [d for d in dirs if all(d["mean"][m] is not None for m in METRICS)]
    for d in dirs:  # enhanced/<iteration>
        step, bad = os.path.basename(os.path.normpath(d["dir"])), sum(len(v) for v in d["problems"].values())
        if d not in scored:
            row["notes"].append(f"checkpoint {step}: no file scored")
        elif bad:
            row["notes"].append(f"checkpoint {step}: {bad} file(s) not scored")
    if len(scored) != CHECKPOINTS:
        row["notes"].append(f"{len(scored)} checkpoint(s) scored, {CHECKPOINTS} expected")
    if scored:
        row["n_ckpts"] = len(scored)
        row["mean"], row["std"] = spread(scored)
    return row


def noisy_row(noisy_dir: str, clean_dir: str, cache: str) -> dict:
    """The Noisy row: the noisy test files scored against the clean ones by scripts/evaluate.py, cached."""
    wanted = (os.path.abspath(clean_dir), os.path.abspath(noisy_dir))
    summary = None
    if os.path.exists(cache):
        with open(cache) as f:
            summary = json.load(f)
        if (os.path.abspath(summary["clean_dir"]), os.path.abspath(summary["dirs"][0]["dir"])) != wanted:
            summary = None
    if summary is None:
        with contextlib.redirect_stdout(sys.stderr):
            evaluate.main(["--clean_dir", clean_dir, "--enhanced_dir", noisy_dir, "--json", cache])
        with open(cache) as f:
            summary = json.load(f)
    d = summary["dirs"][0]
    bad = sum(len(v) for v in d["problems"].values())
    return {"name": "Noisy", "g_params": None, "n_ckpts": None, "mean": d["mean"], "std": None,
            "notes": [f"{bad} file(s) not scored"] if bad else []}


def order(names: list[str], all_runs: bool) -> list[str]:
    """The paper's configurations in table order, then (all_runs) the other runs by name."""
    ours = [n for n in PAPER_CONFIGS if n in names]
    return ours + (sorted(n for n in names if n not in PAPER_CONFIGS) if all_runs else [])


def cell(mean, std, digits=3) -> str:
    if mean is None:
        return "—"
    return f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def markdown(rows: list[dict]) -> str:
    head = [evaluate.LABELS[m] for m in METRICS]
    lines = ["| Model | " + " | ".join(head) + " | G parameters |", "|---|" + "---:|" * (len(head) + 1)]
    for r in rows:
        g = f"{r['g_params'] / 1e6:.2f} M" if r["g_params"] else "—"
        lines.append(f"| {r['name']} | " + " | ".join(
            cell(*(r[k][m] if r[k] else None for k in ("mean", "std"))) for m in METRICS) + f" | {g} |")
    for name, values, _ in published.ROWS:  # as printed in the source
        lines.append(f"| {name} (published) | " + " | ".join(
            f"{values[m]:.{3 if m == 'stoi' else 2}f}" if m in values else "—" for m in METRICS) + " | — |")
    lines += ["", f"Ours: mean over files per checkpoint, then mean ± sample std over the evaluated checkpoints "
              f"({CHECKPOINTS} expected); PESQ wideband MOS-LQO, SSNR in dB, STOI classic in [0, 1]; G parameters "
              f"counted on the model of the run's flags. Noisy: the unprocessed noisy test files."]
    notes = [f"- {r['name']}: " + "; ".join(r["notes"]) for r in rows if r["notes"]]
    if notes:
        lines += ["", "Notes:"] + notes
    lines += ["", "Published (not ours):"] + [f"- {name}: {source}" for name, _, source in published.ROWS]
    lines += ["- Result tables not retrieved, so no published figures are shown for: "
              + "; ".join(published.NOT_RETRIEVED) + " (SPEC Part A §12)."]
    return "\n".join(lines) + "\n"


def write_csv(path: str, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "kind", "checkpoints", *[f"{m}{s}" for m in METRICS for s in ("", "_std")],
                    "g_params", "notes_or_source"])
        for r in rows:
            w.writerow([r["name"], "ours", r["n_ckpts"] if r["n_ckpts"] is not None else "",
                        *[("" if r[k] is None else f"{r[k][m]:.6f}") for m in METRICS for k in ("mean", "std")],
                        r["g_params"] or "", "; ".join(r["notes"])])
        for name, values, source in published.ROWS:
            w.writerow([name, "published", "", *[(values.get(m, "") if k == "" else "") for m in METRICS
                                                 for k in ("", "_std")], "", source])


def default_test_dir(kind: str) -> str:
    """data/<kind>_testset_wav_16k, or the demo corpus's when there is no VoiceBank-DEMAND."""
    path = os.path.join("data", f"{kind}_testset_wav_16k")
    return path if os.path.isdir(path) else os.path.join("data", "demo", f"{kind}_testset_wav_16k")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run_dir", default="runs", help="directory of run directories")
    p.add_argument("--all_runs", action="store_true", help="also rows for runs outside the paper's grid")
    p.add_argument("--noisy_dir", default=default_test_dir("noisy"))
    p.add_argument("--clean_dir", default=default_test_dir("clean"))
    p.add_argument("--markdown", help="default RUN_DIR/paper_table.md")
    p.add_argument("--csv", help="default RUN_DIR/paper_table.csv")
    a = p.parse_args(argv)
    if not os.path.isdir(a.run_dir):
        p.error(f"--run_dir {a.run_dir} is not a directory")
    names = [n for n in os.listdir(a.run_dir) if os.path.exists(os.path.join(a.run_dir, n, config.FLAGS_FILE))]
    rows = [run_summary(os.path.join(a.run_dir, n)) for n in order(names, a.all_runs)]
    if os.path.isdir(a.noisy_dir) and os.path.isdir(a.clean_dir):
        rows.insert(0, noisy_row(a.noisy_dir, a.clean_dir, os.path.join(a.run_dir, NOISY_CACHE)))
    else:
        print(f"no Noisy row: {a.noisy_dir} or {a.clean_dir} is not a directory", file=sys.stderr)
    text = markdown(rows)
    print(text, end="")
    with open(a.markdown or os.path.join(a.run_dir, "paper_table.md"), "w") as f:
        f.write(text)
    write_csv(a.csv or os.path.join(a.run_dir, "paper_table.csv"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
