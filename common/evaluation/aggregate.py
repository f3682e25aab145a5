"""The scores of a test set summarised: one row per directory, the mean ± std over directories, and the
difference from the noisy input with a verdict, each given only when it is over the right files.

The set is the clean test set. A directory's row is the mean over files of the per-file metrics; a clean
file that cannot be scored in a directory is a problem (PROBLEMS), and a row without it is incomplete: it
carries n/N (files scored / files in the clean test set) in every output. Notes (NOTES) list files worth
knowing about that do not make a row incomplete: enhanced files without a clean reference (not in the
set, not in the mean), resampled files, and all-zero enhanced files, which are scored at the metric
floors. The mean ± std over directories (the paper's aggregation over checkpoints) is given only when
every directory was scored on the same set of files. Given the unprocessed noisy files, they are scored as
one more directory (the Noisy row), and the enhanced mean minus Noisy (Δ) with a verdict per metric says
whether enhancement helped: only when both are means over the complete test set.
"""
from __future__ import annotations

import os

import numpy as np

from common.audio import metrics
from common.audio.demo_corpus import LISTING_FILE as DEMO_MARKER

LABELS = {"pesq": "PESQ", "csig": "CSIG", "cbak": "CBAK", "covl": "COVL", "ssnr": "SSNR", "stoi": "STOI"}
PROBLEMS = {"missing": "missing", "unreadable": "unreadable", "wrong_rate": "wrong sample rate",
            "length": "length differs from the clean file's", "silent_clean": "clean reference all zeros",
            "failed": "cannot be scored"}
NOTES = {"extra": "extra: no clean reference, not in the set", "resampled": "resampled to 16 kHz",
         "silent": "silent: scored at the metric floors"}
DEFINITIONS = {
    "pesq": "wideband P.862.2 MOS-LQO (ITU-T C code via the pesq package)",
    "csig": "composite.m signal distortion, clamped to [1, 5]",
    "cbak": "composite.m background intrusiveness, clamped to [1, 5]",
    "covl": "composite.m overall quality, clamped to [1, 5]",
    "ssnr": "segmental SNR in dB (comp_snr.m, frames clamped to [-10, 35])",
    "stoi": "classic STOI in [0, 1] (pystoi, extended=False)",
    "silent": "an all-zero enhanced file is scored, never dropped: PESQ is undefined on it and gets "
              f"{metrics.PESQ_FLOOR:.4f}, the lowest MOS-LQO the ITU C code can return (raw score "
              f"{metrics.PESQ_RAW_MIN:.4f}: every frame disturbance clipped to 45); CSIG, CBAK and COVL, "
              "whose regressions take PESQ, get their clamp floor 1; SSNR is defined (comp_snr.m: 0 dB per "
              "frame with clean energy, -10 dB per digitally silent clean frame); STOI is 0 (no correlation)",
    "n_files": "files scored; n_expected: files in the clean test set; complete: n_files == n_expected",
    "mean": "per directory, the mean over its scored files",
    "across": "mean and sample std (ddof 1; 0 for one directory, as MATLAB std) over directories of their "
              "means, only when every directory was scored on the same set of files",
    "test_set": "the clean test set's content: sha256 of its sorted 'name:sha256 of the file' lines (first 16 hex "
                "digits); null if a clean file could not be read",
    "demo_corpus": "true when the test set is the synthetic demo corpus's (scripts/make_demo_corpus.py), not "
                   "VoiceBank-DEMAND",
    "noisy": "the unprocessed noisy test files, scored as a directory; not in dirs or across",
    "delta": "across mean - noisy mean per metric (higher is better for every metric), only when both are over "
             "the complete test set; verdict: the metrics where it is > 0 (better), < 0 (worse), 0 (equal)",
}


def mean(rows: list[dict]) -> dict:
    """Each metric's mean over `rows` (None for no rows)."""
    return {m: float(np.mean([r[m] for r in rows])) if rows else None for m in metrics.METRICS}


def spread(rows: list[dict]) -> tuple[dict, dict]:
    """Mean and sample std (ddof 1; 0 for one row, as MATLAB `std`) of each metric over `rows`."""
    return mean(rows), {m: float(np.std([r[m] for r in rows], ddof=1)) if len(rows) > 1 else 0.0
                        for m in metrics.METRICS}


