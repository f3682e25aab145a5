#!/usr/bin/env python3
"""Training throughput (full size, or a recipe's) against this machine's fp32 matmul rate, measured in the same run.

    python scripts/bench/train.py [--configs SEGAN ISEGAN-SA-2 DSEGAN-2] [--modes tf32 xla bfloat16]
                                  [--kernels tuned native] [--batch_size B [B ...]] [--iterations 4]
                                  [--recipe quick] [--cpu_op_threads all one]

For each configuration and mode (scripts/bench/lib.py MODES; default tf32: the paper's float32 as TensorFlow runs it,
TF32 on GPUs that have it; fp32: TF32 off; xla: --xla; bfloat16 or float16: --mixed_precision; xla+bfloat16,
xla+float16: both), and each kernel form of --kernels (default auto: tuned on a CPU, native on a
GPU; common/nn/conv_kernels.py): seconds per iteration (one D step and one G step, each on its own batch of
--batch_size windows; default: the batch rule on one device, the paper's windows per iteration, SASEGAN 50,
the others 100), windows/s with both batches counted, and the FLOP rate that implies as a share of the matmul rate. FLOP per iteration: counted
on the graph TensorFlow traces for one D and one G step (scripts/bench/lib.py counted_iteration_flops: every
convolution and matrix product, forward and backward, attention included), which matches the formula of the
convs' forward costs G and D (4.32 and 1.45 GFLOP per window at full size) with backward = 2 × forward, for N
stages (iteration_flops):
  D step: N·G (chain) + 3·(N+2)·D (reference, real and N fake passes, forward and backward)
  G step: 3·N·G (chain forward and backward) + 3·(N+1)·D (reference and N fake passes)
--recipe quick times the quick recipe's step instead (quarter width, L1 and STFT loss, G alone: an iteration is
one G step, 3·N·G, on its batch of 8). --cpu_op_threads times each threading of TensorFlow's CPU ops in a
process of its own (common/system/cpu_threads.py), with the matmul rate measured under the same threading
(under "one", one matmul per core at once, since each op then runs on one core).
With two or more batch sizes it also fits seconds/iteration = fixed + per_window x batch per mode: the fixed
part is the work whose cost does not grow with the batch (reading and writing the weights and their gradients,
the optimizer update, spectral norm's power iteration), and the per-window part's FLOP rate is what the
convolutions reach once that is paid.
Data come from memory (one repeated batch), so this measures the step, not the input pipeline
(scripts/bench/data.py measures that). It runs on the first GPU TensorFlow sees, else on the CPU; each
configuration in a process of its own, so a grid needs the memory of its largest configuration only.
--hours adds the hours that the paper's 100 epochs of VoiceBank would take at each measured rate on one such
device: every configuration's run feeds its step PAPER_RUN_WINDOWS windows (48,700 iterations x 2 batches
x 100 windows, or SASEGAN's 97,400 x 2 x 50; docs/design.md, Appendix B); a run on two GPUs takes about half.
scripts/gpu_check.sh times one configuration per process and mode on a GPU and reports the grid's hours.
"""
import argparse
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from common.system.tf_quietly import tf  # first: TensorFlow without its start-up noise

