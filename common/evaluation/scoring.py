"""Scoring enhanced directories against a clean test set, file by file (common/audio/metrics.py), in worker
processes: the library behind scripts/evaluate.py and the Noisy row of the paper table.

Files are matched by basename; a clean file that cannot be scored in a directory is a problem that makes
its row incomplete (common/evaluation/aggregate.py). The workers are spawned with one BLAS thread each
(common/system/blas.py); the caller's environment is restored afterwards.
"""
from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


from common.audio import metrics
from common.evaluation.aggregate import NOTES, PROBLEMS, summarize
from common.system.blas import ONE_BLAS_THREAD
from common.system.progress import progress


def wav_files(directory: str) -> dict[str, str]:
    """{basename: path} of the .wav files directly in `directory`."""
    return {e.name: e.path for e in os.scandir(directory) if e.is_file() and e.name.lower().endswith(".wav")}


def set_digest(clean: dict[str, str]) -> str | None:
    """The content of a test set ({basename: path}): sha256 of its sorted 'name:sha256 of the file' lines,
    first 16 hex digits; None if a file cannot be read (its scoring reports it)."""
    lines = []
    for name in sorted(clean):
        try:
            with open(clean[name], "rb") as f:
                lines.append(f"{name}:{hashlib.file_digest(f, 'sha256').hexdigest()}")
        except OSError:
            return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def score_task(task):
    """(dir index, name, scores or None, {kind: [detail, ...]}) for one file pair."""
    index, name, clean, enhanced, allow_resample = task
    try:
        scores, notes = metrics.score_files(clean, enhanced, allow_resample)
        return index, name, scores, notes
    except metrics.ScoringError as e:
        return index, name, None, {e.kind: [e.detail]}
    except Exception as e:  # one broken pair must not end a long run; it is reported instead
        return index, name, None, {"failed": [f"{type(e).__name__}: {e}"]}


@contextlib.contextmanager
def environment(values: dict):
    """os.environ with `values` set, restored on exit (spawned processes inherit it)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(tasks: list, jobs: int):
    """Results of `score_task` in task order, from `jobs` spawned processes with one BLAS thread each."""
    if min(jobs, len(tasks)) <= 1:
        yield from map(score_task, tasks)
        return
    with environment(ONE_BLAS_THREAD), \
            ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(score_task, tasks, chunksize=max(1, len(tasks) // (jobs * 16)))


def score_dirs(clean_dir: str, enhanced_dirs: list[str], jobs: int = 1, allow_resample: bool = False,
               noisy_dir: str | None = None) -> tuple[dict, list[dict]]:
    """Score every directory, and `noisy_dir` if given, against `clean_dir` (files matched by basename) in
    one pool: the summary (`summarize`, with the clean set's `set_digest`) and the per-file scores of each
    of its `rows`. Raises ValueError if `clean_dir` holds no .wav file."""
    clean = wav_files(clean_dir)
    if not clean:
        raise ValueError(f"no .wav files in {clean_dir}")
    all_dirs = ([noisy_dir] if noisy_dir else []) + enhanced_dirs
    scores = [{} for _ in all_dirs]
    found = [{kind: [] for kind in (*PROBLEMS, *NOTES)} for _ in all_dirs]
    tasks = []
    for i, d in enumerate(all_dirs):
        enhanced = wav_files(d)
        found[i]["missing"] = [{"file": n, "detail": f"no {n} in {d}"}
                               for n in sorted(clean.keys() - enhanced.keys())]
        found[i]["extra"] = [{"file": n, "detail": f"no clean {n} in {clean_dir}"}
                             for n in sorted(enhanced.keys() - clean.keys())]
        tasks += [(i, n, clean[n], enhanced[n], allow_resample) for n in sorted(clean.keys() & enhanced.keys())]
    for i, name, result, issues in progress(run(tasks, jobs), total=len(tasks), desc="scoring", unit="file"):
        if result is not None:
            scores[i][name] = result
        for kind, details in issues.items():
            found[i][kind] += [{"file": name, "detail": detail} for detail in details]
    k = 1 if noisy_dir else 0  # the noisy dir comes first
    noisy = (noisy_dir, scores[0], found[0]) if noisy_dir else None
    summary = summarize(clean_dir, len(clean), enhanced_dirs, scores[k:], found[k:], noisy, set_digest(clean))
    return summary, scores
