"""A run's per-file scores read back from the files scripts/evaluate.py wrote into it (RUN/results.csv and
RUN/results.json), for paired comparisons (common/evaluation/paired.py): per metric a checkpoints × files
matrix of the enhanced directories and the Noisy row's scores; and whether two runs were scored on the same
test set (the same file names and, when both results record it, the same clean audio: `test_set`)."""
from __future__ import annotations

import csv
import dataclasses
import json
import os

import numpy as np

from common.audio.metrics import METRICS
from common.evaluation.aggregate import ratio, rows
from common.rundir import flags_file, layout
from common.system.errors import UserError

RESULTS_CSV = "results.csv"  # the run scripts' per-file scores (scripts/evaluate.py --csv)
CSV_ROUNDING = 1e-5  # results.csv holds 6 decimals: its means agree with results.json's within this


@dataclasses.dataclass
class RunScores:
    path: str  # the run directory as given
    flags: dict  # its flags.json
    files: list[str]  # the test files, sorted
    checkpoints: list[str]  # the scored enhanced directories, in results.json's order
    scores: dict[str, np.ndarray]  # metric → checkpoints × files
    noisy: dict[str, np.ndarray] | None  # metric → files: the Noisy row (None: scored without it)
    test_set: str | None  # the clean test set's content digest (None: an older results.json)
    summary: dict  # results.json

    @property
    def name(self) -> str:
        return os.path.basename(os.path.normpath(self.path))


def load_run(run_dir: str) -> RunScores:
    """The run's flags.json and scores; UserError naming the run for results that are missing, incomplete
    (scored with --allow_incomplete) or not those of one evaluation."""
    flags = flags_file.load_flags(run_dir)
    json_path, csv_path = os.path.join(run_dir, layout.RESULTS_JSON), os.path.join(run_dir, RESULTS_CSV)
    summary = _read(json_path, json.load)
    per_file = _read(csv_path, lambda f: list(csv.DictReader(f)))
    try:
        if "n_expected" not in summary:
            raise UserError(f"{json_path}: from an older scripts/evaluate.py (no file counts): evaluate again")
        incomplete = [f"{r['dir']} scored {ratio(r)} files" for r in rows(summary) if not r["complete"]]
        if incomplete:
            raise UserError(f"{run_dir}: incomplete results ({'; '.join(incomplete)}); a comparison needs every "
                            "row over the whole test set: evaluate again without --allow_incomplete")
        by_dir = _by_dir(per_file, rows(summary))
        files = sorted(by_dir.get(summary["dirs"][0]["dir"], {}))
        for r in rows(summary):
            scored = by_dir.get(r["dir"], {})
            if len(scored) != r["n_files"] or sorted(scored) != files or any(
                    abs(np.mean([s[m] for s in scored.values()]) - r["mean"][m]) > CSV_ROUNDING for m in METRICS):
                raise UserError(f"{csv_path} does not hold the scores of {r['dir']} that {json_path} reports (files "
                                "or means differ): they come from different evaluations; evaluate again")
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(f"{run_dir}: not the results of scripts/evaluate.py ({type(e).__name__}: {e})") from None

    def matrix(entries):
        return {m: np.array([[by_dir[r["dir"]][f][m] for f in files] for r in entries]) for m in METRICS}

    noisy = summary["noisy"] and {m: v[0] for m, v in matrix([summary["noisy"]]).items()}
    return RunScores(run_dir, flags, files, [os.path.basename(os.path.normpath(r["dir"])) for r in summary["dirs"]],
                     matrix(summary["dirs"]), noisy, summary.get("test_set"), summary)


def _read(path: str, parse):
    try:
        with open(path, newline="") as f:
            return parse(f)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (scripts/evaluate.py --csv and --json write the results, as the "
                        "run scripts do)") from None
    except (OSError, ValueError) as e:
        raise UserError(f"{path}: unreadable ({e})") from None


def _by_dir(per_file: list[dict], entries: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """{dir: {file: {metric: score}}} of results.csv's rows; without a 'dir' column (one scored directory) they
    are the one entry's."""
    out = {}
    for row in per_file:
        directory = row["dir"] if "dir" in row else entries[0]["dir"]
        out.setdefault(directory, {})[row["file"]] = {m: float(row[m]) for m in METRICS}
    return out


def same_test_set(runs: list[RunScores]) -> None:
    """UserError naming two of `runs` unless all were scored on the same files and, those whose results.json
    record it, on the same clean audio."""
    a = runs[0]
    for b in runs[1:]:
        only = [(sorted(set(x.files) - set(y.files)), x) for x, y in ((a, b), (b, a))]
        if any(names for names, _ in only):
            raise UserError(f"{a.path} and {b.path} were scored on different test sets: "
                            + "; ".join(f"{len(names)} file(s) only in {r.path} ({_listed(names)})"
                                        for names, r in only if names))
    recorded = [r for r in runs if r.test_set]
    for b in recorded[1:]:
        if b.test_set != recorded[0].test_set:
            raise UserError(f"{recorded[0].path} and {b.path} were scored on different test sets: same file names, "
                            f"different clean audio (test_set {recorded[0].test_set} vs {b.test_set})")


def names_only(runs: list[RunScores]) -> list[str]:
    """A warning for each run whose results.json predates `test_set`: its test set is checked by names only."""
    return [f"{os.path.join(r.path, layout.RESULTS_JSON)} records no test_set (an older scripts/evaluate.py): "
            "its test set is compared by file names only, not by content" for r in runs if r.test_set is None]


def _listed(names: list[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (", …" if len(names) > limit else "")
