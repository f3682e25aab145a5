"""scripts/evaluate.py through its command line: matching by basename, per-file CSV, per-directory means and
the across-directory mean ± std; a file that cannot be scored stops it (or, with --allow_incomplete, marks
the row n/N everywhere); silent outputs are scored at the floors; different file sets are never averaged;
the Noisy row, Δ vs noisy and the verdict say whether enhancement helped."""
import csv
import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf

from common.audio import audio, demo_corpus, metrics
from common.evaluation import aggregate, scoring
from common.system.blas import ONE_BLAS_THREAD
from scripts import evaluate
from tests.conftest import noisy, speech

NAMES = ["p900_001.wav", "p901_001.wav", "p900_002.wav"]


def make_clean(root, names=NAMES):
    signals = {}
    for i, name in enumerate(names):
        signals[name] = speech(2.0, 100 + i)
        audio.write_wav(root / "clean" / name, audio.to_int16(signals[name]))
    return signals


def make_enhanced(directory, signals, snr_db):
    for name, x in signals.items():
        audio.write_wav(directory / name, noisy(x, snr_db, seed=len(name)).astype(np.float32))


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def evaluate_cli(root, *dirs, extra=(), outputs=True):
    """evaluate.main on root/clean and root/<dir>...: (exit status, {kind: output path})."""
    out = {k: root / f"out.{k}" for k in ("csv", "json", "md")} if outputs else {}
    args = ["--clean_dir", str(root / "clean"), "--enhanced_dir", *[str(root / d) for d in dirs], "--jobs", "1",
            *[a for k, path in out.items() for a in (f"--{'markdown' if k == 'md' else k}", str(path))], *extra]
    return evaluate.main(args), out


def test_checkpoints_csv_json_markdown(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "ck_1000", signals, 5)
    make_enhanced(tmp_path / "ck_950", signals, 15)
    rc, out = evaluate_cli(tmp_path, "ck_*", extra=["--jobs", "2"])
    assert rc == 0
    dirs = [str(tmp_path / "ck_950"), str(tmp_path / "ck_1000")]  # natural order of checkpoint numbers

    header, rows = read_csv(out["csv"])
    assert header == ["dir", "dir_files", "file", "pesq", "csig", "cbak", "covl", "ssnr", "stoi"]
    assert [(r[0], r[1], r[2]) for r in rows] == [(d, "3/3", n) for d in dirs for n in sorted(NAMES)]
    expected, _ = metrics.score_files(tmp_path / "clean" / NAMES[1], tmp_path / "ck_1000" / NAMES[1])
    row = next(r for r in rows if r[0] == dirs[1] and r[2] == NAMES[1])
    np.testing.assert_allclose([float(v) for v in row[3:]], [expected[m] for m in metrics.METRICS], atol=1e-6)

    summary = json.load(open(out["json"]))
    assert summary["metrics"] == list(metrics.METRICS) and [d["dir"] for d in summary["dirs"]] == dirs
    assert summary["clean_dir"] == str(tmp_path / "clean") and "silent" in summary["definitions"]
    per_dir = []
    for d in summary["dirs"]:
        assert (d["n_files"], d["n_expected"], d["complete"]) == (3, 3, True)
        assert not any(d["problems"].values()) and not any(d["notes"].values())
        values = np.array([[float(v) for v in r[3:]] for r in rows if r[0] == d["dir"]])
        np.testing.assert_allclose([d["mean"][m] for m in metrics.METRICS], values.mean(0), atol=1e-6)
        per_dir.append([d["mean"][m] for m in metrics.METRICS])
    across = summary["across"]
    assert (across["n_dirs"], across["n_files"], across["complete"]) == (2, 3, True)
    np.testing.assert_allclose([across["mean"][m] for m in metrics.METRICS], np.mean(per_dir, 0))
    np.testing.assert_allclose([across["std"][m] for m in metrics.METRICS], np.std(per_dir, 0, ddof=1))
    assert summary["dirs"][0]["mean"]["pesq"] > summary["dirs"][1]["mean"]["pesq"]  # 15 dB beats 5 dB

    printed = capsys.readouterr().out
    assert open(out["md"]).read() == printed
    assert f"| **mean ± std over 2 dirs** | 3/3 | {across['mean']['pesq']:.4f} ± " in printed
    assert summary["noisy"] is summary["delta"] is summary["verdict"] is None and "Noisy" not in printed


