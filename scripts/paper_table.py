#!/usr/bin/env python3
"""The paper's results table from the runs: one row per configuration found in RUN_DIR/*/ (flags.json and
the results.json of scripts/evaluate.py), each metric as the mean ± std over the run's evaluated
checkpoints that results.json holds, the generator parameters counted on the model the run's flags
describe, a Noisy row scored from the noisy test files with the same evaluator (common/evaluation.py;
cached in RUN_DIR/noisy_results.json, delete it to rescore), and the published reference rows that have a
source (common/published.py).

One corpus per table. Its first line names the corpus (flags.json "dataset" → "corpus"; "unknown" for a
run without it): the one most runs share, or --corpus. The clean test dir is --clean_dir, or the one most
of those runs were evaluated on; the Noisy row scores its sibling noisy_testset_wav_16k (or --noisy_dir).
A run of another corpus, or evaluated on another clean test dir, is left out with a note. A row whose
results.json is incomplete shows n/N (files scored / files in the clean test set) beside its name. Only
RUN_DIR's direct subdirectories are runs: the demo's runs, in RUN_DIR/demo/, make their own table.

    python scripts/paper_table.py [--run_dir runs] [--all_runs] [--corpus LABEL] [--clean_dir D --noisy_dir D]

Writes RUN_DIR/paper_table.md and .csv (or --markdown / --csv) and prints the markdown.
"""
import argparse
import collections
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import evaluation, published, rundir  # noqa: E402
from common.errors import exit_on_error  # noqa: E402
from common.metrics import METRICS  # noqa: E402
from common.quiet_tf import import_tensorflow  # noqa: E402
from common.model_config import PAPER_CONFIGS  # noqa: E402
from common.rundir import TESTED_CHECKPOINTS  # noqa: E402
from common.voicebank import wav_dir  # noqa: E402
from scripts.evaluate import ONE_BLAS_THREAD  # noqa: E402

NOISY_CACHE = "noisy_results.json"
NOISY_DIR = wav_dir("noisy", "test")  # beside the clean test dir
DEMO = "demo"
CORPUS_LABELS = {DEMO: "demo (synthetic, not VoiceBank-DEMAND)",
                 "unknown": "unknown (the runs' flags.json do not name their data set)"}


def run_summary(run_dir: str) -> dict:
    """A run's row: name, corpus, clean_dir, g_params, n_ckpts, mean, std (None without a mean over
    checkpoints), n_files, n_expected, notes (what is missing)."""
    import_tensorflow()  # not at import: the scoring workers import this module
    from common.models import parameter_counts

    flags = rundir.load_flags(run_dir)
    row = {"name": os.path.basename(os.path.normpath(run_dir)),
           "corpus": (flags.get("dataset") or {}).get("corpus", "unknown"),  # null: never trained
           "g_params": parameter_counts(rundir.model_config(flags))[0], "flags": flags, "clean_dir": None,
           "n_ckpts": 0, "mean": None, "std": None, "n_files": None, "n_expected": None, "notes": []}
    try:
        with open(os.path.join(run_dir, rundir.RESULTS_JSON)) as f:
            results = json.load(f)
    except FileNotFoundError:
        row["notes"].append("no results.json (not evaluated yet)")
        return row
    if "n_expected" not in results:
        row["notes"].append("results.json from an older scripts/evaluate.py (no file counts): evaluate again")
        return row
    row["clean_dir"] = results["clean_dir"]
    for d in results["dirs"]:  # enhanced/<iteration>
        if not d["complete"]:
            row["notes"].append(f"checkpoint {os.path.basename(os.path.normpath(d['dir']))}: "
                                f"{evaluation.ratio(d)} files scored")
    across = results["across"]
    if across is None:
        row["notes"].append(f"no mean over the checkpoints: {results['across_note']}")
        return row
    row.update(n_ckpts=across["n_dirs"], mean=across["mean"], std=across["std"], n_files=across["n_files"],
               n_expected=across["n_expected"])
    if across["n_dirs"] != TESTED_CHECKPOINTS:
        row["notes"].append(f"{across['n_dirs']} checkpoint(s) scored, {TESTED_CHECKPOINTS} expected")
    return row


