#!/usr/bin/env python3
"""The attention map of one self-attention block for one window of a file: query time (x) against
pooled key time (y), as softmax weights.

    python scripts/plots/attention.py --run runs/ISEGAN-SA-2 --file noisy.wav [--window 0] [--stage 1] \
        [--block encoder_attention_layer5] [--step STEP] [--out attention.png]
"""
import argparse
import os
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

import numpy as np

from common.audio import audio
from common.config.flags import add_checkpoint_flag
from common.rundir.trained_chain import load_chain
from common.system.errors import exit_on_error
from scripts.plots import lib as plotlib


def attention_maps(chain, window: np.ndarray, stage: int) -> dict:
    """{block name: [T, T/4]} of the generator of `stage` (0-based) for one pre-emphasised window,
    the earlier stages run first as in the chain."""
    h = window[None, :, None]
    for n in range(stage):
        h = chain.stage_generator(n)(h)
    _, maps = chain.stage_generator(stage)(h, return_attention=True)
    return {name: m.numpy()[0] for name, m in maps.items()}


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--file", required=True, help="wav file (16 kHz, or resampled)")
    p.add_argument("--window", type=int, default=0, help="index of the canvas-long window of the file")
    p.add_argument("--stage", type=int, default=1, help="stage of the chain, 1-based")
    p.add_argument("--block", help="attention block (default: the stage's first)")
    add_checkpoint_flag(p)
    p.add_argument("--out", default="attention.png")
    a = p.parse_args(argv)
    trained = load_chain(a.run, a.weights)
    cfg, chain = trained.cfg, trained.chain
    if not 1 <= a.stage <= cfg.stages:
        p.error(f"--stage must be in 1..{cfg.stages}")
    x = audio.pre_emphasis(plotlib.read_16k(a.file), trained.preemph)
    count = -(-len(x) // cfg.canvas_size)
    if not 0 <= a.window < count:
        p.error(f"--window must be in 0..{count - 1} ({a.file} has {count} windows of {cfg.canvas_size})")
    window = np.pad(x, (0, count * cfg.canvas_size - len(x)))[a.window * cfg.canvas_size:][:cfg.canvas_size]
    maps = attention_maps(chain, window, a.stage - 1)
    block = a.block or next(iter(maps), None)
    if block not in maps:
        p.error(f"no attention block {block!r} in stage {a.stage}; it has: {sorted(maps) or 'none'}")
    fig, ax = plotlib.plt.subplots(figsize=(7, 4))
    image = ax.imshow(maps[block].T, origin="lower", aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set(title=f"{os.path.basename(a.run)} stage {a.stage}, {block}, window {a.window}",
           xlabel="query position", ylabel="key position (pooled)")
    fig.colorbar(image, ax=ax)
    plotlib.save(fig, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
