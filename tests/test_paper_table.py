"""scripts/paper_table.py on synthetic run directories (results.json written by common/evaluation/)."""
import csv
import os

import numpy as np
import pytest

from common.audio import metrics
from common.config.named_configs import tiny
from common.models.build import parameter_counts
from scripts import paper_table
from tests.conftest import CLEAN, make_run

PESQ = {"SEGAN": [2.0, 2.1, 2.2, 2.3, 2.4], "ISEGAN-SA-2": [2.5, 2.7, 2.6, 2.9]}


def table(root, tmp_path, *extra):
    """paper_table's (markdown, csv rows); no Noisy row unless the test dirs exist."""
    assert paper_table.main(["--runs_root", str(root), "--markdown", str(tmp_path / "t.md"),
                             "--csv", str(tmp_path / "t.csv"), "--jobs", "1", *extra]) == 0
    with open(tmp_path / "t.csv") as f:
        return (tmp_path / "t.md").read_text(), list(csv.DictReader(f))


def ours(rows):
    return {r["model"]: r for r in rows if r["kind"] == "ours"}


def test_rows_statistics_parameters_and_gaps(tmp_path):
    root = tmp_path / "runs"
    cfgs = {name: make_run(root, name, pesq) for name, pesq in PESQ.items()}
    cfgs["DSEGAN-2"] = make_run(root, "DSEGAN-2")  # trained, not evaluated
    make_run(root, "SASEGAN-L3", [2.2] * 5)  # outside the paper's grid
    md, rows = table(root, tmp_path)
    assert list(ours(rows)) == ["SEGAN", "ISEGAN-SA-2", "DSEGAN-2"]  # paper order, no ablation run
    by = ours(rows)
    for name, pesq in PESQ.items():
        assert by[name]["checkpoints"] == str(len(pesq)) and by[name]["files"] == "4/4"
        assert float(by[name]["pesq"]) == pytest.approx(np.mean(pesq), abs=1e-6)
        assert float(by[name]["pesq_std"]) == pytest.approx(np.std(pesq, ddof=1), abs=1e-6)
        assert int(by[name]["g_params"]) == parameter_counts(cfgs[name])[0]
    assert "4 checkpoint(s) scored, 5 expected" in by["ISEGAN-SA-2"]["notes_or_source"]
    assert by["DSEGAN-2"]["pesq"] == "" and "not evaluated" in by["DSEGAN-2"]["notes_or_source"]
    assert int(by["DSEGAN-2"]["g_params"]) == parameter_counts(cfgs["DSEGAN-2"])[0]
    assert md.startswith(f"Corpus: unknown (the runs' flags.json do not name their data set): 4 test files (clean "
                         f"test dir `{CLEAN}`)")
    assert "| DSEGAN-2 | — |" in md and "| SEGAN | 2.200 ± 0.158 |" in md
    published = {r["model"]: r for r in rows if r["kind"] == "published"}
    assert published["Noisy"]["pesq"] == "1.97" and "1703.09452" in published["SEGAN"]["notes_or_source"]
    assert "| SEGAN (published) | 2.16 | 3.48 | 2.94 | 2.80 | 7.73 | — | — |" in md
    assert "not retrieved" in md and "ICASSP 2021" in md
    _, rows = table(root, tmp_path, "--all_runs")
    assert list(ours(rows))[-1] == "SASEGAN-L3"


