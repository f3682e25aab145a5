#!/usr/bin/env python3
"""Enhance any audio file, or every .wav of a directory, with a trained run.

    python scripts/enhance.py --run runs/ISEGAN-SA-2 [--step STEP|latest|best] INPUT [-o OUTPUT]

Any sample rate (each channel is resampled to 16 kHz, enhanced and resampled back), mono or
multi-channel, any length (batched windows, with a progress bar for long files). The output has the
input's sample rate, channels, sample format (e.g. PCM_16) and length. OUTPUT defaults to
INPUT_enhanced.wav for a file and INPUT_enhanced/ for a directory.
"""
import argparse
import os
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from tqdm import tqdm

from common.audio.audio import AudioError
from common.config.flags import add_checkpoint_flag, add_field_flags, add_run_flag, add_window_flags
from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_file
from common.config.train_config import TrainConfig
from common.rundir.trained_chain import load_chain
from common.system.errors import exit_on_error
from common.system.paths import refuse_output_over_input
from common.system.progress import progress


def jobs(src: str, dst: str | None) -> list[tuple[str, str]]:
    """(input, output) paths for a file or a directory."""
    if os.path.isdir(src):
        names = sorted(n for n in os.listdir(src) if n.lower().endswith(".wav"))
        if not names:
            raise SystemExit(f"error: no .wav files in {src}")
        dst = dst or os.path.normpath(src) + "_enhanced"
        refuse_output_over_input(dst, src)
        return [(os.path.join(src, n), os.path.join(dst, n)) for n in names]
    if not os.path.exists(src):
        raise SystemExit(f"error: {src}: no such file or directory")
    dst = dst or os.path.splitext(src)[0] + "_enhanced.wav"
    refuse_output_over_input(dst, src)
    return [(src, dst)]


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="an audio file or a directory of .wav files")
    p.add_argument("-o", "--output", help="output file (for a file) or directory (for a directory)")
    add_run_flag(p)
    add_checkpoint_flag(p)
    add_window_flags(p)
    p.add_argument("--seed", type=int, help="seed the generator's z (repeatable output; default: unseeded)")
    add_field_flags(p, TrainConfig, only=("kernels",))
    a = p.parse_args(argv)
    pairs = jobs(a.input, a.output)
    trained = load_chain(a.run, a.weights, kernels=a.kernels)
    if a.seed is not None:
        import tensorflow as tf

        tf.random.set_seed(a.seed)
    print(f"enhancing with {trained.path}", file=sys.stderr)
    enhancer = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, a.test_batch, a.test_overlap,
                        progress=len(pairs) == 1)
    failed = 0
    for src, dst in progress(pairs, unit="file", disable=len(pairs) == 1):
        try:
            enhance_file(enhancer, src, dst)
        except AudioError as e:
            if len(pairs) == 1:
                raise SystemExit(f"error: {e}") from None
            tqdm.write(f"skipped: {e}", file=sys.stderr)
            failed += 1
    print(f"wrote {len(pairs) - failed} file(s) to {pairs[0][1] if len(pairs) == 1 else os.path.dirname(pairs[0][1])}"
          + (f"; {failed} skipped" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
