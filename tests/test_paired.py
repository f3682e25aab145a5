"""Paired comparisons of runs (common/evaluation/paired.py and the modules it reads runs with): the statistics
against scipy and a hand-worked Holm example, the bootstrap interval's coverage, the verdicts, the grouping of
seeds into configurations and their spreads, and the refusals (other test sets, incomplete results)."""
import json
import shutil

import numpy as np
import pytest
from scipy import stats

from common.audio import audio
from common.audio.metrics import METRICS
from common.evaluation import configurations, paired, paired_report, run_scores, scoring
from common.system.errors import UserError
from tests import conftest
from tests.fake_runs import FILES, scores_like, write_run


def test_mean_and_wilcoxon_p_are_scipy_s(rng):
    a, b = scores_like(rng, 40), scores_like(rng, 40, shift=0.2)
    a["cbak"] = b["cbak"].copy()
    a["cbak"][:5] += 0.1  # 35 zero differences: dropped by the signed-rank test
    for r in paired.compare(a, b, resamples=1000):
        delta = a[r.metric] - b[r.metric]
        assert r.delta == pytest.approx(np.mean(delta), abs=1e-12)
        assert (r.mean_a, r.mean_b) == pytest.approx((np.mean(a[r.metric]), np.mean(b[r.metric])))
        assert r.p == pytest.approx(stats.wilcoxon(delta, alternative="two-sided").pvalue, rel=1e-12)
    assert paired.wilcoxon_p(np.zeros(10)) == 1.0


def test_holm_against_a_hand_worked_example():
    # sorted: 0.005·6 = 0.03, 0.01·5 = 0.05, 0.02·4 = 0.08, 0.03·3 = 0.09, 0.04·2 = 0.08 → 0.09 (monotone), 0.5·1
    p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.02]
    assert paired.holm(p) == pytest.approx([0.05, 0.09, 0.09, 0.03, 0.5, 0.08])
    assert paired.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])  # 1.2 capped; 0.7 raised to the cap before it
    assert paired.holm([0.3, 0.9]) == pytest.approx([0.6, 0.9])
    assert paired.holm([0.02]) == pytest.approx([0.02])


def test_a_verdict_needs_both_the_holm_adjusted_p_and_the_interval():
    a = {m: np.zeros(30) for m in METRICS}
    a["pesq"] = np.r_[-3.0, np.full(29, 0.1)]  # ranks say A is better (p 2.6e-6), the mean (-0.003) does not
    a["csig"] = np.arange(1, 31) / 100
    a["csig"][:15] *= -1  # p 0.0197 and an interval above 0, but five metrics with larger p: Holm p 0.098
    results = paired.compare(a, {m: np.zeros(30) for m in METRICS})
    pesq, csig = results[:2]
    assert pesq.p_holm < 1e-4 and pesq.low < 0 < pesq.high and pesq.direction == 0
    assert csig.p < 0.05 <= csig.p_holm and csig.low > 0 and csig.direction == 0
    assert [r.p_holm for r in results] == pytest.approx(paired.holm([r.p for r in results]))
    assert paired.verdict(csig, "A", "B") == "no detectable difference on CSIG: +0.0750 [+0.0173, +0.1310], Holm " \
                                             "p = 0.0983"


def test_the_95_percent_bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time(rng):
    """400 cases of 30 files with Δ ~ N(0.3, 1): one column each, bootstrapped together (2000 resamples).
    Observed: 377 of 400 covered (94.2 %); the percentile interval is a little short at n = 30."""
    cases, true_mean = 400, 0.3
    deltas = true_mean + rng.standard_normal((30, cases))
    low, high = paired.bootstrap_interval(deltas, resamples=2000)
    covered = int(np.sum((low <= true_mean) & (true_mean <= high)))
    print(f"bootstrap coverage: {covered} of {cases}")
    assert 0.91 * cases <= covered <= 0.98 * cases


def test_the_interval_is_the_same_every_time(rng):
    deltas = rng.standard_normal((25, 2))
    assert np.array_equal(paired.bootstrap_interval(deltas, 3000), paired.bootstrap_interval(deltas, 3000))


def test_identical_inputs_show_no_detectable_difference(rng):
    a = scores_like(rng)
    results = paired.compare(a, {m: v.copy() for m, v in a.items()})
    assert [r.direction for r in results] == [0] * len(METRICS)
    assert all(r.p == r.p_holm == 1.0 and r.low == r.high == r.delta == 0.0 for r in results)
    lines = [paired.verdict(r, "A", "B") for r in results]
    assert lines[0] == "no detectable difference on PESQ: +0.0000 [+0.0000, +0.0000], Holm p = 1.00"
    assert all(line.startswith("no detectable difference on ") for line in lines)


