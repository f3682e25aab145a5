"""Testing a run: its test set enhanced with each of its checkpoints (what the run scripts score)."""
from __future__ import annotations

import os

import tensorflow as tf

from common.enhancement.enhance import Enhancer
from common.enhancement.enhance_files import enhance_dir
from common.rundir.layout import ENHANCED_DIR
from common.rundir.trained_chain import load_chain


def enhance_checkpoints(run_dir: str, noisy_dir: str, steps: list[int], seed: int | None = None, batch: int = 64,
                        xla: bool = False, kernels: str = "auto"):
    """Enhance noisy_dir with each checkpoint of `steps` into RUN/enhanced/STEP, file for file what test mode
    writes; the chain is built and traced once and each checkpoint's weights are read into it. `seed`: z
    seeded the same before each checkpoint; `kernels`: a --kernels value. Yields (step, output directory, files
    that failed)."""
    if not steps:
        return
    trained = load_chain(run_dir, str(steps[0]), kernels=kernels)
    enhancer = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, batch, xla=xla)
    for step in steps:
        trained.read(str(step))
        if seed is not None:
            tf.random.set_seed(seed)
        out = os.path.join(run_dir, ENHANCED_DIR, str(step))
        yield step, out, enhance_dir(enhancer, noisy_dir, out)
