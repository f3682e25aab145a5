"""scripts/compare_runs.py end to end on scored run directories (tests/fake_runs.py): two configurations of two
seeds each, grouped by their flags.json; the printed verdicts, the markdown and CSV files; --noisy; the errors."""
import csv

import pytest

from scripts import compare_runs
from tests.fake_runs import scores_like, two_configurations, write_run

# A − B per metric: PESQ clearly better, SSNR clearly worse, the others the same up to checkpoint noise
EFFECT = {"pesq": 0.2, "csig": 0.0, "cbak": 0.0, "covl": 0.0, "ssnr": -1.5, "stoi": 0.0}


@pytest.fixture
def runs(tmp_path, rng):
    """root/ISEGAN-SA-2-seed{0,1} (A) and root/ISEGAN-2-seed{0,1} (B), three checkpoints each, with the Noisy row."""
    return two_configurations(tmp_path / "runs", rng, EFFECT)


def test_two_configurations_of_two_seeds(runs, tmp_path, capsys):
    md, table = tmp_path / "out.md", tmp_path / "out.csv"
    assert compare_runs.main([runs["A0"], runs["B0"], runs["A1"], runs["B1"], "--markdown", str(md),
                              "--csv", str(table), "--resamples", "2000"]) == 0
    out = capsys.readouterr().out
    assert out == md.read_text()
    assert f"| ISEGAN-SA-2 | {runs['A0']}, {runs['A1']} | 0, 1 | 3, 3 | 30 |" in out
    assert f"| ISEGAN-2 | {runs['B0']}, {runs['B1']} | 0, 1 | 3, 3 | 30 |" in out
    assert "## A: ISEGAN-SA-2 vs B: ISEGAN-2 (30 files; B differs in self_attention: True vs False)" in out
    verdicts = [line[2:] for line in out.splitlines() if line.startswith("- ")]
    assert verdicts[0].startswith("ISEGAN-SA-2 better than ISEGAN-2 on PESQ: +0.2")
    assert verdicts[4].startswith("ISEGAN-SA-2 worse than ISEGAN-2 on SSNR: -1.5")
    assert [v.split(":")[0] for i, v in enumerate(verdicts) if i not in (0, 4)] == \
        [f"no detectable difference on {m}" for m in ("CSIG", "CBAK", "COVL", "STOI")]
    with open(table) as f:
        rows = list(csv.DictReader(f))
    assert [(r["a"], r["b"], r["metric"], r["verdict"]) for r in rows][:2] == [
        ("ISEGAN-SA-2", "ISEGAN-2", "pesq", "better"), ("ISEGAN-SA-2", "ISEGAN-2", "csig", "no detectable difference")]
    assert all(r["n_files"] == "30" and r["a_std_seeds"] and r["b_std_checkpoints"] for r in rows)
    assert float(rows[0]["ci_low"]) > 0 > float(rows[4]["ci_high"])


def test_noisy_compares_each_configuration_with_its_input(runs, capsys):
    assert compare_runs.main([runs["A0"], runs["A1"], runs["B0"], "--noisy", "--resamples", "2000"]) == 0
    out = capsys.readouterr().out
    assert "## A: ISEGAN-SA-2 vs B: its noisy input (30 files)" in out
    assert "## A: ISEGAN-2-seed0 vs B: its noisy input (30 files)" in out  # one run: named by it
    assert "ISEGAN-SA-2 better than its noisy input on PESQ: +" in out
    assert "ISEGAN-2-seed0 better than its noisy input on STOI: +" in out


def test_seeds_of_one_configuration_alone_are_refused_with_the_reason(runs):
    with pytest.raises(SystemExit, match="error: the 2 runs given are one configuration .ISEGAN-SA-2.: runs that "
                                         "differ only in their seed are seeds of one configuration"):
        compare_runs.main([runs["A0"], runs["A1"]])


def test_an_older_results_json_is_compared_by_names_with_a_warning(runs, tmp_path, rng, capsys):
    older = write_run(tmp_path, "older", [scores_like(rng)], seed=0, attention=False, test_set=None)
    assert compare_runs.main([runs["A0"], str(older), "--resamples", "500"]) == 0
    assert capsys.readouterr().err == (f"warning: {older}/results.json records no test_set (an older "
                                       "scripts/evaluate.py): its test set is compared by file names only, not by "
                                       "content\n")


def test_other_test_sets_are_refused(runs, tmp_path, rng):
    other = write_run(tmp_path, "other", [scores_like(rng)], seed=0, attention=False, test_set="ffffffffffffffff")
    with pytest.raises(SystemExit, match=r"^error: .*ISEGAN-SA-2-seed0 and .*other were scored on different test "
                                         r"sets: same file names, different clean audio"):
        compare_runs.main([runs["A0"], str(other)])