def test_p_is_printed_with_sensible_precision():
    assert [paired.p_text(p) for p in (1e-9, 0.0009999, 0.001, 0.04962, 0.41, 1.0)] == \
        ["< 0.001", "< 0.001", "0.001", "0.0496", "0.41", "1.00"]


def test_a_clearly_enhanced_run_beats_its_noisy_input_and_the_reverse_is_worse(tmp_path, rng):
    noisy = scores_like(rng)
    enhanced = [{m: v + 0.3 * np.abs(v).mean() + 0.05 * rng.standard_normal(len(v)) for m, v in noisy.items()}
                for _ in range(3)]
    [config] = configurations.group([run_scores.load_run(str(write_run(tmp_path, "R", enhanced, noisy)))])
    comparison = paired_report.versus(config, None)
    assert all(r.direction == 1 and r.delta > 0 and r.low > 0 and r.p_holm < 0.001 for r in comparison.results)
    assert paired_report.verdict_lines(comparison)[0].startswith("R better than its noisy input on PESQ: +0.")
    worse = paired.compare({m: config.noisy_per_file(m) for m in METRICS}, {m: config.per_file(m) for m in METRICS})
    assert all(r.direction == -1 and r.delta < 0 and r.high < 0 for r in worse)
    assert paired.verdict(worse[-1], "Noisy", "R").startswith("Noisy worse than R on STOI: -0.")


def test_results_are_read_back_per_checkpoint_and_file(tmp_path, rng):
    checkpoints, noisy = [scores_like(rng) for _ in range(2)], scores_like(rng)
    run = run_scores.load_run(str(write_run(tmp_path, "R", checkpoints, noisy)))
    assert run.files == FILES and run.checkpoints == ["100", "200"] and run.test_set
    for m in METRICS:
        assert run.scores[m] == pytest.approx(np.stack([c[m] for c in checkpoints]), abs=5e-7)  # 6 decimals
        assert run.noisy[m] == pytest.approx(noisy[m], abs=5e-7)
    single = run_scores.load_run(str(write_run(tmp_path, "S", checkpoints[:1])))  # a CSV without a dir column
    assert single.noisy is None and single.scores["pesq"].shape == (1, len(FILES))


def test_seeds_group_into_a_configuration_with_its_spreads(tmp_path, rng):
    def run(name, seed, attention=True):
        return run_scores.load_run(str(write_run(tmp_path, name, [scores_like(rng) for _ in range(3)], seed=seed,
                                                 attention=attention)))

    runs = [run("SA-seed0", 0), run("plain-seed0", 0, False), run("SA-seed1", 1), run("plain-seed1", 1, False)]
    a, b = configurations.group(runs)
    assert (a.name, b.name) == ("SA", "plain") and a.runs == runs[0::2] and a.seeds == [0, 1]
    pesq = np.stack([r.scores["pesq"] for r in a.runs])  # seeds × checkpoints × files
    assert a.per_file("pesq") == pytest.approx(pesq.mean(axis=(0, 1)))
    assert a.checkpoint_std("pesq") == pytest.approx(np.mean(np.std(pesq.mean(axis=2), axis=1, ddof=1)))
    assert a.seed_std("pesq") == pytest.approx(np.std(pesq.mean(axis=(1, 2)), ddof=1))
    assert configurations.Configuration("one", runs[:1]).seed_std("pesq") is None
    assert configurations.differences(a, b) == ["self_attention: True vs False"]
    with pytest.raises(UserError, match="given more than once"):
        configurations.group([runs[0], runs[0]])


def test_the_save_path_and_data_path_are_no_part_of_a_configuration(tmp_path, rng):
    run = run_scores.load_run(str(write_run(tmp_path, "R", [scores_like(rng)], seed=3)))
    moved = json.loads(json.dumps(run.flags))
    moved["flags"]["save_path"], moved["dataset"]["path"] = "/elsewhere/R", "/elsewhere/segan.tfrecords"
    moved["training"]["seed"] = 4
    assert configurations.identity(moved) == configurations.identity(run.flags)
    moved["dataset"]["digest"] = "ffffffffffffffff"  # records rebuilt from other audio
    assert configurations.identity(moved) != configurations.identity(run.flags)


