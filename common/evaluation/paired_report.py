"""Configurations compared file by file (common/evaluation/paired.py), A with B or A with its own noisy input,
and the report of it: the markdown (the configurations with their spreads, then per comparison a table and one
verdict line per metric) and the CSV (one row per comparison and metric)."""
from __future__ import annotations

import csv
import dataclasses

from common.audio.metrics import METRICS
from common.evaluation import paired, tables
from common.evaluation.aggregate import LABELS
from common.evaluation.configurations import Configuration, differences
from common.evaluation.paired import MetricComparison
from common.evaluation.run_scores import same_test_set
from common.evaluation.tables import cell

NOISY = "its noisy input"
SAYS = {1: "better", -1: "worse", 0: "no detectable difference"}


@dataclasses.dataclass
class Comparison:
    a: Configuration
    b: Configuration | None  # None: A's noisy input (the Noisy rows of its runs)
    results: list[MetricComparison]

    @property
    def b_name(self) -> str:
        return self.b.name if self.b else NOISY


def versus(a: Configuration, b: Configuration | None, alpha: float = paired.ALPHA,
           resamples: int = paired.RESAMPLES) -> Comparison:
    """A vs B, or vs A's noisy input (b None); UserError unless B was scored on A's test set."""
    if b is not None:
        same_test_set(a.runs + b.runs)
    scores_b = {m: b.per_file(m) if b else a.noisy_per_file(m) for m in METRICS}
    return Comparison(a, b, paired.compare({m: a.per_file(m) for m in METRICS}, scores_b, alpha, resamples))


def _std(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def verdict_lines(c: Comparison) -> list[str]:
    return [paired.verdict(r, c.a.name, c.b_name) for r in c.results]


def seed_caveat(c: Comparison) -> str | None:
    """A warning when, on some metric with a verdict, a configuration's std over seeds is at least |Δ|: the test
    resamples files, not seeds, so another seed could undo that verdict (None: no such metric)."""
    shaky = []
    for r in c.results:
        spreads = [(x.name, x.seed_std(r.metric)) for x in (c.a, c.b) if x is not None]
        wide = [f"{name} {std:.4f}" for name, std in spreads if std is not None and std >= abs(r.delta)]
        if r.direction and wide:
            shaky.append(f"{LABELS[r.metric]} (|Δ| {abs(r.delta):.4f}; std over seeds: {', '.join(wide)})")
    if not shaky:
        return None
    return ("Caution: the seeds differ by as much as the verdict on " + "; ".join(shaky) + ". The interval and "
            "the test resample files, not seeds: more seeds would tell whether these verdicts hold.")


def markdown(configs: list[Configuration], comparisons: list[Comparison], alpha: float, resamples: int) -> str:
    lines = ["Configurations (runs whose flags.json differ only in the seed are seeds of one): per metric the mean "
             "over files, checkpoints and seeds, and in brackets its spreads: the std over checkpoints of their "
             "means over files (averaged over the seeds), the std over seeds of their means (— for one).", ""]
    lines += tables.markdown(
        ["configuration", "runs", "seeds", "checkpoints", "files", *(LABELS[m] for m in METRICS)],
        [[c.name, ", ".join(r.path for r in c.runs), ", ".join("unseeded" if s is None else str(s) for s in c.seeds),
          ", ".join(str(len(r.checkpoints)) for r in c.runs), len(c.files),
          *(f"{c.per_file(m).mean():.4f} ({_std(c.checkpoint_std(m))}, {_std(c.seed_std(m))})" for m in METRICS)]
         for c in configs])
    for c in comparisons:
        differ = differences(c.a, c.b) if c.b else []
        lines += ["", f"## A: {c.a.name} vs B: {c.b_name} ({len(c.a.files)} files"
                  + (f"; B differs in {', '.join(differ)})" if differ else ")"), ""]
        lines += tables.markdown(
            ["metric", "mean A", "mean B", "Δ (A − B)", f"{paired.CONFIDENCE:.0%} CI", "p", "Holm p", "verdict"],
            [[LABELS[r.metric], cell(r.mean_a), cell(r.mean_b), cell(r.delta, sign=True), paired.interval_text(r),
              paired.p_text(r.p), paired.p_text(r.p_holm), ("A " if r.direction else "") + SAYS[r.direction]]
             for r in c.results])
        lines += [""] + [f"- {line}" for line in verdict_lines(c)]
        if caveat := seed_caveat(c):
            lines += ["", caveat]
    lines += ["", f"Δ: A − B per file, averaged over the files (higher is better for every metric); CI: percentile "
              f"bootstrap over files ({resamples} resamples, seed {paired.BOOTSTRAP_SEED}); p: two-sided Wilcoxon "
              f"signed-rank test over files; Holm p: p adjusted over the {len(METRICS)} metrics (Holm). A is better "
              f"or worse than B when Holm p < {alpha} and the CI excludes 0; otherwise no detectable difference."]
    return "\n".join(lines) + "\n"


def write_csv(path: str, comparisons: list[Comparison]) -> None:
    """One row per comparison and metric: the means, Δ, its interval, p, Holm p, the verdict and the spreads."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b", "metric", "n_files", "mean_a", "mean_b", "delta", "ci_low", "ci_high", "p", "p_holm",
                    "verdict", "a_std_checkpoints", "a_std_seeds", "b_std_checkpoints", "b_std_seeds"])
        for c in comparisons:
            for r in c.results:
                spreads = [(x.checkpoint_std(r.metric), x.seed_std(r.metric)) if x else (None, None)
                           for x in (c.a, c.b)]
                w.writerow([c.a.name, c.b_name, r.metric, len(c.a.files),
                            *(f"{v:.6f}" for v in (r.mean_a, r.mean_b, r.delta, r.low, r.high)),
                            f"{r.p:.6g}", f"{r.p_holm:.6g}", SAYS[r.direction],
                            *("" if v is None else f"{v:.6f}" for pair in spreads for v in pair)])
