#!/usr/bin/env python3
"""Score enhanced wav files against their clean references with PESQ (wideband MOS-LQO), CSIG, CBAK,
COVL, SSNR and STOI (classic), as the papers' MATLAB evaluation does (common/audio/metrics.py).

One --enhanced_dir per checkpoint (globs allowed); files are matched to --clean_dir by basename, and the
set is the clean test set. Prints the mean over files per directory and, when every directory was scored
on the same files, the mean ± std over directories (sample std, as MATLAB `std`) as a markdown table.
With --noisy_dir, the unprocessed noisy test files are scored in the same pool and head the table as the
Noisy row; below it, Δ vs noisy (the enhanced mean − Noisy per metric; higher is better for all six) and a
verdict naming the metrics where enhancement helped and where it hurt, when both means are over the
complete test set (otherwise the table says why there is no Δ).

A clean file that is missing from a directory (the noisy one too), unreadable, at a rate other than 16 kHz
(unless --resample), of a different length than the clean one, or that cannot be scored (a silent clean
reference, a failure) stops the evaluation: every such file is listed on stderr (directory, file,
problem), nothing is written, and the exit status is 1. With --allow_incomplete the rest is scored and
every incomplete row is marked n/N (files scored / files in the clean test set) in the markdown, the CSV
and the JSON. An output path that cannot be written is refused before any scoring; outputs written
into a run directory hold its lock (common/system/locks.py). Extra enhanced files are listed and not
scored. An all-zero enhanced file is scored at the metric floors and listed as silent
(common/audio/metrics.py). Exit status 1 also if some directory has no scored file at all.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import sys

from common.evaluation import aggregate, report, scoring
from common.rundir import layout
from common.system.errors import exit_on_error
from common.system.paths import check_output_file


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clean_dir", required=True)
    p.add_argument("--enhanced_dir", nargs="+", required=True, help="one directory per checkpoint; globs allowed")
    p.add_argument("--noisy_dir", help="the unprocessed noisy test files: the Noisy row, Δ vs noisy and a verdict")
    p.add_argument("--csv", help="per-file scores (a leading 'dir' column with several directories)")
    p.add_argument("--json", help="per-directory means, file counts and problem lists, the across-directory "
                                  "summary, and with --noisy_dir the noisy entry, delta and verdict")
    p.add_argument("--markdown", help="also write the printed markdown table here")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="processes (default: all cores)")
    p.add_argument("--resample", action="store_true", help="resample non-16 kHz files instead of refusing them")
    p.add_argument("--allow_incomplete", action="store_true",
                   help="score what can be scored and mark incomplete rows n/N instead of stopping")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    if not os.path.isdir(args.clean_dir):
        p.error(f"--clean_dir {args.clean_dir} is not a directory")
    if args.noisy_dir and not os.path.isdir(args.noisy_dir):
        p.error(f"--noisy_dir {args.noisy_dir} is not a directory")
    args.enhanced_dir = expand_dirs(args.enhanced_dir, p.error)
    return args


def natural_key(text: str):
    """Sort key with digit runs compared as numbers (checkpoint 950 before 1000)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def expand_dirs(patterns: list[str], error) -> list[str]:
    """Directories named by the patterns, each glob in natural order, duplicates dropped."""
    dirs = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern), key=natural_key) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if os.path.isdir(m)]
        if not matches:
            error(f"--enhanced_dir {pattern}: no such directory")
        dirs += [m for m in matches if m not in dirs]
    return dirs


@exit_on_error
def main(argv=None) -> int:
    args = parse_args(argv)
    outputs = {flag: getattr(args, flag) for flag in ("csv", "json", "markdown") if getattr(args, flag)}
    for flag, path in outputs.items():  # before the scoring, not after it
        check_output_file(path, f"--{flag}")
    with layout.lock_enclosing(list(outputs.values())):  # results written into a run: one writer at a time
        return evaluate(args)


def evaluate(args) -> int:
    try:
        summary, scores = scoring.score_dirs(args.clean_dir, args.enhanced_dir, args.jobs, args.resample,
                                                args.noisy_dir)
    except ValueError as e:
        print(f"error: --clean_dir: {e}", file=sys.stderr)
        return 2
    for line in report.issue_lines(summary):
        print(line, file=sys.stderr)
    unscored = sum(r["n_expected"] - r["n_files"] for r in aggregate.rows(summary))
    if unscored and not args.allow_incomplete:
        print(f"error: {unscored} clean test file(s) not scored (listed above); nothing written "
              f"(--allow_incomplete scores the rest and marks the rows n/N)", file=sys.stderr)
        return 1
    if summary["across_note"] and len(args.enhanced_dir) > 1:
        print(f"no mean ± std over the directories: {summary['across_note']}", file=sys.stderr)
    if summary["delta_note"]:
        print(f"no Δ vs noisy: {summary['delta_note']}", file=sys.stderr)
    text = report.markdown(summary)
    print(text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    if args.json:
        report.write_json(args.json, summary)
    if args.csv:
        report.write_csv(args.csv, summary, scores)
    return 1 if any(r["n_files"] == 0 for r in aggregate.rows(summary)) else 0


if __name__ == "__main__":
    sys.exit(main())