def same_dir(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def noisy_row(noisy_dir: str, clean_dir: str, cache: str, jobs: int) -> dict:
    """The Noisy row: the noisy test files scored against the clean ones, cached in `cache`."""
    summary = None
    if os.path.exists(cache):
        with open(cache) as f:
            summary = json.load(f)
        if not ("n_expected" in summary and same_dir(summary["clean_dir"], clean_dir)
                and same_dir(summary["dirs"][0]["dir"], noisy_dir)):
            summary = None
    if summary is None:
        summary, _ = evaluation.score_dirs(clean_dir, [noisy_dir], jobs)
        evaluation.write_json(cache, summary)
    d = summary["dirs"][0]
    return {"name": "Noisy", "g_params": None, "n_ckpts": None, "mean": d["mean"], "std": None,
            "n_files": d["n_files"], "n_expected": d["n_expected"],
            "notes": [] if d["complete"] else [f"{evaluation.ratio(d)} noisy files scored (problems in {cache})"]}


def order(names: list[str], all_runs: bool) -> list[str]:
    """The paper's configurations in table order, then (all_runs) the other runs by name."""
    ours = [n for n in PAPER_CONFIGS if n in names]
    return ours + (sorted(n for n in names if n not in PAPER_CONFIGS) if all_runs else [])


def majority(values: dict[str, str], what: str, option: str):
    """The value most runs share ({run name: value}; None for no runs); a tie is an error."""
    counts = collections.Counter(values.values()).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        groups = "; ".join(f"{v}: " + ", ".join(n for n in values if values[n] == v) for v, _ in counts)
        raise SystemExit(f"error: no {what} is shared by most runs ({groups}); choose one with {option}")
    return counts[0][0] if counts else None


def select(runs: list[dict], corpus: str, clean_dir) -> tuple[list[dict], list[str]]:
    """The runs of `corpus` evaluated on `clean_dir` (or not evaluated), and a note for each other run."""
    kept, left_out = [], []
    for r in runs:
        if r["corpus"] != corpus:
            left_out.append(f"{r['name']}: corpus {r['corpus']}, not {corpus}")
        elif r["clean_dir"] and not same_dir(r["clean_dir"], clean_dir):
            left_out.append(f"{r['name']}: evaluated on {r['clean_dir']}, not on {clean_dir}")
        else:
            kept.append(r)
    return kept, left_out


def label(row: dict) -> str:
    """The row's name, with n/N beside it when its mean is over fewer files than the clean test set."""
    partial = row["n_files"] is not None and row["n_files"] != row["n_expected"]
    return row["name"] + (f" ({evaluation.ratio(row)} files)" if partial else "")


def markdown(head: str, rows: list[dict], left_out: list[str], rows_published) -> str:
    labels = [evaluation.LABELS[m] for m in METRICS]
    lines = [head, "", "| Model | " + " | ".join(labels) + " | G parameters |",
             "|---|" + "---:|" * (len(labels) + 1)]
    for r in rows:
        g = f"{r['g_params'] / 1e6:.2f} M" if r["g_params"] else "—"
        lines.append(f"| {label(r)} | " + " | ".join(
            evaluation.fmt(*(r[k][m] if r[k] else None for k in ("mean", "std")), digits=3) for m in METRICS)
            + f" | {g} |")
    for name, values, _ in rows_published:  # as printed in the source
        lines.append(f"| {name} (published) | " + " | ".join(
            f"{values[m]:.{3 if m == 'stoi' else 2}f}" if m in values else "—" for m in METRICS) + " | — |")
    lines += ["", f"Ours: mean over files per checkpoint, then mean ± sample std over the evaluated checkpoints "
              f"({TESTED_CHECKPOINTS} expected); PESQ wideband MOS-LQO, SSNR in dB, STOI classic in [0, 1]; G parameters "
              f"counted on the model of the run's flags. Noisy: the unprocessed noisy test files. n/N beside a "
              f"name: its mean is over the n of the N clean test files that were scored. All-zero outputs are "
              f"scored at the metric floors (README, Evaluation)."]
    notes = [f"- {r['name']}: " + "; ".join(r["notes"]) for r in rows if r["notes"]]
    if notes:
        lines += ["", "Notes:"] + notes
    if left_out:
        lines += ["", "Left out (another corpus or clean test set; never mixed into this table):"]
        lines += [f"- {note}" for note in left_out]
    if rows_published:
        lines += ["", "Published (not ours; VoiceBank-DEMAND):"]
        lines += [f"- {name}: {source}" for name, _, source in rows_published]
        lines += ["- Result tables not retrieved, so no published figures are shown for: "
                  + "; ".join(published.NOT_RETRIEVED) + " (SPEC Part A §12)."]
    else:
        lines += ["", "Published VoiceBank-DEMAND figures are not shown beside the synthetic demo corpus."]
    return "\n".join(lines) + "\n"


def write_csv(path: str, corpus: str, rows: list[dict], rows_published) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "kind", "corpus", "files", "checkpoints",
                    *[f"{m}{s}" for m in METRICS for s in ("", "_std")], "g_params", "notes_or_source"])
        for r in rows:
            w.writerow([r["name"], "ours", corpus, evaluation.ratio(r) if r["n_files"] is not None else "",
                        r["n_ckpts"] if r["n_ckpts"] is not None else "",
                        *[("" if r[k] is None else f"{r[k][m]:.6f}") for m in METRICS for k in ("mean", "std")],
                        r["g_params"] or "", "; ".join(r["notes"])])
        for name, values, source in rows_published:
            w.writerow([name, "published", "VoiceBank-DEMAND", "", "",
                        *[(values.get(m, "") if k == "" else "") for m in METRICS for k in ("", "_std")], "", source])


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run_dir", default="runs", help="directory of run directories")
    p.add_argument("--all_runs", action="store_true", help="also rows for runs outside the paper's grid")
    p.add_argument("--corpus", help="the table's corpus (default: the one most runs share)")
    p.add_argument("--clean_dir", help="clean test dir (default: the one most of the runs were evaluated on)")
    p.add_argument("--noisy_dir", help=f"noisy test dir (default: {NOISY_DIR} beside the clean one)")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="processes scoring the Noisy row")
    p.add_argument("--markdown", help="default RUN_DIR/paper_table.md")
    p.add_argument("--csv", help="default RUN_DIR/paper_table.csv")
    a = p.parse_args(argv)
    if not os.path.isdir(a.run_dir):
        p.error(f"--run_dir {a.run_dir} is not a directory")
    os.environ.update(ONE_BLAS_THREAD)  # for the Noisy row's scoring workers, which inherit it
    names = [n for n in os.listdir(a.run_dir) if os.path.exists(os.path.join(a.run_dir, n, rundir.FLAGS_FILE))]
    runs = [run_summary(os.path.join(a.run_dir, n)) for n in order(names, a.all_runs)]
    if not runs:
        p.error(f"no runs (directories with {rundir.FLAGS_FILE}) in {a.run_dir}")
    corpus = a.corpus or majority({r["name"]: r["corpus"] for r in runs}, "corpus", "--corpus")
    clean = a.clean_dir or majority({r["name"]: os.path.realpath(r["clean_dir"]) for r in runs
                                     if r["corpus"] == corpus and r["clean_dir"]}, "clean test dir", "--clean_dir")
    rows, left_out = select(runs, corpus, clean)
    for note in left_out:
        print(f"left out: {note}", file=sys.stderr)
    if not rows:
        raise SystemExit(f"error: no run of corpus {corpus} in {a.run_dir}")
    if clean is None:
        print("no Noisy row: no run is evaluated yet and no --clean_dir is given", file=sys.stderr)
    else:
        noisy = a.noisy_dir or os.path.join(os.path.dirname(os.path.normpath(clean)), NOISY_DIR)
        if os.path.isdir(clean) and os.path.isdir(noisy):
            rows.insert(0, noisy_row(noisy, clean, os.path.join(a.run_dir, NOISY_CACHE), a.jobs))
        else:
            print(f"no Noisy row: {clean} or {noisy} is not a directory", file=sys.stderr)
    n_test = next((r["n_expected"] for r in rows if r["n_expected"]), None)
    head = (f"Corpus: {CORPUS_LABELS.get(corpus, corpus)}" + (f": {n_test} test files" if n_test else "")
            + (f" (clean test dir `{os.path.abspath(clean)}`)" if clean else ""))
    rows_published = () if corpus == DEMO else published.ROWS
    text = markdown(head, rows, left_out, rows_published)
    print(text, end="")
    with open(a.markdown or os.path.join(a.run_dir, "paper_table.md"), "w") as f:
        f.write(text)
    write_csv(a.csv or os.path.join(a.run_dir, "paper_table.csv"), corpus, rows, rows_published)
    return 0


if __name__ == "__main__":
    sys.exit(main())
