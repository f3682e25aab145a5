"""The papers' claims as paired comparisons of the configurations present (common/evaluation/paired_report.py):
each claim names configuration A, configuration B and what the paper says of A against B (docs/design.md §12);
a claim is tested when both have scored runs on one test set, and is otherwise listed with what is missing."""
from __future__ import annotations

import dataclasses

from common.audio.metrics import METRICS
from common.evaluation import paired, paired_report, run_scores
from common.evaluation.configurations import Configuration
from common.evaluation.paired_report import Comparison
from common.system.errors import UserError

STAGES = (2, 3, 4)
IMPROVES = "better on every metric"  # what "improves across the objective metrics" predicts of each metric
NOT_WORSE = "not worse on any metric"  # "bridges the gap": no metric where A is detectably worse


@dataclasses.dataclass(frozen=True)
class Claim:
    a: str
    b: str
    says: str  # the paper's statement, in our words
    predicts: str  # IMPROVES or NOT_WORSE
    footprint: bool = False  # the generators' sizes belong beside the verdict


CLAIMS = (
    Claim("SASEGAN", "SEGAN", "self-attention in SEGAN improves it (SASEGAN, ICASSP 2021)", IMPROVES),
    *(Claim(f"ISEGAN-SA-{n}", f"ISEGAN-{n}", "self-attention improves ISEGAN across the objective metrics",
            IMPROVES) for n in STAGES),
    *(Claim(f"DSEGAN-SA-{n}", f"DSEGAN-{n}", "self-attention improves DSEGAN across the objective metrics",
            IMPROVES) for n in STAGES),
    *(Claim(f"ISEGAN-SA-{n}", f"DSEGAN-{n}", "ISEGAN with self-attention closes the gap to DSEGAN with a smaller "
            "generator", NOT_WORSE, footprint=True) for n in STAGES),
)


@dataclasses.dataclass
class Tested:
    claim: Claim
    comparison: Comparison | None  # None: not testable
    why_not: str = ""

    def reading(self) -> str:
        """Whether the verdicts bear the claim out, metric by metric."""
        results = self.comparison.results
        better = [r.metric for r in results if r.direction > 0]
        worse = [r.metric for r in results if r.direction < 0]
        upheld = len(better) == len(results) if self.claim.predicts == IMPROVES else not worse
        counts = f"A better on {len(better)}, worse on {len(worse)}, no detectable difference on " \
                 f"{len(results) - len(better) - len(worse)} of {len(results)} metrics"
        return f"{'supported' if upheld else 'not supported'} (the claim predicts A {self.claim.predicts}; {counts})"


def tested_claims(members: dict[str, list[str]]) -> list[Tested]:
    """Each claim whose configurations both appear in `members` ({configuration: its scored run directories,
    its seeds}), tested; the others are left out. UserError of a run (its per-file scores unreadable, another
    test set) makes that claim untestable, with the reason."""
    loaded: dict[str, Configuration | str] = {}

    def configuration(name: str) -> Configuration | str:
        if name not in loaded:
            try:
                loaded[name] = Configuration(name, [run_scores.load_run(path) for path in members[name]])
            except UserError as e:
                loaded[name] = str(e)
        return loaded[name]

    out = []
    for claim in CLAIMS:
        if not (members.get(claim.a) and members.get(claim.b)):
            continue
        a, b = configuration(claim.a), configuration(claim.b)
        problem = next((x for x in (a, b) if isinstance(x, str)), None)
        if problem is None:
            try:
                out.append(Tested(claim, paired_report.versus(a, b)))
                continue
            except UserError as e:
                problem = str(e)
        out.append(Tested(claim, None, problem))
    return out


def untestable(present: set[str]) -> list[Claim]:
    """The claims that the configurations `present` (with scored runs) cannot test."""
    return [c for c in CLAIMS if not (c.a in present and c.b in present)]


def markdown(tested: list[Tested], present: set[str], g_params: dict[str, int]) -> list[str]:
    """The claims section under the table: per tested claim its runs, the reading and a verdict per metric."""
    lines = ["", "## The papers' claims, tested", ""]
    if not tested:
        return lines + ["No claim can be tested: no two configurations of a claim both have scored runs (below)."]
    lines += ["Paired over the test files: per file the mean over each configuration's checkpoints and seeds; Δ = A − B "
              f"with a {paired.CONFIDENCE:.0%} bootstrap interval over files, Wilcoxon signed-rank p with "
              f"Holm's correction over the {len(METRICS)} metrics of each claim (not across claims); "
              "docs/metrics.md §12."]
    for t in tested:
        head = f"### A: {t.claim.a} vs B: {t.claim.b}: {t.claim.says}"
        if t.comparison is None:
            lines += ["", head, "", f"Not tested: {t.why_not}"]
            continue
        c = t.comparison
        sizes = (f"; G parameters {g_params[t.claim.a] / 1e6:.2f} M vs {g_params[t.claim.b] / 1e6:.2f} M"
                 if t.claim.footprint and t.claim.a in g_params and t.claim.b in g_params else "")
        runs = f"{len(c.a.runs)} vs {len(c.b.runs)} seed(s), {len(c.a.files)} files{sizes}"
        lines += ["", head, "", f"{runs}: {t.reading()}.", ""]
        lines += [f"- {line}" for line in paired_report.verdict_lines(c)]
        if caveat := paired_report.seed_caveat(c):
            lines += ["", caveat]
    missing = untestable(present)
    if missing:
        lines += ["", "Not testable from these runs (a configuration without scored runs): "
                  + "; ".join(f"{c.a} vs {c.b}" for c in missing) + "."]
    return lines


def comparisons(tested: list[Tested]) -> list[Comparison]:
    return [t.comparison for t in tested if t.comparison is not None]
