#!/usr/bin/env python3
"""Enhance a test set with each of a run's newest readable checkpoints, in one process.

    python scripts/enhance_checkpoints.py --run RUN --test_wav_dir NOISY_DIR [--last 5] [--seed S] [--xla]

Writes RUN/enhanced/STEP/ for each checkpoint (as `main.py --weights STEP --test_wav_dir NOISY_DIR
--save_clean_path RUN/enhanced/STEP` does, file for file) and prints those directories, one per line. The
generator is built and traced once and each checkpoint's weights are read into it. An unreadable
checkpoint is named in a warning and skipped; a file that cannot be enhanced is named and makes the exit
status 1 once every checkpoint is done.
"""
import argparse
import os
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.config.flags import add_field_flags, add_run_flag, positive_int
from common.config.train_config import TrainConfig
from common.enhancement.run_enhance import enhance_checkpoints
from common.rundir import layout
from common.rundir.checkpoint_files import good_steps
from common.rundir.layout import CHECKPOINT_DIR, ENHANCED_DIR, TESTED_CHECKPOINTS
from common.system.errors import exit_on_error
from common.system.paths import refuse_output_over_input


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_flag(p)
    p.add_argument("--test_wav_dir", required=True, help="the noisy .wav files to enhance")
    p.add_argument("--last", type=int, default=TESTED_CHECKPOINTS, help="how many of the newest readable checkpoints")
    p.add_argument("--seed", type=int, help="seed z before each checkpoint (default: unseeded, as test mode)")
    p.add_argument("--test_batch", "--batch", dest="test_batch", type=positive_int, default=64,
                   help="windows per generator call")
    add_field_flags(p, TrainConfig, only=("xla", "kernels"))
    a = p.parse_args(argv)
    if a.last < 1:
        p.error("--last must be at least 1")
    if not os.path.isdir(a.test_wav_dir):
        print(f"error: {a.test_wav_dir}: no such directory", file=sys.stderr)
        return 1
    steps = good_steps(a.run, a.last)
    if not steps:
        print(f"error: no readable checkpoint in {os.path.join(a.run, CHECKPOINT_DIR)}", file=sys.stderr)
        return 1
    for step in steps:
        refuse_output_over_input(os.path.join(a.run, ENHANCED_DIR, str(step)), a.test_wav_dir)
    failed = 0
    with layout.lock(a.run):  # it writes RUN/enhanced/
        for _, out, bad in enhance_checkpoints(a.run, a.test_wav_dir, steps, a.seed, a.test_batch, a.xla,
                                                  a.kernels):
            failed += bad
            print(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
