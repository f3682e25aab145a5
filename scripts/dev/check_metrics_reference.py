#!/usr/bin/env python3
"""Compare common/audio/metrics.py with scores of the original MATLAB code: DIR holds clean/NAME.wav,
noisy/NAME.wav and reference.tsv (name pesq_wb_itu pesq_wb_matlab csig cbak covl ssnr llr wss stoi).
Prints the largest and mean absolute difference per column, and the file with the largest one."""
from __future__ import annotations

import argparse
import csv
import os
import sys

import numpy as np


from common.audio import metrics
from common.system.progress import progress

# (our key, reference column)
COLUMNS = [("pesq", "pesq_wb_itu"), ("csig", "csig"), ("cbak", "cbak"), ("covl", "covl"), ("ssnr", "ssnr"),
           ("llr", "llr"), ("wss", "wss"), ("stoi", "stoi"), ("pesq", "pesq_wb_matlab")]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("dir")
    args = p.parse_args(argv)
    with open(os.path.join(args.dir, "reference.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    names, ours, failed = [], [], []
    for row in progress(rows, desc="scoring"):
        name = row["name"]
        try:
            scores, _ = metrics.score_files(os.path.join(args.dir, "clean", name + ".wav"),
                                            os.path.join(args.dir, "noisy", name + ".wav"))
        except metrics.ScoringError as e:
            failed.append(f"{name}: {e.kind}: {e.detail}")
            continue
        names.append(name)
        ours.append((scores, row))
    print(f"{len(names)} of {len(rows)} pairs scored" + "".join(f"\n  not scored: {m}" for m in failed))
    print(f"{'ours':6} {'reference':15} {'max |diff|':>11} {'mean |diff|':>12}  largest at")
    for key, ref in COLUMNS:
        diff = np.abs([s[key] - float(r[ref]) for s, r in ours])
        note = "  (information: MATLAB pesq.m)" if ref == "pesq_wb_matlab" else ""
        print(f"{key:6} {ref:15} {diff.max():11.2e} {diff.mean():12.2e}  {names[int(diff.argmax())]}{note}")
    # composite.m calls pesq.m, not the ITU code: redo the regressions with the reference's pesq.m value
    # (and SSNR for composite's internal segSNR, which differs only by the eps offset).
    redone = np.array([metrics.composite(float(r["pesq_wb_matlab"]), s["llr"], s["wss"], s["ssnr"])
                       for s, r in ours])
    for i, key in enumerate(("csig", "cbak", "covl")):
        diff = np.abs(redone[:, i] - np.array([float(r[key]) for _, r in ours]))
        print(f"{key:6} {key:15} {diff.max():11.2e} {diff.mean():12.2e}  {names[int(diff.argmax())]}"
              f"  (information: regression fed with pesq.m's PESQ)")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
