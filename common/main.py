"""What every variant's main.py runs: parse the flags, then train, or (with --test_wav_dir) enhance."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from common import config  # noqa: E402


def main(variant: str, argv=None) -> int:
    args = config.parse(variant, argv)
    for gpu in tf.config.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)
    if args.test_wav_dir:
        from common.enhance import Enhancer, enhance_dir, load_chain

        chain, path = load_chain(config.model_config(args), args.save_path, args.weights)
        print(f"enhancing {args.test_wav_dir} with {path}")
        enhancer = Enhancer(chain, args.canvas_size, args.preemph, args.test_batch, args.test_overlap)
        failed = enhance_dir(enhancer, args.test_wav_dir, args.save_clean_path)
        return 1 if failed else 0
    from common.trainer import Trainer, TrainingDiverged

    try:
        Trainer(args).train()
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
