"""SEEDS in the run scripts (scripts/run_lib.sh run_seeds): one run per seed, each named by
scripts/named_config.py --seed and trained with --seed, then the configuration over its scored seeds against the
noisy input (scripts/compare_runs.py --noisy). run_config is replaced by a stub that records its arguments; the
seeds' runs are scored run directories (tests/fake_runs.py)."""
import os
import subprocess

from tests.fake_runs import scores_like, write_run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_seeds(runs_dir, seeds: str) -> subprocess.CompletedProcess:
    script = 'source scripts/run_lib.sh; DEMO=1; run_config() { echo "run_config $*"; }; run_seeds "$1"'
    env = {**os.environ, "RUN_DIR": str(runs_dir), "SEEDS": seeds, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(["bash", "-c", script, "bash", "ISEGAN-SA-2"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_each_seed_is_a_run_then_the_seeds_are_summarised(tmp_path, rng):
    demo = tmp_path / "runs" / "demo"
    noisy = scores_like(rng)
    for seed in (2, 0):
        write_run(demo, f"ISEGAN-SA-2-seed{seed}", [scores_like(rng, shift=1.0) for _ in range(3)], noisy, seed=seed)
    out = run_seeds(tmp_path / "runs", "2 0 5")  # seed 5 trained but never scored: left out of the summary
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:3] == ["run_config ISEGAN-SA-2 ISEGAN-SA-2-seed2 2", "run_config ISEGAN-SA-2 ISEGAN-SA-2-seed0 0",
                         "run_config ISEGAN-SA-2 ISEGAN-SA-2-seed5 5"]
    assert lines[3] == "ISEGAN-SA-2 over 2 seed(s) against the noisy input:"
    summary = (demo / "ISEGAN-SA-2-seeds.md").read_text()
    assert lines[-1] == f"ISEGAN-SA-2 over its seeds: {demo / 'ISEGAN-SA-2-seeds.md'}"
    assert "| ISEGAN-SA-2 | " in summary and "| 2, 0 |" in summary  # one configuration of the two scored seeds
    assert "- ISEGAN-SA-2 better than its noisy input on PESQ: " in summary


def test_without_seeds_one_unseeded_run_and_no_summary(tmp_path):
    out = run_seeds(tmp_path / "runs", "")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["run_config ISEGAN-SA-2 ISEGAN-SA-2 "]
    assert not list(tmp_path.rglob("*-seeds.md"))