def table_lines(md):
    return [line for line in md.splitlines() if line.startswith("| ")]


def test_clean_copy_beats_noisy_on_every_metric(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "noisy", signals, 5)
    shutil.copytree(tmp_path / "clean", tmp_path / "copy")  # a perfect enhancer
    rc, out = evaluate_cli(tmp_path, "copy", extra=["--noisy_dir", str(tmp_path / "noisy")])
    assert rc == 0
    summary = json.load(open(out["json"]))
    noisy_dir, copy_dir = str(tmp_path / "noisy"), str(tmp_path / "copy")
    assert [d["dir"] for d in summary["dirs"]] == [copy_dir] and summary["across"]["n_dirs"] == 1  # not in dirs
    noisy_row = summary["noisy"]
    assert noisy_row.keys() == summary["dirs"][0].keys() and noisy_row["dir"] == noisy_dir
    assert (noisy_row["n_files"], noisy_row["complete"]) == (3, True)
    for m in metrics.METRICS:
        assert summary["delta"][m] == pytest.approx(summary["across"]["mean"][m] - noisy_row["mean"][m], abs=1e-12)
    verdict = summary["verdict"]
    assert verdict["better"] == list(metrics.METRICS) and verdict["worse"] == verdict["equal"] == []
    assert verdict["text"] == "Enhanced beats noisy on 6 of 6 metrics (PESQ, CSIG, CBAK, COVL, SSNR, STOI)."

    md = out["md"].read_text()
    assert md == capsys.readouterr().out and verdict["text"] in md
    lines = table_lines(md)
    assert lines[1].startswith(f"| Noisy: {noisy_dir} | 3/3 | {noisy_row['mean']['pesq']:.4f} |")
    assert lines[2].startswith(f"| {copy_dir} | 3/3 |")
    assert lines[3] == "| **Δ vs noisy** | 3/3 | " + " | ".join(
        f"+{summary['delta'][m]:.4f}" for m in metrics.METRICS) + " |"

    _, rows = read_csv(out["csv"])  # the noisy files' scores too, under their own dir
    assert [(r[0], r[2]) for r in rows] == [(d, n) for d in (noisy_dir, copy_dir) for n in sorted(NAMES)]
    noisy_pesq = [float(r[3]) for r in rows if r[0] == noisy_dir]
    assert noisy_row["mean"]["pesq"] == pytest.approx(np.mean(noisy_pesq), abs=1e-6)


def test_worse_than_noisy_is_said_plainly(tmp_path, monkeypatch):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "noisy", signals, 30)
    for d, snr in (("ck_1", 20), ("ck_2", 10)):  # the noisy input with more noise on it
        make_enhanced(tmp_path / d, {n: sf.read(tmp_path / "noisy" / n)[0] for n in NAMES}, snr)
    batches = []
    run = scoring.run
    monkeypatch.setattr(scoring, "run", lambda tasks, jobs: batches.append(len(tasks)) or run(tasks, jobs))
    rc, out = evaluate_cli(tmp_path, "ck_1", "ck_2", extra=["--noisy_dir", str(tmp_path / "noisy"), "--jobs", "2"])
    assert rc == 0 and batches == [9]  # Noisy scored in the same pool as the checkpoints, not in a second pass
    summary = json.load(open(out["json"]))
    text = "Enhanced is worse than the noisy input on every metric."
    assert summary["verdict"] == {"better": [], "worse": list(metrics.METRICS), "equal": [], "text": text}
    assert summary["across"]["n_dirs"] == 2 and all(v < 0 for v in summary["delta"].values())
    lines = table_lines(out["md"].read_text())
    assert lines[1].startswith("| Noisy: ") and lines[4].startswith("| **mean ± std over 2 dirs** | 3/3 |")
    assert lines[5].startswith("| **Δ vs noisy** | 3/3 | -")
    assert text in out["md"].read_text()