def test_a_configuration_is_named_by_its_runs():
    assert configurations.common_name(["ISEGAN-SA-2-seed0", "ISEGAN-SA-2-seed1"]) == "ISEGAN-SA-2"
    assert configurations.common_name(["ISEGAN-SA-2_s1", "ISEGAN-SA-2_s2"]) == "ISEGAN-SA-2"
    assert configurations.common_name(["ISEGAN-SA-2", "ISEGAN-SA-2-seed1"]) == "ISEGAN-SA-2"
    assert configurations.common_name(["run1", "run2"]) == "run1"
    assert configurations.common_name(["solo"]) == "solo"


def test_runs_scored_on_different_test_sets_are_refused(tmp_path, rng):
    checkpoints = [scores_like(rng)]
    a = run_scores.load_run(str(write_run(tmp_path, "A", checkpoints)))
    other_names = FILES[3:] + ["p999_001.wav", "p999_002.wav", "p999_003.wav"]
    b = run_scores.load_run(str(write_run(tmp_path, "B", checkpoints, files=other_names)))
    with pytest.raises(UserError, match=r"A and .*B were scored on different test sets: 3 file\(s\) only in .*A "
                                        r"\(p232_001.wav, p232_002.wav, p232_003.wav\); 3 file\(s\) only in .*B"):
        run_scores.same_test_set([a, b])
    c = run_scores.load_run(str(write_run(tmp_path, "C", checkpoints, test_set="ffffffffffffffff")))
    with pytest.raises(UserError, match="same file names, different clean audio"):
        run_scores.same_test_set([a, c])
    with pytest.raises(UserError, match="different clean audio"):  # seeds of one configuration too
        configurations.group([a, c])
    older = run_scores.load_run(str(write_run(tmp_path, "D", checkpoints, test_set=None)))
    run_scores.same_test_set([a, older])  # names only
    with pytest.raises(UserError, match=f"{a.path} and {c.path} .* different clean audio"):  # not via `older`
        run_scores.same_test_set([older, a, c])
    assert run_scores.names_only([a, older]) == [f"{older.path}/results.json records no test_set (an older "
                                                 "scripts/evaluate.py): its test set is compared by file names "
                                                 "only, not by content"]


def test_incomplete_missing_and_mismatched_results_are_refused(tmp_path, rng):
    checkpoints = [scores_like(rng) for _ in range(2)]
    run = write_run(tmp_path, "R", checkpoints, missing=FILES[:2])
    with pytest.raises(UserError, match=r"R: incomplete results \(.*R/enhanced/200 scored 28/30 files\)"):
        run_scores.load_run(str(run))
    stale = write_run(tmp_path, "S", checkpoints)
    shutil.copy(write_run(tmp_path, "T", checkpoints[::-1]) / "results.csv", stale / "results.csv")
    with pytest.raises(UserError, match="S/results.csv does not hold the scores of .* that .* reports"):
        run_scores.load_run(str(stale))
    (stale / "results.csv").unlink()
    with pytest.raises(UserError, match="S/results.csv: no such file"):
        run_scores.load_run(str(stale))
    alone = configurations.group([run_scores.load_run(str(write_run(tmp_path, "U", checkpoints)))])[0]
    with pytest.raises(UserError, match="no Noisy row"):
        paired_report.versus(alone, None)


def test_the_test_set_digest_follows_names_and_content(tmp_path):
    for name, data in (("a.wav", b"one"), ("b.wav", b"two")):
        (tmp_path / name).write_bytes(data)
    files = scoring.wav_files(str(tmp_path))
    digest = scoring.set_digest(files)
    assert len(digest) == 16 and scoring.set_digest(dict(reversed(files.items()))) == digest
    (tmp_path / "b.wav").write_bytes(b"TWO")
    assert scoring.set_digest(files) != digest
    (tmp_path / "b.wav").rename(tmp_path / "c.wav")
    assert scoring.set_digest(scoring.wav_files(str(tmp_path))) not in (digest, None)
    assert scoring.set_digest({**files, "gone.wav": str(tmp_path / "gone.wav")}) is None


def test_the_evaluation_records_its_test_set(tmp_path):
    for d in ("clean", "noisy"):
        (tmp_path / d).mkdir()
    for i, name in enumerate(("p900_001.wav", "p900_002.wav")):
        x = conftest.speech(1.5, 10 + i)
        audio.write_wav(tmp_path / "clean" / name, audio.to_int16(x))
        audio.write_wav(tmp_path / "noisy" / name, conftest.noisy(x, 5.0).astype(np.float32))
    summary, _ = scoring.score_dirs(str(tmp_path / "clean"), [str(tmp_path / "noisy")])
    assert summary["test_set"] == scoring.set_digest(scoring.wav_files(str(tmp_path / "clean"))) is not None
    assert "test_set" in summary["definitions"]
