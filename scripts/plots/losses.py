#!/usr/bin/env python3
"""Training curves from runs' losses.csv: D loss, G adversarial term, G L1 and STFT terms per stage and G loss
against the iteration, one line per run (moving average over --smooth iterations).

    python scripts/plots/losses.py runs/ISEGAN-SA-2 [runs/DSEGAN-2 ...] [--smooth 50] [--out losses.png]
"""
import argparse
import os
import sys


import numpy as np

from common.rundir.layout import LOSS_FILE
from scripts.plots import lib as plotlib

# (column or prefix, title, why a run may lack it)
PANELS = (("d_loss", "D loss", "no adversarial term: --adv_weight 0"),
          ("g_adv", "G adversarial", "no adversarial term: --adv_weight 0"),
          ("g_l1_", "G L1 per stage", ""),
          ("g_stft_", "G STFT loss per stage", "--stft_weight 0"),
          ("g_loss", "G loss", ""))


def read_losses(run: str) -> np.ndarray:
    path = os.path.join(run, LOSS_FILE)
    try:
        table = np.genfromtxt(path, delimiter=",", names=True, ndmin=1)
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: cannot read {path}: {e}") from None
    if table.size == 0:
        raise SystemExit(f"error: {path} has no rows")
    return table


def columns(table: np.ndarray, key: str) -> list[str]:
    """The columns of a panel: `key` itself, or every column that starts with it (a key ending in _)."""
    return [c for c in table.dtype.names if c == key or (key.endswith("_") and c.startswith(key))]


def smooth(y: np.ndarray, n: int) -> np.ndarray:
    n = max(1, min(n, len(y)))
    return np.convolve(y, np.ones(n) / n, mode="valid")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", help="run directories")
    p.add_argument("--smooth", type=int, default=50, help="moving-average length in iterations")
    p.add_argument("--out", default="losses.png")
    a = p.parse_args(argv)
    fig, axes = plotlib.plt.subplots(2, 3, figsize=(16, 7), sharex=True)
    axes.flat[-1].set_visible(False)
    for run in a.runs:
        table, name = read_losses(run), os.path.basename(os.path.normpath(run))
        for ax, (key, title, _) in zip(axes.flat, PANELS):
            for col in columns(table, key):
                y = smooth(table[col], a.smooth)
                label = f"{name} {col}" if key.endswith("_") else name
                ax.plot(table["iteration"][len(table) - len(y):], y, label=label)
            ax.set(title=title)
    for ax in axes.flat:
        if ax.get_legend_handles_labels()[0]:  # a panel no run has a column for stays without a legend
            ax.legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xlabel("iteration")
    plotlib.save(fig, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
