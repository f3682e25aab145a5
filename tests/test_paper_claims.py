"""The seeds of a configuration as one row of scripts/paper_table.py, and the papers' claims tested under the table
(common/evaluation/paper_claims.py), on scored run directories (tests/fake_runs.py)."""
import csv
import json
import os

import numpy as np
import pytest

from common.evaluation import paired_report, paper_claims
from common.evaluation.configurations import Configuration
from common.evaluation.paired import MetricComparison
from common.evaluation.run_scores import load_run
from scripts import compare_runs, paper_table
from tests.fake_runs import two_configurations

EFFECT = {"pesq": 0.3, "csig": 0.4, "cbak": 0.3, "covl": 0.3, "ssnr": 2.0, "stoi": 0.03}  # A better on all six


def table(root, tmp_path):
    """paper_table's markdown, its rows and the claims' rows (CSV)."""
    out = {k: tmp_path / f"out.{k}" for k in ("md", "csv", "claims")}
    assert paper_table.main(["--runs_root", str(root), "--markdown", str(out["md"]), "--csv", str(out["csv"]),
                             "--claims_csv", str(out["claims"]), "--jobs", "1"]) == 0

    def rows(path):
        with open(path) as f:
            return list(csv.DictReader(f))
    return out["md"].read_text(), {r["model"]: r for r in rows(out["csv"]) if r["kind"] == "ours"}, rows(out["claims"])


def seed_means(path, metric):
    return load_run(path).scores[metric].mean()


def test_seeds_make_one_row_and_the_claim_is_tested_as_compare_runs_would(tmp_path, rng):
    root = tmp_path / "runs"
    paths = two_configurations(root, rng, EFFECT, seeds=(0, 1, 2))
    md, rows, claims = table(root, tmp_path)
    assert list(rows) == ["ISEGAN-2", "ISEGAN-SA-2"]  # the paper's order, one row per configuration
    for name, key in (("ISEGAN-SA-2", "A"), ("ISEGAN-2", "B")):
        means = [seed_means(paths[f"{key}{s}"], "pesq") for s in (0, 1, 2)]
        row = rows[name]
        assert row["seeds"] == "3" and row["std_over"] == "seeds" and row["checkpoints"] == "9"
        assert float(row["pesq"]) == pytest.approx(np.mean(means), abs=1e-6)
        assert float(row["pesq_std"]) == pytest.approx(np.std(means, ddof=1), abs=1e-6)
        assert f"| {name} (3 seeds) |" in md
    assert "### A: ISEGAN-SA-2 vs B: ISEGAN-2: self-attention improves ISEGAN" in md
    assert "3 vs 3 seed(s), 30 files: supported (the claim predicts A better on every metric; A better on 6" in md
    assert "- ISEGAN-SA-2 better than ISEGAN-2 on PESQ: " in md
    assert "Not testable from these runs" in md and "SASEGAN vs SEGAN" in md
    # the same numbers as scripts/compare_runs.py on the same six runs
    compare_runs.main([paths[k] for k in ("A0", "A1", "A2", "B0", "B1", "B2")] + ["--csv", str(tmp_path / "c.csv")])
    with open(tmp_path / "c.csv") as f:
        direct = list(csv.DictReader(f))
    assert len(claims) == 6 and [r["a"] for r in claims] == ["ISEGAN-SA-2"] * 6
    for mine, theirs in zip(claims, direct):
        assert {k: mine[k] for k in ("metric", "delta", "ci_low", "ci_high", "p_holm", "verdict")} == \
               {k: theirs[k] for k in ("metric", "delta", "ci_low", "ci_high", "p_holm", "verdict")}


def test_equal_configurations_do_not_support_an_improvement_claim(tmp_path, rng):
    root = tmp_path / "runs"
    two_configurations(root, rng, {}, seeds=(0, 1))
    md, _, claims = table(root, tmp_path)
    assert "not supported (the claim predicts A better on every metric; A better on 0, worse on 0" in md
    assert {r["verdict"] for r in claims} == {"no detectable difference"}


