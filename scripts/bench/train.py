#!/usr/bin/env python3
"""Training throughput at full size against this machine's fp32 matmul rate, measured in the same run.

    python scripts/bench/train.py [--configs SEGAN ISEGAN-SA-2 DSEGAN-2] [--modes default xla bfloat16]
                                  [--batch_size 4] [--iterations 4]

For each configuration and mode (default: the paper's fp32; xla: --xla; bfloat16 or float16: --mixed_precision;
xla+bfloat16, xla+float16: both): seconds per iteration (one D step and one G step, each on its own batch of
--batch windows), windows/s with both batches counted, and the FLOP rate that implies as a share of the
matmul rate. FLOP per iteration: counted on the graph TensorFlow traces for one D and one G step
(scripts/bench/lib.py counted_iteration_flops: every convolution and matrix product, forward and backward,
attention included), which matches the formula of the convs' forward costs G and D (4.32 and 1.45 GFLOP
per window at full size) with backward = 2 × forward, for N stages (iteration_flops):
  D step: N·G (chain) + 3·(N+2)·D (reference, real and N fake passes, forward and backward)
  G step: 3·N·G (chain forward and backward) + 3·(N+1)·D (reference and N fake passes)
Data come from memory (one repeated batch), so this measures the step, not the input pipeline
(scripts/bench/data.py measures that). It runs on the first GPU TensorFlow sees, else on the CPU.
--hours adds the hours that the paper's 100 epochs of VoiceBank would take at each measured rate on one such
device: every configuration's run feeds its step PAPER_RUN_WINDOWS windows (48,700 iterations x 2 batches
x 100 windows, or SASEGAN's 97,400 x 2 x 50; SPEC Appendix B); a run on two GPUs takes about half.
scripts/gpu_check.sh runs it for the whole paper grid.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from common.quiet_tf import import_tensorflow  # noqa: E402

tf = import_tensorflow()

from common import config  # noqa: E402
from common.errors import exit_on_error  # noqa: E402
from common.named_configs import PAPER_CONFIGS, main_argv  # noqa: E402
from common.trainer import Trainer  # noqa: E402
from scripts.bench.lib import PAPER_RUN_WINDOWS, counted_iteration_flops, matmul_rate  # noqa: E402

MODES = {"default": [], "xla": ["--xla"],  # mode: main.py flags
         **{p: ["--mixed_precision", p] for p in ("bfloat16", "float16")},
         **{f"xla+{p}": ["--xla", "--mixed_precision", p] for p in ("bfloat16", "float16")}}


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=["SEGAN", "ISEGAN-SA-2", "DSEGAN-2"], choices=PAPER_CONFIGS)
    p.add_argument("--modes", nargs="+", default=["default"], choices=tuple(MODES))
    p.add_argument("--batch_size", "--batch", dest="batch_size", type=int, default=4, help="windows per batch")
    p.add_argument("--iterations", type=int, default=4, help="timed iterations (best one counts)")
    p.add_argument("--matmul_size", type=int, default=4096)
    p.add_argument("--hours", action="store_true", help="also the hours of a paper run at each rate, and their sum")
    a = p.parse_args(argv)
    gpus = tf.config.list_logical_devices("GPU")
    device = gpus[0].name if gpus else "/cpu:0"
    print(f"device: {device}" + ("" if gpus else " (TensorFlow sees no GPU)"), flush=True)
    hours = {mode: 0.0 for mode in a.modes}
    for name in a.configs:
        steps = []
        for mode in a.modes:
            variant, flags = main_argv(name)
            args = config.parse(variant, [*flags, *MODES[mode], "--batch_size", str(a.batch_size)])
            cfg = config.model_config(args)
            tr = Trainer(cfg, config.train_config(args), tf.distribute.MirroredStrategy([device]))
            batch = tf.random.normal([a.batch_size, cfg.canvas_size, 1]) * 0.1
            iterator = iter(tr.strategy.experimental_distribute_dataset(
                tf.data.Dataset.from_tensors((batch, batch + 0.01)).repeat()))
            steps.append(lambda tr=tr, it=iterator: {k: v.numpy() for k, v in tr.step(it).items()})
        with tf.device(device):
            rate, *seconds = matmul_rate(a.matmul_size, steps, a.iterations)  # the modes timed interleaved
        flops = counted_iteration_flops(tr, a.batch_size)  # the same graph in every mode
        for mode, s in zip(a.modes, seconds):
            run_hours = PAPER_RUN_WINDOWS * s / (2 * a.batch_size) / 3600
            hours[mode] += run_hours
            print(f"{name} {mode}: {2 * a.batch_size / s:.2f} windows/s (both batches of {a.batch_size}; "
                  f"{s:.2f} s/iteration), {flops / 1e9:.0f} GFLOP/iteration -> {flops / s / 1e9:.1f} GFLOP/s = "
                  f"{100 * flops / s / rate:.1f} % of the fp32 matmul rate ({rate / 1e9:.1f} GFLOP/s)"
                  + (f"; a paper run: {run_hours:.1f} h" if a.hours else ""), flush=True)
    if a.hours:
        for mode, h in hours.items():
            print(f"{len(a.configs)} configuration(s) {mode}: {h:.1f} h on one {device} (about half on two)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
