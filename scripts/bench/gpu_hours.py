#!/usr/bin/env python3
"""The GPU hours of the paper's runs, from the FLOPs of their training graphs and an assumed sustained rate
per precision: the "Expected GPU time" table of docs/speed.md.

    python scripts/bench/gpu_hours.py [NAME ...] [--tflops float32=7 mixed=14]

For each configuration (default: the paper's grid) the FLOPs of one iteration of its paper run script's
windows (SASEGAN 50, the others 100; named_configs.PAPER_WINDOWS) are counted on the graph TensorFlow traces for
it (scripts/bench/lib.py counted_iteration_flops; nothing runs), times the iterations of 100 epochs of
VoiceBank (PAPER_RUN_WINDOWS).
The rates are assumptions, stated in the table's header: on a GPU, scripts/gpu_check.sh measures them.
"""
import argparse
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)
import keras

from common.config.named_configs import PAPER_CONFIGS, named_config, paper_windows
from common.config.train_config import TrainConfig
from common.evaluation import tables
from common.system.errors import exit_on_error
from common.training.trainer import Trainer
from scripts.bench.lib import PAPER_RUN_WINDOWS, counted_iteration_flops


def rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name, float(value) * 1e12
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=TFLOPS (e.g. float32=7)") from None


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", default=PAPER_CONFIGS, metavar="NAME", help="named configurations")
    p.add_argument("--tflops", nargs="+", type=rate, default=[("float32", 7e12), ("mixed", 14e12)],
                   help="sustained TFLOP/s per precision, NAME=TFLOPS (default: float32=7 mixed=14)")
    a = p.parse_args(argv)
    rows, hours = [], [0.0] * len(a.tflops)
    for name in a.names:
        batch = paper_windows(named_config(name))  # all replicas together: FLOPs are per window
        trainer = Trainer(named_config(name), TrainConfig(batch_size=batch))
        flops = counted_iteration_flops(trainer, batch)
        total = flops * PAPER_RUN_WINDOWS / (2 * batch)
        run_hours = [total / r / 3600 for _, r in a.tflops]
        hours = [h + r for h, r in zip(hours, run_hours)]
        rows.append([f"{name} ({batch} windows)", f"{flops / 1e12:.2f}", f"{PAPER_RUN_WINDOWS // (2 * batch):,}",
                     f"{total / 1e18:.3f}", *(f"{h:.1f}" for h in run_hours)])
        keras.utils.clear_session(free_memory=True)
    rows.append([f"all {len(a.names)}", "", "", "", *(f"{h:.0f}" for h in hours)])
    header = ["configuration", "TFLOP / iteration", "iterations", "10^18 FLOP",
              *(f"hours, {n} at {r / 1e12:g} TFLOP/s" for n, r in a.tflops)]
    print("\n".join(tables.markdown(header, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
