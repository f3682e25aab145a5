#!/usr/bin/env python3
"""Real-time factor and peak memory of enhancing long files (scripts/enhance.py's streamed path) at full size.

    python scripts/bench/enhance.py [--config ISEGAN-SA-2] [--minutes 1 10 60] [--work_dir DIR]

For each length, a 16 kHz PCM_16 noise file of that many minutes is written into --work_dir (default a temporary
folder, removed at the end) and enhanced by common/enhancement/enhance_files.py in a process of its own (random
weights: the compute does not depend on them), which reports its wall time and its peak resident memory: after
building the model, and over the whole run. Prints per length the real-time factor (seconds of compute per second
of audio), the conv FLOP rate that implies (attention not counted) as a share of the fp32 matmul rate measured
in the same process just before, and the peaks; memory that does not grow with the length is what the streaming is for.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

import numpy as np

from common.audio import audio
from common.config.flags import add_window_flags
from common.config.named_configs import named_config
from scripts.bench.lib import conv_flops, matmul_rate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def write_noise(path: str, minutes: float) -> None:
    """A 16 kHz PCM_16 file of white noise at -20 dBFS, written a block at a time."""
    rng, left = np.random.default_rng(0), int(minutes * 60 * audio.SAMPLE_RATE)
    with audio.wav_writer(path, audio.SAMPLE_RATE, 1, "PCM_16") as f:
        while left:
            n = min(left, audio.BLOCK)
            f.write((0.1 * rng.standard_normal(n)).astype(np.float32))
            left -= n


def child(a) -> int:
    """Enhance a.child (one file) and print a JSON line: seconds, the fp32 matmul rate just before, peak RSS
    after the build and overall."""
    from common.enhancement.enhance import Enhancer
    from common.enhancement.enhance_files import enhance_file
    from common.models.build import build_models

    cfg = named_config(a.config)
    chain, _ = build_models(cfg, kernels="tuned")
    enhancer = Enhancer(chain, cfg.canvas_size, 0.95, a.test_batch, a.test_overlap)
    enhancer.process(np.zeros(cfg.canvas_size, np.float32))  # trace outside the timing
    built = peak_rss_mb()
    rate, = matmul_rate(a.matmul_size, [], 3)
    start = time.perf_counter()
    enhance_file(enhancer, a.child, a.child + ".out.wav")
    seconds = time.perf_counter() - start
    os.remove(a.child + ".out.wav")
    print(json.dumps({"seconds": seconds, "matmul": rate, "rss_built_mb": built, "rss_peak_mb": peak_rss_mb()}))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="ISEGAN-SA-2")
    p.add_argument("--minutes", type=float, nargs="+", default=[1, 10, 60])
    p.add_argument("--work_dir", help="where the test files go (default: a temporary folder)")
    add_window_flags(p)
    p.add_argument("--matmul_size", type=int, default=4096)
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        return child(a)
    cfg = named_config(a.config)
    print(f"{a.config}, batch {a.test_batch}, overlap {a.test_overlap}")
    print("| minutes | wall s | real-time factor | conv GFLOP/s | fp32 matmul GFLOP/s | share | peak RSS after build "
          "(MB) | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(dir=a.work_dir) as work:
        for minutes in a.minutes:
            path = os.path.join(work, f"{minutes:g}min.wav")
            write_noise(path, minutes)
            argv = [sys.executable, os.path.abspath(__file__), "--child", path, "--config", a.config,
                    "--test_batch", str(a.test_batch), "--test_overlap", str(a.test_overlap)]
            out = subprocess.run(argv, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            os.remove(path)
            seconds = minutes * 60
            hop = max(1, int(round(cfg.canvas_size * (1 - a.test_overlap))))
            windows = -(-(int(seconds * audio.SAMPLE_RATE) + cfg.canvas_size - hop) // hop)
            flops = windows * cfg.stages * conv_flops(cfg)[0] / r["seconds"]
            print(f"| {minutes:g} | {r['seconds']:.1f} | {r['seconds'] / seconds:.3f} | {flops / 1e9:.1f} | "
                  f"{r['matmul'] / 1e9:.1f} | {100 * flops / r['matmul']:.1f} % | {r['rss_built_mb']:.0f} | "
                  f"{r['rss_peak_mb']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
