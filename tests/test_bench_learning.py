"""The learning benchmark end to end with a tiny model: both configurations stopped by the time cap,
every checkpoint scored beside the noisy input, the table, the CSV and the plot."""
import csv
import math
import os
import subprocess
import sys

import pytest

from tests.conftest import TINY_MODEL

pytestmark = pytest.mark.slow  # two 30-second trainings, then every checkpoint enhanced and scored
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_learning_benchmark_scores_every_checkpoint(demo_dir, tiny_records, tmp_path):
    out = tmp_path / "bench"
    minutes = 0.5
    flags = " ".join([*TINY_MODEL, "--batch_size", "2", "--save_freq", "10"])
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench", "learning.py"), "--data", str(demo_dir),
                          "--records", str(tiny_records), "--out", str(out), "--minutes", str(minutes),
                          "--flags", flags, "--matmul_size", "256"],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.count("stopped after 0.5 min") == 2
    with open(out / "learning.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["config"] == "noisy" and not rows[0]["iteration"]
    for name in ("quick", "paper"):
        mine = [r for r in rows if r["config"] == name]
        steps = [int(r["iteration"]) for r in mine]
        # every 10th iteration, and where the time cap's SIGINT stopped it (a save at the current iteration)
        assert steps and steps == sorted(set(steps)) and all(s % 10 == 0 for s in steps[:-1]), steps
        walls = [float(r["wall_s"]) for r in mine]
        # stopped by the cap: its last save may take tens of seconds on a loaded machine (49.9 s seen in CI)
        assert walls == sorted(walls) and 0 < walls[-1] < minutes * 60 + 60
        assert all(math.isfinite(float(r[m])) for r in mine for m in ("pesq", "ssnr", "stoi"))
        assert int(mine[0]["windows"]) == 2 * 2 * steps[0]  # two batches of 2 per iteration
        assert len(os.listdir(out / name / "enhanced" / str(steps[-1]))) == 4
    assert "% of the fp32 matmul rate" in (out / "learning.md").read_text()
    assert (out / "learning.png").stat().st_size > 20_000


def test_a_single_checkpoint_gives_no_rate_and_says_why():
    from scripts.bench.learning import throughput

    saved = {"training": {"batch_size": 2, "replicas": 1, "adv_weight": 1.0}}
    line = throughput("paper", [{"iteration": 1, "wall_s": 0.7}], saved, 1e11)
    assert "one checkpoint only" in line and "%" not in line