def test_verdict_names_better_worse_and_equal_metrics():
    delta = {"pesq": -0.25, "csig": -0.1, "cbak": 0.2, "covl": -0.05, "ssnr": 1.5, "stoi": -0.01}
    assert aggregate.verdict(delta)["text"] == ("Enhanced beats noisy on 2 of 6 metrics (CBAK, SSNR); "
                                                 "worse on PESQ, CSIG, COVL, STOI.")
    delta.update(csig=0.0, covl=0.0, cbak=-0.2, ssnr=-1.5)  # both at the composite measures' clamp
    assert aggregate.verdict(delta) == {"better": [], "worse": ["pesq", "cbak", "ssnr", "stoi"],
                                         "equal": ["csig", "covl"], "text": "Enhanced beats noisy on 0 of 6 "
                                         "metrics; worse on PESQ, CBAK, SSNR, STOI; equal on CSIG, COVL."}


def test_noisy_dir_is_checked_like_an_enhanced_dir(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "enh", signals, 20)
    noisy_dir = tmp_path / "noisy"
    make_enhanced(noisy_dir, {n: signals[n] for n in NAMES[1:]}, 5)
    y = sf.read(noisy_dir / NAMES[2])[0]
    audio.write_wav(noisy_dir / NAMES[2], y[:-1].astype(np.float32))
    rc, out = evaluate_cli(tmp_path, "enh", extra=["--noisy_dir", str(noisy_dir)])
    assert rc == 1 and not any(path.exists() for path in out.values())
    err = capsys.readouterr().err
    assert f"{noisy_dir}: {NAMES[0]}: missing" in err and f"{noisy_dir}: {NAMES[2]}: length" in err

    rc, out = evaluate_cli(tmp_path, "enh", extra=["--noisy_dir", str(noisy_dir), "--allow_incomplete"])
    assert rc == 0
    summary = json.load(open(out["json"]))
    assert (summary["noisy"]["n_files"], summary["noisy"]["complete"]) == (1, False)
    assert summary["delta"] is summary["verdict"] is None and "Noisy over 1/3" in summary["delta_note"]
    md = out["md"].read_text()
    assert f"| Noisy: {noisy_dir} | 1/3 |" in md and "Δ vs noisy |" not in md
    assert f"No Δ vs noisy: {summary['delta_note']}." in md and "no Δ vs noisy: " in capsys.readouterr().err
    assert f"`{noisy_dir}`: missing (1): {NAMES[0]}" in md


def test_a_missing_file_stops_it_and_is_named(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "enh", {n: signals[n] for n in NAMES[1:]}, 10)
    rc, out = evaluate_cli(tmp_path, "enh")
    assert rc == 1
    captured = capsys.readouterr()
    assert f"{tmp_path / 'enh'}: {NAMES[0]}: missing" in captured.err and "--allow_incomplete" in captured.err
    assert captured.out == "" and not any(path.exists() for path in out.values())  # nothing misleading written


def test_allow_incomplete_marks_the_row_n_of_N_everywhere(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "enh", {n: signals[n] for n in NAMES[1:]}, 10)
    audio.write_wav(tmp_path / "enh" / "stray.wav", signals[NAMES[1]].astype(np.float32))  # no clean partner
    rc, out = evaluate_cli(tmp_path, "enh", extra=["--allow_incomplete"])
    assert rc == 0
    d = json.load(open(out["json"]))["dirs"][0]
    assert (d["n_files"], d["n_expected"], d["complete"]) == (2, 3, False)
    assert [e["file"] for e in d["problems"]["missing"]] == [NAMES[0]]
    assert [e["file"] for e in d["notes"]["extra"]] == ["stray.wav"]  # listed, not in the set
    header, rows = read_csv(out["csv"])
    assert [(r[0], r[1]) for r in rows] == [("2/3", n) for n in sorted(NAMES[1:])]
    np.testing.assert_allclose(d["mean"]["pesq"], np.mean([float(r[2]) for r in rows]), atol=1e-6)
    md = out["md"].read_text()
    assert f"| {tmp_path / 'enh'} | 2/3 |" in md and "missing (1): " + NAMES[0] in md and "stray.wav" in md
    assert md == capsys.readouterr().out


