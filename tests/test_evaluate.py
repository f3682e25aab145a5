"""scripts/evaluate.py: matching by basename, per-file CSV, per-directory means and the across-directory
mean ± std, and every kind of unusable file reported by name instead of crashing or vanishing."""
import csv
import json

import numpy as np
import pytest
import soundfile as sf

from common import audio, metrics
from scripts import evaluate
from tests.test_metrics import noisy, speech

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


def test_checkpoints_csv_json_markdown(tmp_path, capsys):
    signals = make_clean(tmp_path)
    make_enhanced(tmp_path / "ck_1000", signals, 5)
    make_enhanced(tmp_path / "ck_950", signals, 15)
    out = {k: str(tmp_path / f"out.{k}") for k in ("csv", "json", "md")}
    rc = evaluate.main(["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(tmp_path / "ck_*"),
                        "--csv", out["csv"], "--json", out["json"], "--markdown", out["md"], "--jobs", "2"])
    assert rc == 0
    dirs = [str(tmp_path / "ck_950"), str(tmp_path / "ck_1000")]  # natural order of checkpoint numbers

    header, rows = read_csv(out["csv"])
    assert header == ["dir", "file", "pesq", "csig", "cbak", "covl", "ssnr", "stoi"]
    assert [(r[0], r[1]) for r in rows] == [(d, n) for d in dirs for n in sorted(NAMES)]
    expected, _ = metrics.score_files(tmp_path / "clean" / NAMES[1], tmp_path / "ck_1000" / NAMES[1])
    row = next(r for r in rows if r[0] == dirs[1] and r[1] == NAMES[1])
    np.testing.assert_allclose([float(v) for v in row[2:]], [expected[m] for m in metrics.METRICS], atol=1e-6)

    summary = json.load(open(out["json"]))
    assert summary["metrics"] == list(metrics.METRICS) and [d["dir"] for d in summary["dirs"]] == dirs
    per_dir = []
    for d in summary["dirs"]:
        assert d["n_files"] == 3 and not any(d["problems"].values()) and not any(d["notes"].values())
        values = np.array([[float(v) for v in r[2:]] for r in rows if r[0] == d["dir"]])
        np.testing.assert_allclose([d["mean"][m] for m in metrics.METRICS], values.mean(0), atol=1e-6)
        per_dir.append([d["mean"][m] for m in metrics.METRICS])
    across = summary["across"]
    assert across["n_dirs"] == 2
    np.testing.assert_allclose([across["mean"][m] for m in metrics.METRICS], np.mean(per_dir, 0))
    np.testing.assert_allclose([across["std"][m] for m in metrics.METRICS], np.std(per_dir, 0, ddof=1))
    assert summary["dirs"][0]["mean"]["pesq"] > summary["dirs"][1]["mean"]["pesq"]  # 15 dB beats 5 dB

    printed = capsys.readouterr().out
    assert open(out["md"]).read() == printed
    assert "mean ± std over 2 dirs" in printed and f"{across['mean']['pesq']:.4f} ± " in printed


def test_unusable_files_are_reported_by_name(tmp_path, capsys):
    names = ["good.wav", "long.wav", "gone.wav", "junk.wav", "rate8k.wav", "zeros.wav"]
    signals = make_clean(tmp_path, names)
    enh = tmp_path / "enh"
    make_enhanced(enh, {n: signals[n] for n in ("good.wav", "long.wav")}, 10)
    long = sf.read(enh / "long.wav")[0]
    audio.write_wav(enh / "long.wav", np.concatenate([long, long[:1000]]).astype(np.float32))
    (enh / "junk.wav").write_bytes(b"RIFF but not really")
    sf.write(enh / "rate8k.wav", noisy(signals["rate8k.wav"], 10)[::2], 8000)
    audio.write_wav(enh / "zeros.wav", np.zeros(32000, np.float32))
    audio.write_wav(enh / "stray.wav", signals["good.wav"].astype(np.float32))
    args = ["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(enh), "--jobs", "1"]

    assert evaluate.main(args + ["--csv", str(tmp_path / "o.csv"), "--json", str(tmp_path / "o.json")]) == 0
    header, rows = read_csv(tmp_path / "o.csv")
    assert header == ["file", "pesq", "csig", "cbak", "covl", "ssnr", "stoi"]
    assert [r[0] for r in rows] == ["good.wav", "long.wav"]
    d = json.load(open(tmp_path / "o.json"))["dirs"][0]
    found = {k: [e["file"] for e in v] for k, v in d["problems"].items()}
    assert found == {"missing": ["gone.wav"], "extra": ["stray.wav"], "unreadable": ["junk.wav"],
                     "wrong_rate": ["rate8k.wav"], "silent": ["zeros.wav"], "failed": []}
    assert [e["file"] for e in d["notes"]["truncated"]] == ["long.wav"] and d["n_files"] == 2
    out = capsys.readouterr()
    for name in ("gone.wav", "stray.wav", "junk.wav", "rate8k.wav", "zeros.wav", "long.wav"):
        assert name in out.err and name in out.out  # stderr lines and the markdown's problem list
    assert "mean ± std" not in out.out  # one directory: no across row

    assert evaluate.main(args + ["--resample", "--json", str(tmp_path / "r.json")]) == 0
    d = json.load(open(tmp_path / "r.json"))["dirs"][0]
    assert d["n_files"] == 3 and d["problems"]["wrong_rate"] == []
    assert [e["file"] for e in d["notes"]["resampled"]] == ["rate8k.wav"]


def test_directory_without_scored_files_exits_1(tmp_path):
    make_clean(tmp_path, NAMES[:2])
    (tmp_path / "empty").mkdir()
    make_enhanced(tmp_path / "full", {n: speech(2.0, 7) for n in NAMES[:2]}, 10)
    rc = evaluate.main(["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(tmp_path / "full"),
                        str(tmp_path / "empty"), "--json", str(tmp_path / "o.json"), "--jobs", "1"])
    assert rc == 1
    summary = json.load(open(tmp_path / "o.json"))
    empty = summary["dirs"][1]
    assert empty["n_files"] == 0 and all(v is None for v in empty["mean"].values())
    assert [e["file"] for e in empty["problems"]["missing"]] == sorted(NAMES[:2])
    assert all(v is None for v in summary["across"]["mean"].values())


@pytest.mark.parametrize("enhanced", ["does_not_exist", "nothing_*"])
def test_bad_enhanced_dir_is_a_usage_error(tmp_path, enhanced):
    make_clean(tmp_path, NAMES[:1])
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--clean_dir", str(tmp_path / "clean"), "--enhanced_dir", str(tmp_path / enhanced)])
    assert e.value.code == 2