from common.config.named_configs import PAPER_CONFIGS, named_config, paper_windows
from common.config.recipes import RECIPES
from common.config.train_config import CPU_OP_THREADS, KERNEL_FORMS
from common.system import cpu_threads
from common.system.errors import exit_on_error
from scripts.bench.lib import MODES, PAPER_RUN_WINDOWS, counted_iteration_flops, matmul_rate, timed_step


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", nargs="+", default=["SEGAN", "ISEGAN-SA-2", "DSEGAN-2"], choices=PAPER_CONFIGS)
    p.add_argument("--modes", nargs="+", default=["tf32"], choices=tuple(MODES),
                   help="speed modes (scripts/bench/lib.py MODES; tf32 is TensorFlow's default, fp32 TF32 off)")
    p.add_argument("--kernels", nargs="+", default=["auto"], choices=KERNEL_FORMS,
                   help="the layers' kernel forms to time each mode with (common/nn/conv_kernels.py)")
    p.add_argument("--recipe", default="paper", choices=tuple(RECIPES),
                   help="flag defaults (common/config/recipes.py): paper (full size), or quick (quarter width, G "
                        "alone, batch 8)")
    p.add_argument("--cpu_op_threads", nargs="+", default=["all"], choices=CPU_OP_THREADS,
                   help="TensorFlow's CPU threading (common/system/cpu_threads.py), each in a process of its own; "
                        "the matmul rate is measured with the same threading (under one: a matmul per core)")
    p.add_argument("--batch_size", "--batch", dest="batch_sizes", nargs="+", type=int,
                   help="windows per batch (default: the batch rule on one device, SASEGAN 50, the others 100); two "
                        "or more: also the fixed and per-window cost of an iteration")
    p.add_argument("--iterations", type=int, default=4, help="timed iterations (best one counts)")
    p.add_argument("--matmul_size", type=int, default=4096)
    p.add_argument("--hours", action="store_true", help="also the hours of a paper run at each rate, and their sum")
    a = p.parse_args(argv)
    a.variants = [(mode, form) for mode in a.modes for form in a.kernels]  # each timed apart
    if a.batch_sizes:
        a.batch_sizes = sorted(set(a.batch_sizes))  # the fit needs distinct sizes; its share is at the smallest
    if a.hours and a.batch_sizes and len(a.batch_sizes) > 1:
        p.error("--hours takes one --batch_size")
    if a.hours and (len(a.cpu_op_threads) > 1 or a.recipe != "paper"):
        p.error("--hours takes one --cpu_op_threads and the paper recipe")
    # One process per configuration: its trainers (one per mode and batch) and XLA programs are freed with it,
    # so the grid needs the memory of its largest configuration, not of all of them together.
    hours, failed = {_label(a, mode, form): 0.0 for mode, form in a.variants}, []
    for i, (name, threads) in enumerate((n, t) for n in a.configs for t in a.cpu_op_threads):
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            try:
                for mode, h in pool.submit(_bench_config, name, threads, a, i == 0).result().items():
                    hours[mode] += h
            except BrokenProcessPool:
                failed.append(name)
                print(f"error: {name}: its benchmark process died (killed, e.g. out of memory); "
                      f"the other configurations go on", file=sys.stderr, flush=True)
    if a.hours:
        done = len(a.configs) - len(failed)
        for mode, h in hours.items():
            print(f"{done} configuration(s) {mode}: {h:.1f} h on one device (about half on two)"
                  + (f"; INCOMPLETE: without {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _label(a, mode, form):
    return mode if len(a.kernels) == 1 else f"{mode}, {form} kernels"


def _bench_config(name, threads, a, show_device):
    """Time every mode and batch of one configuration under one CPU threading, interleaved with the matmul
    rate; print a line per (mode, batch) and the fit; return the hours of a paper run per mode (at the single
    batch)."""
    threads = cpu_threads.use(tf, threads)  # before TensorFlow's first op in this process
    gpus = tf.config.list_logical_devices("GPU")
    device = gpus[0].name if gpus else "/cpu:0"
    if show_device:
        print(f"device: {device}" + ("" if gpus else " (TensorFlow sees no GPU)"), flush=True)
    # the recipe's batch, else the batch rule on one device
    batch_sizes = a.batch_sizes or [RECIPES[a.recipe].get("batch_size") or paper_windows(named_config(name))]
    runs, steps = [(_label(a, mode, form), mode, form, b) for b in batch_sizes for mode, form in a.variants], []
    for _, mode, form, b in runs:
        tr, _, step = timed_step(name, mode, form, b, device, recipe=a.recipe)
        steps.append(step)
    with tf.device(device):  # all timed interleaved
        rate, *seconds = matmul_rate(a.matmul_size, steps, a.iterations,
                                     cpu_threads.cores() if threads == "one" and not gpus else 1)
    name = f"{name}{'' if a.recipe == 'paper' else ', ' + a.recipe + ' recipe'}, CPU op threads {threads}"
    flops = {b: counted_iteration_flops(tr, b) for b in batch_sizes}  # the same graph in every mode
    batches = 2 if tr.adversarial else 1  # an iteration: a D and a G step, or (L1 alone) a G step
    which, hours = "both batches" if batches == 2 else "the batch", {}
    for (mode, _, _, b), s in zip(runs, seconds):
        hours[mode] = PAPER_RUN_WINDOWS * s / (batches * b) / 3600
        print(f"{name} {mode}: {batches * b / s:.2f} windows/s ({which} of {b}; "
              f"{s:.2f} s/iteration), {flops[b] / 1e9:.0f} GFLOP/iteration -> {flops[b] / s / 1e9:.1f} GFLOP/s = "
              f"{100 * flops[b] / s / rate:.1f} % of the fp32 matmul rate ({rate / 1e9:.1f} GFLOP/s)"
              + (f"; a paper run: {hours[mode]:.1f} h" if a.hours else ""), flush=True)
    if len(batch_sizes) > 1:
        for mode in dict.fromkeys(label for label, *_ in runs):
            times = [s for (m, *_), s in zip(runs, seconds) if m == mode]
            fixed, per_window, per_window_flops = _fit(batch_sizes, times, [flops[b] for b in batch_sizes])
            print(f"{name} {mode}, seconds/iteration = {fixed:.3f} + {per_window:.4f} x batch: the part that does "
                  f"not grow with the batch is {100 * fixed / times[0]:.0f} % of an iteration at batch "
                  f"{batch_sizes[0]}; the part that does runs at {per_window_flops / per_window / 1e9:.1f} "
                  f"GFLOP/s = {100 * per_window_flops / per_window / rate:.1f} % of the fp32 matmul rate", flush=True)
    return hours


def _fit(batches, seconds, flops):
    """Least squares seconds = fixed + per_window * batch; and the FLOPs per window (exactly linear)."""
    mean_b, mean_s = sum(batches) / len(batches), sum(seconds) / len(seconds)
    slope = (sum((b - mean_b) * (s - mean_s) for b, s in zip(batches, seconds))
             / sum((b - mean_b) ** 2 for b in batches))
    return mean_s - slope * mean_b, slope, (flops[-1] - flops[0]) / (batches[-1] - batches[0])


if __name__ == "__main__":
    sys.exit(main())
