#!/usr/bin/env python3
"""Compare configurations file by file: is one better than another, beyond the noise of seeds and checkpoints?

    python scripts/compare_runs.py RUN [RUN ...] [--noisy] [--markdown PATH] [--csv PATH] [--alpha A]
                                   [--resamples N]

Each RUN is a run directory scored by the run scripts (RUN/flags.json, RUN/results.csv and RUN/results.json
of scripts/evaluate.py, over the whole test set). Runs whose flags.json agree on everything that shapes a run
but the seed are seeds of one configuration. A configuration's score of a file is the mean over its
checkpoints and seeds. The first configuration given is A; each other one is B, compared with A on the same
files: per metric the mean of Δ = A − B over files, its 95 % bootstrap interval (files resampled), the
two-sided Wilcoxon signed-rank p-value, Holm's correction over the six metrics and a verdict ("A better than B
on PESQ: …" when Holm p < alpha and the interval excludes 0; else "no detectable difference"). --noisy compares
each configuration with its own noisy input (the Noisy row of its results) instead. docs/metrics.md §12.

Runs scored on different test sets (other file names, or other clean audio by results.json's test_set) are
refused, as are incomplete results; a results.json without test_set is compared by file names only, with a
warning. Prints the markdown (the configurations with their spreads, a table and verdict lines per comparison).
"""
from __future__ import annotations

import argparse
import sys

from common.evaluation import configurations, paired, paired_report, run_scores
from common.system.errors import UserError, exit_on_error
from common.system.paths import check_output_file


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories; the first one's configuration is A")
    p.add_argument("--noisy", action="store_true", help="compare each configuration with its own noisy input")
    p.add_argument("--markdown", help="also write the printed markdown here")
    p.add_argument("--csv", help="one row per comparison and metric")
    p.add_argument("--alpha", type=float, default=paired.ALPHA, help="significance level after Holm's correction")
    p.add_argument("--resamples", type=int, default=paired.RESAMPLES, help="bootstrap resamples of the files")
    args = p.parse_args(argv)
    if not 0 < args.alpha < 1:
        p.error("--alpha must be in (0, 1)")
    if args.resamples < 100:
        p.error("--resamples must be at least 100")
    return args


@exit_on_error
def main(argv=None) -> int:
    args = parse_args(argv)
    for flag in ("markdown", "csv"):
        if getattr(args, flag):
            check_output_file(getattr(args, flag), f"--{flag}")
    runs = [run_scores.load_run(r) for r in args.runs]
    configs = configurations.group(runs)
    if not args.noisy and len(configs) < 2:
        given = "the run given is" if len(runs) == 1 else f"the {len(runs)} runs given are"
        raise UserError(f"{given} one configuration ({configs[0].name}): runs that differ only in their seed are "
                        "seeds of one configuration; give runs of a second configuration, or --noisy to compare "
                        "with the noisy input")
    pairs = [(c, None) for c in configs] if args.noisy else [(configs[0], b) for b in configs[1:]]
    comparisons = [paired_report.versus(a, b, args.alpha, args.resamples) for a, b in pairs]
    if len(runs) > 1:
        for line in run_scores.names_only(runs):
            print(f"warning: {line}", file=sys.stderr)
    text = paired_report.markdown(configs, comparisons, args.alpha, args.resamples)
    print(text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.csv:
        paired_report.write_csv(args.csv, comparisons)
    return 0


if __name__ == "__main__":
    sys.exit(main())