def test_a_seed_that_is_not_its_name_or_differs_in_more_than_the_seed_is_left_out(tmp_path, rng):
    root = tmp_path / "runs"
    paths = two_configurations(root, rng, EFFECT, seeds=(0, 1, 2))

    def edit(path, **training):
        flags = json.loads(open(os.path.join(path, "flags.json")).read())
        flags["training"].update(training)
        with open(os.path.join(path, "flags.json"), "w") as f:
            json.dump(flags, f)
    edit(paths["A2"], seed=7)  # named seed 2
    edit(paths["B2"], preemph=0.5)  # another recipe, not another seed
    md, rows, _ = table(root, tmp_path)
    assert "- ISEGAN-SA-2-seed2: its flags.json records seed 7, not 2" in md
    assert "- ISEGAN-2-seed2: differs from ISEGAN-2-seed0 in more than the seed (preemph: 0.95 vs 0.5)" in md
    assert rows["ISEGAN-SA-2"]["seeds"] == rows["ISEGAN-2"]["seeds"] == "2"
    assert "| ISEGAN-SA-2 (2 seeds) |" in md


def test_an_unscored_seed_is_counted_and_a_claim_over_other_test_sets_is_not_tested(tmp_path, rng):
    root = tmp_path / "runs"
    paths = two_configurations(root, rng, EFFECT, seeds=(0, 1))
    os.remove(os.path.join(paths["A1"], "results.json"))
    with open(os.path.join(paths["B0"], "results.json")) as f:
        summary = json.load(f)
    summary["test_set"] = "ffffffffffffffff"  # same names, other clean audio
    with open(os.path.join(paths["B0"], "results.json"), "w") as f:
        json.dump(summary, f)
    md, rows, claims = table(root, tmp_path)
    assert "| ISEGAN-SA-2 (1 of 2 seeds scored) |" in md and rows["ISEGAN-SA-2"]["std_over"] == "checkpoints"
    assert "ISEGAN-SA-2-seed1: no results.json (not evaluated yet)" in md
    assert "Not tested: " in md and "different test sets" in md and claims == []


@pytest.mark.parametrize("directions,predicts,supported", [
    ((1,) * 6, paper_claims.IMPROVES, True), ((1, 1, 1, 1, 1, 0), paper_claims.IMPROVES, False),
    ((0,) * 6, paper_claims.NOT_WORSE, True), ((1, 0, 0, 0, 0, -1), paper_claims.NOT_WORSE, False)])
def test_a_claim_is_read_from_the_verdicts_as_it_predicts(directions, predicts, supported):
    results = [MetricComparison(m, 0, 0, 0, 0, 0, 1, 1, d) for m, d in zip("abcdef", directions)]
    comparison = paired_report.Comparison(Configuration("A", []), Configuration("B", []), results)
    claim = paper_claims.Claim("A", "B", "says", predicts)
    assert paper_claims.Tested(claim, comparison).reading().startswith("supported" if supported else "not supported")


def test_every_claim_names_two_paper_configurations():
    from common.config.named_configs import PAPER_CONFIGS
    assert all(c.a in PAPER_CONFIGS and c.b in PAPER_CONFIGS and c.a != c.b for c in paper_claims.CLAIMS)
    assert len({(c.a, c.b) for c in paper_claims.CLAIMS}) == len(paper_claims.CLAIMS) == 10


def test_a_verdict_that_the_seeds_spread_could_undo_is_flagged():
    from types import SimpleNamespace

    def config(name, stds):
        return SimpleNamespace(name=name, seed_std=lambda metric: stds.get(metric))
    results = [MetricComparison("pesq", 0, 0, 0.10, 0, 0, 0, 0.01, 1), MetricComparison("stoi", 0, 0, 0.02, 0, 0, 0, 0.01, 1),
               MetricComparison("ssnr", 0, 0, 0.50, 0, 0, 0, 0.30, 0)]
    a, b = config("A", {"pesq": 0.05, "stoi": 0.001, "ssnr": 2.0}), config("B", {"pesq": 0.02, "stoi": 0.04})
    caveat = paired_report.seed_caveat(paired_report.Comparison(a, b, results))
    assert caveat.startswith("Caution: the seeds differ by as much as the verdict on STOI (|Δ| 0.0200; std over "
                             "seeds: B 0.0400).")  # not PESQ (spread below |Δ|), not SSNR (no verdict)
    assert paired_report.seed_caveat(paired_report.Comparison(a, None, results[:1])) is None
