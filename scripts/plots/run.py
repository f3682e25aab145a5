#!/usr/bin/env python3
"""The pictures of one run, into the run directory (the main job makes them at its end):

    RUN/spectrograms.png   one test file: noisy, each stage of the last checkpoint, clean
    RUN/training.png       the training curves (D and G losses) and PESQ, CSIG, SSNR and STOI of the test set per
                           evaluated checkpoint, beside the noisy input's (from RUN/results.json)

    python scripts/plots/run.py --run RUN --noisy_dir D --clean_dir D [--file NAME]
"""
import argparse
import json
import os
import sys

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

from common.enhancement.enhance import Enhancer
from common.rundir.layout import RESULTS_JSON
from common.rundir.trained_chain import load_chain
from common.system.errors import exit_on_error
from scripts.plots import lib as plotlib
from scripts.plots import losses as plot_losses, spectrograms as plot_spectrograms

SCORES = (("pesq", "PESQ (test set)"), ("csig", "CSIG (test set)"), ("ssnr", "SSNR in dB (test set)"),
          ("stoi", "STOI (test set)"))


def spectrograms(run: str, noisy_path: str, clean_path: str, out: str) -> None:
    trained = load_chain(run)
    noisy = plotlib.read_16k(noisy_path)
    stages = Enhancer(trained.chain, trained.cfg.canvas_size, trained.preemph, all_stages=True).process(noisy)
    fig = plot_spectrograms.figure(noisy, stages, plotlib.read_16k(clean_path))
    fig.suptitle(f"{os.path.basename(os.path.normpath(run))}, {os.path.basename(trained.path)}: "
                 f"{os.path.basename(noisy_path)}")
    plotlib.save(fig, out)


def training(run: str, out: str, smooth: int) -> None:
    fig, axes = plotlib.plt.subplots(3, 3, figsize=(15, 10))
    loss_axes, score_axes = axes.flat[:len(plot_losses.PANELS)], axes.flat[len(plot_losses.PANELS):]
    table = plot_losses.read_losses(run)
    for ax, (key, title, why_absent) in zip(loss_axes, plot_losses.PANELS):
        ax.set(title=title, xlabel="iteration")
        if not plot_losses.columns(table, key):
            ax.text(0.5, 0.5, f"not computed\n({why_absent})", ha="center", transform=ax.transAxes)
            ax.set(xticks=[], yticks=[], xlabel="")  # no axes that look like data
            continue
        for col in plot_losses.columns(table, key):
            y = plot_losses.smooth(table[col], smooth)
            ax.plot(table["iteration"][len(table) - len(y):], y, label=col)
        ax.legend(fontsize=7)
    try:
        with open(os.path.join(run, RESULTS_JSON)) as f:
            results = json.load(f)
    except FileNotFoundError:
        results = None
    for ax, (metric, title) in zip(score_axes, SCORES):
        ax.set(title=title, xlabel="iteration")
        if results is None:
            ax.text(0.5, 0.5, f"no {RESULTS_JSON} yet", ha="center", transform=ax.transAxes)
            continue
        points = sorted((int(os.path.basename(os.path.normpath(d["dir"]))), d["mean"][metric])
                        for d in results["dirs"] if d["complete"])
        if points:
            ax.plot(*zip(*points), "o-", label="enhanced")
        if results.get("noisy"):
            ax.axhline(results["noisy"]["mean"][metric], color="grey", linestyle="--", label="noisy input")
        ax.legend(fontsize=7)
    fig.suptitle(os.path.basename(os.path.normpath(run)))
    fig.tight_layout()
    plotlib.save(fig, out)


@exit_on_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="run directory")
    p.add_argument("--noisy_dir", required=True)
    p.add_argument("--clean_dir", required=True)
    p.add_argument("--file", help="test file for the spectrograms (default: the first by name)")
    p.add_argument("--smooth", type=int, default=20, help="moving-average length of the loss curves")
    a = p.parse_args(argv)
    names = sorted(n for n in os.listdir(a.noisy_dir) if n.lower().endswith(".wav"))
    name = a.file or (names[0] if names else p.error(f"no .wav files in {a.noisy_dir}"))
    spectrograms(a.run, os.path.join(a.noisy_dir, name), os.path.join(a.clean_dir, name),
                 os.path.join(a.run, "spectrograms.png"))
    training(a.run, os.path.join(a.run, "training.png"), a.smooth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
