#!/usr/bin/env python3
"""Spectrograms of a noisy file, each stage's output and the clean file (the paper's spectrogram figure).

    python scripts/plots/spectrograms.py --run runs/ISEGAN-SA-2 --noisy data/noisy_testset_wav_16k/p232_001.wav \
        [--clean data/clean_testset_wav_16k/p232_001.wav] [--step STEP] [--out spectrograms.png]
"""
import argparse
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.config.flags import add_checkpoint_flag
from common.enhancement.enhance import Enhancer
from common.rundir.trained_chain import load_chain
from common.system.errors import exit_on_error
from scripts.plots import lib as plotlib


def figure(noisy, stages, clean=None):
    """Panels: noisy, stage 1..N, clean (if given), on one colour scale (the noisy signal's)."""
    panels = [("noisy", noisy)] + [(f"stage {n + 1}", y) for n, y in enumerate(stages)]
    panels += [("clean", clean)] if clean is not None else []
    fig, axes = plotlib.plt.subplots(len(panels), 1, figsize=(8, 2.2 * len(panels)), sharex=True, squeeze=False)
    top = None
    for ax, (title, x) in zip(axes[:, 0], panels):
        top = plotlib.spectrogram(ax, x, title, top)
    axes[-1, 0].set_xlabel("s")
    return fig


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True)
    p.add_argument("--noisy", required=True, help="wav file to enhance")
    p.add_argument("--clean", help="its clean reference (optional)")
    add_checkpoint_flag(p)
    p.add_argument("--out", default="spectrograms.png")
    a = p.parse_args(argv)
    trained = load_chain(a.run, a.weights)
    noisy = plotlib.read_16k(a.noisy)
    stages = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, all_stages=True).process(noisy)
    plotlib.save(figure(noisy, stages, a.clean and plotlib.read_16k(a.clean)), a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
