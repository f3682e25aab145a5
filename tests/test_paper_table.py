"""scripts/paper_table.py on synthetic run directories."""
import csv
import dataclasses
import json
import os

import numpy as np
import pytest

from common import metrics
from common.model_config import tiny
from common.models import parameter_counts
from scripts import paper_table

PESQ = {"SEGAN": [2.0, 2.1, 2.2, 2.3, 2.4], "ISEGAN-SA-2": [2.5, 2.7, 2.6, 2.9, None]}  # None: nothing scored


def make_run(root, name, pesq=None):
    """A run directory with flags.json (a tiny model of that name) and, with `pesq`, a results.json."""
    run = root / name
    run.mkdir(parents=True)
    cfg = tiny(name.split("-L")[0])
    (run / "flags.json").write_text(json.dumps({"model": dataclasses.asdict(cfg)}))
    if pesq is not None:
        dirs = [{"dir": f"{run}/enhanced/{i}", "n_files": 0 if p is None else 4,
                 "mean": {m: None if p is None else (p if m == "pesq" else 0.5 + i) for m in metrics.METRICS},
                 "problems": {"missing": [{"file": "a.wav"}] * (4 if p is None else 0)}} for i, p in enumerate(pesq)]
        (run / "results.json").write_text(json.dumps({"dirs": dirs}))
    return cfg


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    cfgs = {name: make_run(root, name, pesq) for name, pesq in PESQ.items()}
    cfgs["DSEGAN-2"] = make_run(root, "DSEGAN-2")  # trained, not evaluated
    make_run(root, "SASEGAN-L3", [2.2] * 5)  # outside the paper's grid
    return root, cfgs


def table(root, tmp_path, *extra, noisy="none"):
    assert paper_table.main(["--run_dir", str(root), "--noisy_dir", str(noisy), "--clean_dir", str(noisy),
                             "--markdown", str(tmp_path / "t.md"), "--csv", str(tmp_path / "t.csv"), *extra]) == 0
    with open(tmp_path / "t.csv") as f:
        return (tmp_path / "t.md").read_text(), list(csv.DictReader(f))


def test_rows_statistics_parameters_and_gaps(runs, tmp_path):
    root, cfgs = runs
    md, rows = table(root, tmp_path)
    ours = [r for r in rows if r["kind"] == "ours"]
    assert [r["model"] for r in ours] == ["SEGAN", "ISEGAN-SA-2", "DSEGAN-2"]  # paper order, no ablation run
    by = {r["model"]: r for r in ours}
    for name, pesq in PESQ.items():
        scored = [p for p in pesq if p is not None]
        assert by[name]["checkpoints"] == str(len(scored))
        assert float(by[name]["pesq"]) == pytest.approx(np.mean(scored), abs=1e-6)
        assert float(by[name]["pesq_std"]) == pytest.approx(np.std(scored, ddof=1), abs=1e-6)
        assert int(by[name]["g_params"]) == parameter_counts(cfgs[name])[0]
    assert "4 checkpoint(s) scored, 5 expected" in by["ISEGAN-SA-2"]["notes_or_source"]
    assert "checkpoint 4: no file scored" in by["ISEGAN-SA-2"]["notes_or_source"]
    assert by["DSEGAN-2"]["pesq"] == "" and "not evaluated" in by["DSEGAN-2"]["notes_or_source"]
    assert int(by["DSEGAN-2"]["g_params"]) == parameter_counts(cfgs["DSEGAN-2"])[0]
    assert "| DSEGAN-2 | — |" in md and "| SEGAN | 2.200 ± 0.158 |" in md
    published = {r["model"]: r for r in rows if r["kind"] == "published"}
    assert published["Noisy"]["pesq"] == "1.97" and "1703.09452" in published["SEGAN"]["notes_or_source"]
    assert "| SEGAN (published) | 2.16 | 3.48 | 2.94 | 2.80 | 7.73 | — | — |" in md
    assert "not retrieved" in md and "ICASSP 2021" in md
    _, rows = table(root, tmp_path, "--all_runs")
    assert [r["model"] for r in rows if r["kind"] == "ours"][-1] == "SASEGAN-L3"


def test_noisy_row_is_scored_from_the_test_files_and_cached(runs, tmp_path, demo_dir):
    root, _ = runs
    noisy, clean = demo_dir / "noisy_testset_wav_16k", demo_dir / "clean_testset_wav_16k"
    args = ["--run_dir", str(root), "--noisy_dir", str(noisy), "--clean_dir", str(clean),
            "--markdown", str(tmp_path / "t.md"), "--csv", str(tmp_path / "t.csv")]
    assert paper_table.main(args) == 0
    with open(tmp_path / "t.csv") as f:
        row = next(csv.DictReader(f))
    names = sorted(os.listdir(noisy))
    expected = np.mean([metrics.score_files(clean / n, noisy / n)[0]["pesq"] for n in names])
    assert (row["model"], row["kind"]) == ("Noisy", "ours")
    assert float(row["pesq"]) == pytest.approx(expected, abs=1e-6)
    cache = root / "noisy_results.json"
    stamp = cache.stat().st_mtime_ns
    assert paper_table.main(args) == 0 and cache.stat().st_mtime_ns == stamp  # not rescored