def summarize(clean_dir: str, n_expected: int, dirs: list[str], scores: list[dict], found: list[dict],
              noisy: tuple | None = None, test_set: str | None = None) -> dict:
    """The JSON document: the clean test set's content digest `test_set` (scoring.set_digest); `demo_corpus`,
    whether it is the synthetic demo corpus's (its listing beside the clean folder); per directory
    its file counts, means, problems and notes; the mean ± std over directories, or None and `across_note`
    saying why not; with `noisy` ((dir, scores, found) of the noisy files), its entry and `compare`'s delta
    and verdict, or None and `delta_note` saying why not."""
    def entry(d, files, issues):
        return {"dir": d, "n_files": len(files), "n_expected": n_expected, "complete": len(files) == n_expected,
                "mean": mean(list(files.values())), "problems": {k: issues[k] for k in PROBLEMS},
                "notes": {k: issues[k] for k in NOTES}}

    per_dir = [entry(*x) for x in zip(dirs, scores, found)]
    across, why = None, None
    if any(s.keys() != scores[0].keys() for s in scores):
        why = ("the directories were scored on different sets of files ("
               + ", ".join(f"{r['dir']}: {ratio(r)}" for r in per_dir) + "); a mean over them would mix sets")
    elif not scores[0]:
        why = "no file was scored"
    else:
        means, stds = spread([r["mean"] for r in per_dir])
        across = {"n_dirs": len(dirs), **{k: per_dir[0][k] for k in ("n_files", "n_expected", "complete")},
                  "mean": means, "std": stds, "std_ddof": 1}
    noisy_row = entry(*noisy) if noisy else None
    demo = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(clean_dir)), DEMO_MARKER))
    return {"clean_dir": os.path.abspath(clean_dir), "n_expected": n_expected, "test_set": test_set,
            "demo_corpus": demo,
            "metrics": list(metrics.METRICS), "definitions": DEFINITIONS, "dirs": per_dir, "across": across,
            "across_note": why, "noisy": noisy_row, **compare(across, why, noisy_row)}


def compare(across: dict | None, across_note: str | None, noisy: dict | None) -> dict:
    """delta (across mean − Noisy mean) and its verdict, or None and `delta_note` saying why not: a
    difference of means over different files would mix the files' difficulty into it, so both must be
    over the complete test set."""
    if noisy is None:
        why = None
    elif across is None:
        why = f"no mean over the enhanced directories ({across_note})"
    elif not (across["complete"] and noisy["complete"]):
        why = (f"the enhanced mean is over {ratio(across)} files and Noisy over {ratio(noisy)}; they are "
               "compared only over the complete test set")
    else:
        delta = {m: across["mean"][m] - noisy["mean"][m] for m in metrics.METRICS}
        return {"delta": delta, "verdict": verdict(delta), "delta_note": None}
    return {"delta": None, "verdict": None, "delta_note": why}


def verdict(delta: dict) -> dict:
    """The metrics where enhanced is better than Noisy (Δ > 0), worse, or equal, and a sentence saying so."""
    better = [m for m in metrics.METRICS if delta[m] > 0]
    worse = [m for m in metrics.METRICS if delta[m] < 0]
    equal = [m for m in metrics.METRICS if delta[m] == 0]  # e.g. both at a composite measure's clamp

    def names(ms):
        return ", ".join(LABELS[m] for m in ms)

    if len(worse) == len(delta):
        text = "Enhanced is worse than the noisy input on every metric."
    else:
        text = (f"Enhanced beats noisy on {len(better)} of {len(delta)} metrics"
                + (f" ({names(better)})" if better else "")
                + "".join(f"; {what} on {names(ms)}" for what, ms in (("worse", worse), ("equal", equal)) if ms) + ".")
    return {"better": better, "worse": worse, "equal": equal, "text": text}


def rows(summary: dict) -> list[dict]:
    """The directory entries in table order: Noisy (if scored), then the enhanced directories."""
    return ([summary["noisy"]] if summary["noisy"] else []) + summary["dirs"]


def ratio(row: dict) -> str:
    """'n/N': files scored / files in the clean test set."""
    return f"{row['n_files']}/{row['n_expected']}"
