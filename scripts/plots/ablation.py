#!/usr/bin/env python3
"""PESQ and STOI against the attention layer, from the ablation runs PREFIX* (k = each one's 0-based encoder
index in flags.json; the x axis shows the paper's layer number k + 1, docs/design.md §5.3), mean ± std over
checkpoints, beside SASEGAN's published values per layer (secondary source: the MMF-SASEGAN project page, whose PESQ and STOI
agree with SASEGAN's README figure; common/evaluation/published.py), and their SEGAN re-run read off that figure.

    python scripts/plots/ablation.py [--runs_root runs] [--prefix SASEGAN-L] [--out runs/ablation_att_layer.png]
"""
import argparse
import os
import sys
import textwrap


from common.config.named_configs import name_of
from common.evaluation import published
from common.evaluation.paper_table import run_summary
from common.rundir import layout, run_record
from scripts.plots import lib as plotlib


def layer(k: int) -> int:
    """The x position: the 1-based layer number of 0-based encoder index k (docs/design.md §5.3)."""
    return k + 1


def figure(rows, prefix: str):
    """PESQ and STOI % panels: ours, (index k, run_summary) rows, and the published values, each at layer(k)."""
    fig, axes = plotlib.plt.subplots(1, 2, figsize=(11, 4))
    ref = sorted(published.SASEGAN_BY_INDEX.items())
    for ax, metric, scale, col in ((axes[0], "pesq", 1, 0), (axes[1], "stoi", 100, 1)):
        ax.errorbar([layer(k) for k, _ in rows], [r["mean"][metric] * scale for _, r in rows],
                    yerr=[r["std"][metric] * scale for _, r in rows], marker="o", capsize=3, label="ours")
        ax.plot([layer(k) for k, _ in ref], [round(v[metric] * scale, 4) for _, v in ref], "s--", color="grey",
                label="SASEGAN, published (secondary: MMF-SASEGAN page)")
        ax.axhline(published.SASEGAN_FIGURE_SEGAN[col], color="grey", linestyle=":", linewidth=1,
                   label="their SEGAN re-run (read off their figure, ≈)")
        ax.set(xlabel="attention layer (1-based; encoder index + 1)",
               ylabel=metric.upper() + (" %" if scale > 1 else ""))
        ax.legend(fontsize=8)
    fig.suptitle(textwrap.fill(f"{prefix}<k>: mean ± std over checkpoints. Published: {published.SASEGAN_SOURCE}; "
                               "SEGAN re-run: read off that figure", 170), fontsize=7)
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs_root", "--run_dir", dest="runs_root", default="runs", help="the directory of the runs")
    p.add_argument("--prefix", default="SASEGAN-L", help="the ablation's runs: RUNS_ROOT/PREFIX* (the layer is "
                   "read from each run's flags.json)")
    p.add_argument("--out", default=os.path.join("runs", "ablation_att_layer.png"))
    a = p.parse_args(argv)
    runs = [run_summary(os.path.join(a.runs_root, n)) for n in sorted(os.listdir(a.runs_root))
            if n.startswith(a.prefix) and os.path.exists(os.path.join(a.runs_root, n, layout.FLAGS_FILE))]
    found = {}
    for r in runs:  # the layer is what the run's flags.json records, not what its name says
        cfg = run_record.model_config(r["flags"])
        if name_of(cfg) != "SASEGAN" or len(cfg.att_layer_ind) != 1:
            raise SystemExit(f"error: {r['name']} is {name_of(cfg)} with attention at {list(cfg.att_layer_ind)}, "
                             f"not SASEGAN with one attention layer")
        k = cfg.att_layer_ind[0]
        if k in found:
            raise SystemExit(f"error: {found[k]['name']} and {r['name']} both have attention at index {k}")
        found[k] = r
    rows = sorted((k, r) for k, r in found.items() if r["mean"] is not None)
    if not rows:
        raise SystemExit(f"error: no evaluated runs {a.prefix}<k> in {a.runs_root}")
    fig = figure(rows, a.prefix)
    plotlib.save(fig, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
