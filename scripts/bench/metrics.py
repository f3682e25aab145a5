#!/usr/bin/env python3
"""Benchmark the evaluation: seconds per file (and per second of audio) for the full metric set in one
process, with a breakdown by metric, then scripts/evaluate.py end to end (process start included) on a
--files set of --seconds speech-like demo pairs (--distinct different pairs repeated; clean 16-bit,
"enhanced" = the noisy file as float32), once with --single_files files in one process and once on the
whole set with --jobs processes."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


from common.system.blas import ONE_BLAS_THREAD

os.environ.update(ONE_BLAS_THREAD)  # before numpy loads: the evaluation's workers run with one BLAS thread

from common.audio import audio, demo_corpus, metrics

EVALUATE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "evaluate.py")


def timed(fn, pairs, repeats: int) -> float:
    """Seconds per call of fn(clean, enhanced), averaged over the pairs and repeats."""
    start = time.perf_counter()
    for _ in range(repeats):
        for x, y in pairs:
            fn(x, y)
    return (time.perf_counter() - start) / (repeats * len(pairs))


def composite_parts(x, y):
    xe, ye = x + metrics.EPS, y + metrics.EPS
    return metrics.llr_frames(xe, ye), metrics.wss_frames(xe, ye), metrics.segsnr_frames(xe, ye)


def evaluate_wall(clean_dir: str, enhanced_dir: str, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, EVALUATE, "--clean_dir", clean_dir, "--enhanced_dir", enhanced_dir,
                    "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--files", type=int, default=824)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--distinct", type=int, default=8)
    p.add_argument("--single_files", type=int, default=100, help="files for the one-process evaluate.py run")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = p.parse_args(argv)
    pairs = [demo_corpus.utterance_pair(0, "test", i, 2, args.seconds, args.seconds)[1:3]
             for i in range(args.distinct)]
    audio_s = len(pairs[0][0]) / audio.SAMPLE_RATE

    print(f"one process, {args.distinct} distinct {audio_s:.1f} s pairs:")
    total = timed(metrics.score_pair, pairs, 3)
    for label, fn in (("PESQ", metrics.wideband_pesq), ("STOI", metrics.classic_stoi),
                      ("LLR+WSS+segSNR", composite_parts)):
        print(f"  {label:15} {timed(fn, pairs, 3) * 1e3:7.1f} ms/file")
    print(f"  {'all six metrics':15} {total * 1e3:7.1f} ms/file = {total / audio_s * 1e3:.1f} ms per second of audio")

    with tempfile.TemporaryDirectory() as work:
        clean_dir, enhanced_dir = os.path.join(work, "clean"), os.path.join(work, "enhanced")
        single_clean, single_enhanced = os.path.join(work, "clean_s"), os.path.join(work, "enhanced_s")
        for k in range(args.files):
            x, y = pairs[k % len(pairs)]
            name = f"f{k:04d}.wav"
            audio.write_wav(os.path.join(clean_dir, name), audio.to_int16(x))
            audio.write_wav(os.path.join(enhanced_dir, name), y.astype("float32"))
            if k < args.single_files:
                audio.write_wav(os.path.join(single_clean, name), audio.to_int16(x))
                audio.write_wav(os.path.join(single_enhanced, name), y.astype("float32"))
        n_single = min(args.single_files, args.files)
        wall = evaluate_wall(single_clean, single_enhanced, 1)
        print(f"evaluate.py --jobs 1, {n_single} files: {wall:.1f} s wall = {wall / n_single:.3f} s/file")
        wall = evaluate_wall(clean_dir, enhanced_dir, args.jobs)
        print(f"evaluate.py --jobs {args.jobs}, {args.files} files of {audio_s:.1f} s: {wall:.1f} s wall "
              f"= {wall / args.files:.3f} s/file, {wall / (args.files * audio_s) * 1e3:.1f} ms per second of audio "
              f"({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
