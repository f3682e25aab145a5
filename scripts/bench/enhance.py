#!/usr/bin/env python3
"""Real-time factor of test-time enhancement (scripts/enhance.py's path) at full size on this machine.

    python scripts/bench/enhance.py [--config ISEGAN-SA-2] [--seconds 30] [--repeats 3]

Enhances --seconds of audio (random weights: the compute does not depend on them) and reports seconds
of compute per second of audio, and the conv FLOP rate that implies (4.32 GFLOP per 16384-sample window
per stage; attention not counted) as a share of the fp32 matmul rate measured in the same run.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from common.system.quiet_tf import import_tensorflow  # noqa: E402

import_tensorflow()

import numpy as np  # noqa: E402

from common.audio.audio import SAMPLE_RATE  # noqa: E402
from common.config.flags import add_window_flags  # noqa: E402
from common.config.named_configs import named_config  # noqa: E402
from common.enhancement.enhance import Enhancer  # noqa: E402
from common.models.build import build_models  # noqa: E402
from scripts.bench.lib import conv_flops, matmul_rate  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default="ISEGAN-SA-2")
    p.add_argument("--seconds", type=float, default=30.0)
    add_window_flags(p)
    p.add_argument("--repeats", type=int, default=3, help="timed runs (best one counts)")
    p.add_argument("--matmul_size", type=int, default=4096)
    a = p.parse_args(argv)
    cfg = named_config(a.config)
    chain, _ = build_models(cfg)
    enhancer = Enhancer(chain, cfg.canvas_size, 0.95, a.test_batch, a.test_overlap)
    x = (0.1 * np.random.default_rng(0).standard_normal(int(a.seconds * SAMPLE_RATE))).astype(np.float32)
    rate, seconds = matmul_rate(a.matmul_size, [lambda: enhancer.process(x)], a.repeats)
    windows = -(-len(x) // cfg.canvas_size)
    flops = windows * cfg.stages * conv_flops(cfg)[0]
    print(f"{a.config}: {seconds:.2f} s for {a.seconds:g} s of audio ({windows} windows) -> real-time factor "
          f"{seconds / a.seconds:.3f} s/s; {flops / 1e9:.0f} GFLOP -> {flops / seconds / 1e9:.1f} GFLOP/s = "
          f"{100 * flops / seconds / rate:.1f} % of the fp32 matmul rate ({rate / 1e9:.1f} GFLOP/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
