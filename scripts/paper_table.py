#!/usr/bin/env python3
"""The paper's results table from the runs: one row per configuration found in RUNS_ROOT/*/ (flags.json and
the results.json of scripts/evaluate.py), each metric as the mean ± std over the run's evaluated
checkpoints that results.json holds, the generator parameters counted on the model the run's flags
describe, a Noisy row scored from the noisy test files with the same evaluator (common/evaluation/;
cached in RUNS_ROOT/noisy_results.json, delete it to rescore), and the published reference rows that have a
source (common/evaluation/published.py).

The seeds of a configuration (RUNS_ROOT/NAME-seed<S>/, the run scripts' SEEDS; and RUNS_ROOT/NAME/ when its
flags.json differs only in the seed) make one row: the mean over the seeds, ± the std over the seeds, and
"(k seeds)" beside the name. Under the table, the papers' claims that the runs present can test (ISEGAN-SA-N vs
ISEGAN-N, DSEGAN-SA-N vs DSEGAN-N, SASEGAN vs SEGAN, ISEGAN-SA-N vs DSEGAN-N with the generators' sizes), each
a paired comparison over the test files (scripts/compare_runs.py's statistics) with a verdict per metric.

One corpus per table. Its first line names the corpus (flags.json "dataset" → "corpus"; "unknown" for a
run without it): the one most runs share, or --corpus. The clean test dir is --clean_dir, or the one most
of those runs were evaluated on; the Noisy row scores its sibling noisy_testset_wav_16k (or --noisy_dir).
A run of another corpus, or evaluated on another clean test dir, is left out with a note; so is a run whose
flags.json or results.json cannot be read (named, with the reason), and then the exit status is 1. A row whose
results.json is incomplete shows n/N (files scored / files in the clean test set) beside its name. Only
RUNS_ROOT's direct subdirectories are runs: the demo's runs, in RUNS_ROOT/demo/, make their own table.

    python scripts/paper_table.py [--runs_root runs] [--all_runs] [--corpus LABEL] [--clean_dir D --noisy_dir D]

Writes RUNS_ROOT/paper_table.md and .csv, and the claims' comparisons (one row per claim and metric) to
RUNS_ROOT/paper_claims.csv (or --markdown / --csv / --claims_csv), and prints the markdown.
"""

import argparse
import os
import sys


from common.config.named_configs import PAPER_CONFIGS
from common.evaluation import paired_report, paper_claims, published
from common.evaluation.paper_table import (CORPUS_LABELS, DEMO, NOISY_CACHE, NOISY_DIR, combine_seeds,
                                           majority, markdown, noisy_row, order, run_summary, select, write_csv)
from common.rundir import layout
from common.system.errors import RunDirError, exit_on_error


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs_root", "--run_dir", dest="runs_root", default="runs", help="the directory of the runs")
    p.add_argument("--all_runs", action="store_true", help="also rows for runs outside the paper's grid")
    p.add_argument("--corpus", help="the table's corpus (default: the one most runs share)")
    p.add_argument("--clean_dir", help="clean test dir (default: the one most of the runs were evaluated on)")
    p.add_argument("--noisy_dir", help=f"noisy test dir (default: {NOISY_DIR} beside the clean one)")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="processes scoring the Noisy row")
    p.add_argument("--markdown", help="default RUNS_ROOT/paper_table.md")
    p.add_argument("--csv", help="default RUNS_ROOT/paper_table.csv")
    p.add_argument("--claims_csv", help="default RUNS_ROOT/paper_claims.csv")
    a = p.parse_args(argv)
    if not os.path.isdir(a.runs_root):
        p.error(f"--runs_root {a.runs_root} is not a directory")
    names = [n for n in os.listdir(a.runs_root) if os.path.exists(os.path.join(a.runs_root, n, layout.FLAGS_FILE))]
    summaries, unreadable = [], []
    for name in sorted(names):  # one broken run leaves the others' table standing
        try:
            summaries.append(run_summary(os.path.join(a.runs_root, name)))
        except RunDirError as e:
            unreadable.append(str(e))
    runs, mismatched = order(summaries, a.all_runs)
    mismatched = unreadable + mismatched
    if not runs:
        p.error(f"no runs of the paper's configurations (directories with {layout.FLAGS_FILE}) in {a.runs_root}"
                + "".join(f"; {note}" for note in mismatched))
    corpus = a.corpus or majority({r["name"]: r["corpus"] for r in runs}, "corpus", "--corpus")
    clean = a.clean_dir or majority({r["name"]: os.path.realpath(r["clean_dir"]) for r in runs
                                     if r["corpus"] == corpus and r["clean_dir"]}, "clean test dir", "--clean_dir")
    rows, left_out = select(runs, corpus, clean)
    rows, differing = combine_seeds(rows)
    left_out = mismatched + left_out + differing
    for note in left_out:
        print(f"left out: {note}", file=sys.stderr)
    if not rows:
        raise SystemExit(f"error: no run of corpus {corpus} in {a.runs_root}")
    if clean is None:
        print("no Noisy row: no run is evaluated yet and no --clean_dir is given", file=sys.stderr)
    else:
        noisy = a.noisy_dir or os.path.join(os.path.dirname(os.path.normpath(clean)), NOISY_DIR)
        if os.path.isdir(clean) and os.path.isdir(noisy):
            rows.insert(0, noisy_row(noisy, clean, os.path.join(a.runs_root, NOISY_CACHE), a.jobs))
        else:
            print(f"no Noisy row: {clean} or {noisy} is not a directory", file=sys.stderr)
    n_test = next((r["n_expected"] for r in rows if r["n_expected"]), None)
    head = (f"Corpus: {CORPUS_LABELS.get(corpus, corpus)}" + (f": {n_test} test files" if n_test else "")
            + (f" (clean test dir `{os.path.abspath(clean)}`)" if clean else ""))
    rows_published = () if corpus == DEMO else published.ROWS
    text = markdown(head, rows, left_out, rows_published)
    scored = {r["base"]: [run for run in r["runs"] if os.path.exists(os.path.join(run, layout.RESULTS_JSON))]
              for r in rows if r.get("base") in PAPER_CONFIGS and r["mean"] is not None}
    claims = paper_claims.tested_claims(scored)
    text += "\n".join(paper_claims.markdown(claims, set(scored), {r["base"]: r["g_params"] for r in rows
                                                                   if r.get("base")})) + "\n"
    print(text, end="")
    with open(a.markdown or os.path.join(a.runs_root, "paper_table.md"), "w") as f:
        f.write(text)
    write_csv(a.csv or os.path.join(a.runs_root, "paper_table.csv"), corpus, rows, rows_published)
    paired_report.write_csv(a.claims_csv or os.path.join(a.runs_root, "paper_claims.csv"),
                            paper_claims.comparisons(claims))
    if unreadable:
        print(f"error: {len(unreadable)} run(s) left out as unreadable (listed above); the table holds the rest",
              file=sys.stderr)
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