def test_published_sasegan_layer_rows_are_complete_and_the_paper_layer_is_in_the_table(tmp_path):
    from common.evaluation import published
    # the page's rows SASEGAN-3 … SASEGAN-11 (1-based), each with its six printed metrics
    assert [row[0] for row in published.SASEGAN_PAGE_ROWS] == [f"SASEGAN-{n}" for n in range(3, 12)]
    assert all(len(row) == 1 + len(metrics.METRICS) and all(isinstance(v, float) for v in row[1:])
               for row in published.SASEGAN_PAGE_ROWS)
    # mapped to our 0-based --att_layer_ind: layer N → index N - 1, every metric, STOI in [0, 1]
    assert sorted(published.SASEGAN_BY_INDEX) == list(range(2, 11))
    for label, *printed in published.SASEGAN_PAGE_ROWS:
        values = published.SASEGAN_BY_INDEX[int(label.split("-")[1]) - 1]
        assert set(values) == set(metrics.METRICS) and 0 < values["stoi"] < 1
        assert [values[m] * (100 if m == "stoi" else 1) for m in metrics.METRICS] == pytest.approx(printed)
    assert published.SASEGAN_BY_INDEX[5]["pesq"] == 2.38  # the page's SASEGAN-6 is our default index 5
    assert "SECONDARY" in published.SASEGAN_SOURCE and "4ccd86d7d4ca8ac9caa159ede56fde672355c7b0" in \
        published.SASEGAN_SOURCE and "c3abaaf6423a06dd701cd93b9166c7249f660608" in published.SASEGAN_SOURCE
    # paper_table: only the default layer's row, marked secondary, beside the SEGAN paper's rows
    make_run(tmp_path / "runs", "SASEGAN", [2.0] * 5)
    md, rows = table(tmp_path / "runs", tmp_path)
    sasegan = [r for r in rows if r["kind"] == "published" and r["model"].startswith("SASEGAN")]
    assert len(sasegan) == 1 and "secondary" in sasegan[0]["model"] and "layer 6 (index 5)" in sasegan[0]["model"]
    assert sasegan[0]["stoi"] == "0.9339" and "MMF-SASEGAN" in sasegan[0]["notes_or_source"]
    assert "| SASEGAN att. layer 6 (index 5), secondary source (published) | 2.38 | 3.46 | 3.12 | 2.90 | 8.86 " \
           "| 0.934 | — |" in md
    assert all(paper in md for paper in published.NOT_RETRIEVED)  # still not retrieved, still said


def test_an_incomplete_run_shows_n_of_N(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "SEGAN", [2.0, 2.1, 2.2, 2.3, 2.4], scored=[3] * 5)  # every checkpoint on the same 3 of 4
    make_run(root, "SASEGAN", [2.0, 2.1, 2.2, 2.3, 2.4], scored=[4, 4, 3, 4, 4])  # different sets
    md, rows = table(root, tmp_path)
    by = ours(rows)
    assert by["SEGAN"]["files"] == "3/4" and float(by["SEGAN"]["pesq"]) == pytest.approx(2.2)
    assert "| SEGAN (3/4 files) | 2.200 ± 0.158 |" in md
    assert "checkpoint 0: 3/4 files scored" in by["SEGAN"]["notes_or_source"]
    assert by["SASEGAN"]["pesq"] == "" and "| SASEGAN | — |" in md  # never averaged over different sets
    assert "different sets of files" in by["SASEGAN"]["notes_or_source"]


def test_runs_of_two_corpora_or_test_sets_are_never_mixed(tmp_path, capsys):
    root = tmp_path / "runs"
    for name in ("SEGAN", "SASEGAN", "ISEGAN-2"):
        make_run(root, name, [2.0 + 0.1 * i for i in range(5)], corpus="vb")
    make_run(root, "DSEGAN-2", [1.5] * 5, corpus="demo", clean_dir="/demo/clean_testset_wav_16k")
    make_run(root, "ISEGAN-3", [2.5] * 5, corpus="vb", clean_dir="/elsewhere/clean")
    md, rows = table(root, tmp_path)
    assert list(ours(rows)) == ["SEGAN", "SASEGAN", "ISEGAN-2"]
    assert {r["corpus"] for r in ours(rows).values()} == {"vb"}
    assert md.startswith(f"Corpus: vb: 4 test files (clean test dir `{CLEAN}`)")
    assert "- DSEGAN-2: corpus demo, not vb" in md
    assert f"- ISEGAN-3: evaluated on /elsewhere/clean, not on {CLEAN}" in md
    assert "left out: DSEGAN-2" in capsys.readouterr().err

    md, rows = table(root, tmp_path, "--corpus", "demo")
    assert list(ours(rows)) == ["DSEGAN-2"] and not [r for r in rows if r["kind"] == "published"]
    assert md.startswith("Corpus: demo (synthetic, not VoiceBank-DEMAND): 4 test files")
    assert "- SEGAN: corpus vb, not demo" in md and "not shown beside the synthetic demo corpus" in md

    for name in ("DSEGAN-3", "DSEGAN-4", "DSEGAN-SA-2"):  # now four runs of each corpus
        make_run(root, name, [1.5] * 5, corpus="demo", clean_dir="/demo/clean_testset_wav_16k")
    with pytest.raises(SystemExit, match="no corpus is shared by most runs.*--corpus"):
        table(root, tmp_path)
    with pytest.raises(SystemExit, match="no run of corpus nope"):
        table(root, tmp_path, "--corpus", "nope")


