"""The run directory's layout: the names of what a run holds, and its writer lock.

    RUN/flags.json                what shapes the run (model, training, replicas, data set), every flag of
                                  the latest start, and the changes accepted with --allow_changes
    RUN/checkpoints/ckpt-<iter>   checkpoints, numbered by iteration
    RUN/corrupt/                  checkpoints found unreadable, moved out of the way (kept for inspection)
    RUN/losses.csv, RUN/logs/     per-iteration losses; TensorBoard
    RUN/best/, best_checkpoint.json   the best checkpoint by validation PESQ (--valid_wav_dir)
    RUN/worker_tmp/<k>/           a multi-worker run's other workers: their share of each (collective)
                                  checkpoint save, and their losses.csv
    RUN/enhanced/<iter>/          the run scripts' enhanced test set per checkpoint; results.*, *.png
    RUN/report.html, RUN/report/  the listening report (scripts/listening_report.py)

docs/run_directory.md describes each file.
"""
from __future__ import annotations

import contextlib
import os

from common.system import locks
from common.system.errors import RunDirError

FLAGS_FILE = "flags.json"
CHECKPOINT_DIR = "checkpoints"
CORRUPT_DIR = "corrupt"
LOG_DIR = "logs"
LOSS_FILE = "losses.csv"
BEST_DIR = "best"
BEST_FILE = "best_checkpoint.json"
ENHANCED_DIR = "enhanced"  # the run scripts' test-set outputs, one folder per checkpoint
TESTED_CHECKPOINTS = 5  # the run scripts test the newest five (the paper's mean ± std over five)
RESULTS_JSON = "results.json"  # their scores (scripts/evaluate.py --json)
WORKER_DIR = "worker_tmp"  # a multi-worker run's non-chief workers write here, one folder each
LOCK_FILE = ".lock"  # held by the process writing the run (common/system/locks.py)
SEED_TAG = "-seed"  # RUNS/<configuration>-seed<S>: seed S of a configuration (the run scripts' SEEDS)


def seed_run_name(name: str, seed: int) -> str:
    """The run directory's name of seed `seed` of the configuration `name` (ISEGAN-SA-2, 1 → ISEGAN-SA-2-seed1)."""
    return f"{name}{SEED_TAG}{seed}"


def split_seed(run_name: str) -> tuple[str, int | None]:
    """(configuration name, seed) of a run directory's name; (the name, None) when it names no seed."""
    base, tag, seed = run_name.rpartition(SEED_TAG)
    return (base, int(seed)) if tag and base and seed.isdigit() else (run_name, None)


def lock(run_dir: str):
    """The run directory's writer lock (a context): training, and enhancing its checkpoints, hold it."""
    return locks.exclusive(os.path.join(run_dir, LOCK_FILE), f"run directory {run_dir}")


def enclosing_run(path: str) -> str | None:
    """The run directory that `path` is in or is (the nearest folder up holding flags.json), or None."""
    folder = os.path.abspath(path)
    while True:
        if os.path.isfile(os.path.join(folder, FLAGS_FILE)):
            return folder
        if os.path.dirname(folder) == folder:
            return None
        folder = os.path.dirname(folder)


def lock_enclosing(paths: list[str]):
    """The lock of the run directory the outputs `paths` are written into (a context; none outside a run)."""
    runs = {run for run in map(enclosing_run, paths) if run}
    if len(runs) > 1:
        raise RunDirError(f"outputs in several run directories ({', '.join(sorted(runs))}): write into one")
    return lock(runs.pop()) if runs else contextlib.nullcontext()