def test_every_problem_is_named_with_its_kind(tmp_path, capsys):
    names = ["good.wav", "half.wav", "long.wav", "junk.wav", "rate8k.wav", "quiet_ref.wav"]
    signals = make_clean(tmp_path, names)
    audio.write_wav(tmp_path / "clean" / "quiet_ref.wav", np.zeros(32000, np.int16))  # a broken test set
    enh = tmp_path / "enh"
    make_enhanced(enh, {n: signals[n] for n in ("good.wav", "half.wav", "long.wav", "quiet_ref.wav")}, 10)
    y = sf.read(enh / "half.wav")[0]
    audio.write_wav(enh / "half.wav", y[:len(y) // 2].astype(np.float32))  # was scored on its first half
    audio.write_wav(enh / "long.wav", np.concatenate([y, y[:1]]).astype(np.float32))
    (enh / "junk.wav").write_bytes(b"RIFF but not really")
    sf.write(enh / "rate8k.wav", noisy(signals["rate8k.wav"], 10)[::2], 8000)

    rc, out = evaluate_cli(tmp_path, "enh")
    assert rc == 1 and not out["json"].exists()
    err = capsys.readouterr().err
    for name, kind in (("half.wav", "length"), ("long.wav", "length"), ("junk.wav", "unreadable"),
                       ("rate8k.wav", "wrong_rate"), ("quiet_ref.wav", "silent_clean")):
        assert f"{enh}: {name}: {kind}: " in err
    assert "good.wav" not in err

    rc, out = evaluate_cli(tmp_path, "enh", extra=["--resample", "--allow_incomplete"])
    assert rc == 0
    d = json.load(open(out["json"]))["dirs"][0]
    assert (d["n_files"], d["n_expected"]) == (2, 6) and d["problems"]["wrong_rate"] == []
    assert [e["file"] for e in d["notes"]["resampled"]] == ["rate8k.wav"]


def test_silent_output_is_scored_at_the_floors_and_never_beats_the_noisy_one(tmp_path):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "noisy", signals, 10)  # segmental SNR above 0 dB, the SSNR of silence
    for name, x in signals.items():
        audio.write_wav(tmp_path / "silent" / name, np.zeros(len(x), np.float32))
    make_enhanced(tmp_path / "mixed", signals, 10)
    audio.write_wav(tmp_path / "mixed" / NAMES[0], np.zeros(len(signals[NAMES[0]]), np.float32))
    rc, out = evaluate_cli(tmp_path, "noisy", "silent", "mixed")
    assert rc == 0
    summary = json.load(open(out["json"]))
    noisy_row, silent_row, mixed_row = summary["dirs"]
    assert silent_row["n_files"] == mixed_row["n_files"] == 3 and summary["across"]["n_files"] == 3
    assert [e["file"] for e in silent_row["notes"]["silent"]] == sorted(NAMES)
    assert [e["file"] for e in mixed_row["notes"]["silent"]] == [NAMES[0]]
    floors = dict(metrics.FLOORS, ssnr=0.0)  # SSNR is defined on silence: 0 dB where the clean has energy
    for m in metrics.METRICS:
        assert silent_row["mean"][m] == pytest.approx(floors[m], abs=1e-9), m
        assert silent_row["mean"][m] <= noisy_row["mean"][m], m
    assert all(silent_row["mean"][m] < noisy_row["mean"][m] for m in ("pesq", "cbak", "ssnr", "stoi"))
    _, rows = read_csv(out["csv"])
    zero = next(r for r in rows if r[0] == str(tmp_path / "mixed") and r[2] == NAMES[0])
    np.testing.assert_allclose([float(v) for v in zero[3:]], [floors[m] for m in metrics.METRICS], atol=1e-6)
    mixed = [[float(v) for v in r[3:]] for r in rows if r[0] == str(tmp_path / "mixed")]
    np.testing.assert_allclose([mixed_row["mean"][m] for m in metrics.METRICS], np.mean(mixed, 0), atol=1e-6)
    assert "silent: scored at the metric floors (1): " + NAMES[0] in out["md"].read_text()


def test_directories_over_different_file_sets_are_not_averaged(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "full", signals, 10)
    make_enhanced(tmp_path / "part", {n: signals[n] for n in NAMES[1:]}, 10)
    make_enhanced(tmp_path / "part2", {n: signals[n] for n in NAMES[1:]}, 5)
    assert evaluate_cli(tmp_path, "full", "part", outputs=False)[0] == 1
    capsys.readouterr()

    rc, out = evaluate_cli(tmp_path, "full", "part", extra=["--allow_incomplete"])
    assert rc == 0
    summary = json.load(open(out["json"]))
    assert summary["across"] is None and "different sets of files" in summary["across_note"]
    md = out["md"].read_text()
    assert "**mean ± std over" not in md and "No mean ± std over the directories" in md
    assert "different sets of files" in capsys.readouterr().err

    rc, out = evaluate_cli(tmp_path, "part", "part2", extra=["--allow_incomplete"])  # the same two files
    across = json.load(open(out["json"]))["across"]
    assert rc == 0 and (across["n_files"], across["n_expected"], across["complete"]) == (2, 3, False)
    assert "| **mean ± std over 2 dirs** | 2/3 |" in out["md"].read_text()


def test_directory_without_scored_files_exits_1(tmp_path):
    make_clean(tmp_path, NAMES[:2])
    (tmp_path / "empty").mkdir()
    rc, out = evaluate_cli(tmp_path, "empty", extra=["--allow_incomplete"])
    assert rc == 1
    summary = json.load(open(out["json"]))
    empty = summary["dirs"][0]
    assert (empty["n_files"], empty["n_expected"]) == (0, 2) and all(v is None for v in empty["mean"].values())
    assert [e["file"] for e in empty["problems"]["missing"]] == sorted(NAMES[:2])
    assert summary["across"] is None and summary["across_note"] == "no file was scored"


@pytest.mark.parametrize("enhanced", ["does_not_exist", "nothing_*"])
def test_bad_enhanced_dir_is_a_usage_error(tmp_path, enhanced):
    make_clean(tmp_path, NAMES[:1])
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(tmp_path / enhanced)])
    assert e.value.code == 2


def test_scoring_workers_get_one_blas_thread_and_the_environment_is_restored(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    with scoring.environment(ONE_BLAS_THREAD):
        assert all(os.environ[k] == "1" for k in ONE_BLAS_THREAD)
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "4"
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "ck_1", signals, 5)
    assert evaluate_cli(tmp_path, "ck_1", extra=["--jobs", "2"], outputs=False)[0] == 0  # spawned workers
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "4"


def test_a_demo_corpus_test_set_is_named_synthetic(tmp_path):
    """The table of a test set in a demo corpus (its listing beside the clean folder) says it is the synthetic demo
    corpus, not VoiceBank-DEMAND; another test set's does not."""
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "ck", signals, 10)
    for demo in (False, True):
        if demo:
            (tmp_path / demo_corpus.LISTING_FILE).write_text("{}")
        rc, out = evaluate_cli(tmp_path, "ck")
        assert rc == 0
        assert json.loads(out["json"].read_text())["demo_corpus"] is demo
        assert ("not VoiceBank-DEMAND" in out["md"].read_text()) is demo