def test_noisy_row_is_scored_on_the_runs_test_set_and_cached(tmp_path, demo_dir):
    clean, noisy = demo_dir / "clean_testset_wav_16k", demo_dir / "noisy_testset_wav_16k"
    root = tmp_path / "runs"
    make_run(root / "demo", "SEGAN", [2.0] * 5, corpus="demo", clean_dir=str(clean), n_expected=4)
    make_run(root, "SEGAN", [2.5] * 5, corpus="vb")  # a real-corpus run; the demo's live in runs/demo
    md, rows = table(root / "demo", tmp_path)  # no --clean_dir / --noisy_dir: from the runs
    names = sorted(os.listdir(noisy))
    expected = np.mean([metrics.score_files(clean / n, noisy / n)[0]["pesq"] for n in names])
    assert [(r["model"], r["files"]) for r in ours(rows).values()] == [("Noisy", "4/4"), ("SEGAN", "4/4")]
    assert float(rows[0]["pesq"]) == pytest.approx(expected, abs=1e-6)
    assert md.startswith(f"Corpus: demo (synthetic, not VoiceBank-DEMAND): 4 test files (clean test dir `{clean}`)")
    cache = root / "demo" / "noisy_results.json"
    stamp = cache.stat().st_mtime_ns
    assert table(root / "demo", tmp_path)[1] == rows and cache.stat().st_mtime_ns == stamp  # not rescored

    md, rows = table(root, tmp_path)  # runs/ does not descend into runs/demo
    assert [(r["model"], r["corpus"]) for r in ours(rows).values()] == [("SEGAN", "vb")]
    assert md.startswith("Corpus: vb:")


def test_a_run_is_its_flags_json_not_its_folder_name(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "SEGAN", PESQ["SEGAN"])
    make_run(root, "ISEGAN-SA-2", [2.9] * 5, cfg=tiny("DSEGAN-2"))  # renamed or copied by hand
    make_run(root, "mine", [2.4] * 5, cfg=tiny("ISEGAN-SA-3"))
    md, rows = table(root, tmp_path)
    assert list(ours(rows)) == ["SEGAN"]
    assert "- ISEGAN-SA-2: its flags.json records DSEGAN-2, not ISEGAN-SA-2" in md
    md, rows = table(root, tmp_path, "--all_runs")
    assert list(ours(rows)) == ["SEGAN", "mine"] and "| mine [ISEGAN-SA-3] | 2.400 ± 0.000 |" in md


@pytest.mark.parametrize("results,reason", [("{\"n_expected\": 4, \"dirs\"", "unreadable"),
                                            ("{\"n_expected\": 4, \"dirs\": 3}", "not a results file")])
def test_a_broken_results_json_is_left_out_by_name_and_the_rest_stands(tmp_path, capsys, results, reason):
    root = tmp_path / "runs"
    make_run(root, "SEGAN", PESQ["SEGAN"])
    make_run(root, "ISEGAN-SA-2", PESQ["ISEGAN-SA-2"])
    (root / "ISEGAN-SA-2" / "results.json").write_text(results)
    assert paper_table.main(["--runs_root", str(root), "--markdown", str(tmp_path / "t.md"),
                             "--csv", str(tmp_path / "t.csv"), "--jobs", "1"]) == 1
    md = (tmp_path / "t.md").read_text()
    assert "| SEGAN | 2.200 ± 0.158 |" in md and "| ISEGAN-SA-2 |" not in md
    assert f"- {root / 'ISEGAN-SA-2' / 'results.json'}: {reason}" in md
    assert "1 run(s) left out as unreadable" in capsys.readouterr().err
