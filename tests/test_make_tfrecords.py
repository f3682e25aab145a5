import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

import make_tfrecords
from common import audio, data, records


def pair_dirs(tmp_path, lengths, rate=16000):
    """clean/ and noisy/ with int16 files f{i}.wav of the given lengths (noisy = clean + 1000)."""
    clean, noisy = tmp_path / "clean", tmp_path / "noisy"
    clean.mkdir(exist_ok=True)
    noisy.mkdir(exist_ok=True)
    rng = np.random.default_rng(len(lengths))
    signals = {}
    for i, n in enumerate(lengths):
        x = rng.integers(-32768, 32767, n).astype(np.int16)
        sf.write(str(clean / f"f{i}.wav"), x, rate, subtype="PCM_16")
        sf.write(str(noisy / f"f{i}.wav"), (x // 2 + 1000).astype(np.int16), rate, subtype="PCM_16")
        signals[f"f{i}.wav"] = x
    return clean, noisy, signals


def run(clean, noisy, out, *extra):
    return make_tfrecords.main(["--wav_dir", str(clean), "--noisy_dir", str(noisy), "--save_path", str(out),
                                "--out_file", "t.tfrecords", "--jobs", "2", *extra])


def read_all(path):
    clean, noisy = [], []
    for raw in tf.data.TFRecordDataset(records.resolve_record_files(str(path))):
        ex = tf.train.Example.FromString(raw.numpy())
        clean.append(np.frombuffer(ex.features.feature["wav_raw"].bytes_list.value[0], "<i4"))
        noisy.append(np.frombuffer(ex.features.feature["noisy_raw"].bytes_list.value[0], "<i4"))
        assert set(ex.features.feature) == {"wav_raw", "noisy_raw"}
    return np.array(clean), np.array(noisy)


def test_round_trip_bit_exact(tmp_path):
    lengths = [16384 * 2 + 5, 16383, 16384, 40000]
    clean, noisy, signals = pair_dirs(tmp_path, lengths)
    assert run(clean, noisy, tmp_path) == 0
    got_clean, got_noisy = read_all(tmp_path / "t.tfrecords")
    expected = np.concatenate([audio.slice_windows(signals[f"f{i}.wav"]) for i in range(len(lengths))])
    # files are written in sorted name order, windows in time order
    np.testing.assert_array_equal(got_clean, expected)
    np.testing.assert_array_equal(got_noisy, expected // 2 + 1000)
    index = json.loads((tmp_path / "t.tfrecords.index.json").read_text())
    assert index["shards"]["t.tfrecords"]["windows"] == len(expected) == 3 + 0 + 1 + 3
    assert data.count_windows(str(tmp_path / "t.tfrecords")) == len(expected)


def test_shards_hold_every_window_once(tmp_path):
    clean, noisy, signals = pair_dirs(tmp_path, [40000] * 5)
    assert run(clean, noisy, tmp_path, "--num_shards", "3") == 0
    files = records.resolve_record_files(str(tmp_path / "t.tfrecords"))
    assert [f.rsplit("-", 3)[-3:] for f in files] == [["00000", "of", "00003"], ["00001", "of", "00003"],
                                                      ["00002", "of", "00003"]]
    got, _ = read_all(tmp_path / "t.tfrecords")
    expected = np.concatenate([audio.slice_windows(x) for x in signals.values()])
    assert sorted(map(bytes, got.astype("<i4"))) == sorted(map(bytes, expected.astype("<i4")))
    assert data.count_windows(str(tmp_path / "t.tfrecords")) == 15


@pytest.mark.parametrize("problem,words", [
    ("unmatched", "no noisy partner"), ("orphan", "no clean partner"), ("rate", "48000 Hz"),
    ("stereo", "2 channels"), ("length", "samples but its clean partner"), ("junk", "unreadable")])
def test_bad_input_is_named_and_nothing_written(tmp_path, capsys, problem, words):
    clean, noisy, _ = pair_dirs(tmp_path, [20000, 20000])
    bad = clean / "bad.wav"
    if problem == "unmatched":
        sf.write(str(bad), np.zeros(20000), 16000)
    elif problem == "orphan":
        bad = noisy / "bad.wav"
        sf.write(str(bad), np.zeros(20000), 16000)
    elif problem == "rate":
        sf.write(str(bad), np.zeros(20000), 48000)
        sf.write(str(noisy / "bad.wav"), np.zeros(20000), 48000)
    elif problem == "stereo":
        sf.write(str(bad), np.zeros((20000, 2)), 16000)
        sf.write(str(noisy / "bad.wav"), np.zeros(20000), 16000)
    elif problem == "length":
        sf.write(str(bad), np.zeros(20000), 16000)
        bad = noisy / "bad.wav"
        sf.write(str(bad), np.zeros(19000), 16000)
    else:
        bad.write_bytes(b"RIFF....garbage")
        sf.write(str(noisy / "bad.wav"), np.zeros(20000), 16000)
    out = tmp_path / "out"
    assert run(clean, noisy, out) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and words in err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written
    # --skip_bad keeps the good pairs and reports the bad one
    assert run(clean, noisy, out, "--skip_bad") == 0
    assert str(bad) in capsys.readouterr().err
    assert data.count_windows(str(out / "t.tfrecords")) == 2
    assert sorted(p.name for p in out.iterdir()) == ["t.tfrecords", "t.tfrecords.index.json"]


def test_resample_flag_accepts_other_rates(tmp_path):
    clean, noisy, _ = pair_dirs(tmp_path, [2 * 16384 + 100], rate=32000)
    assert run(clean, noisy, tmp_path, "--resample") == 0
    assert data.count_windows(str(tmp_path / "t.tfrecords")) == 1  # 16434 samples at 16 kHz → 1 window


def test_existing_records_kept_without_force_gen(tmp_path, capsys):
    clean, noisy, _ = pair_dirs(tmp_path, [20000])
    assert run(clean, noisy, tmp_path) == 0
    before = (tmp_path / "t.tfrecords").stat().st_mtime_ns
    assert run(clean, noisy, tmp_path, "--force_gen", "False") == 0
    assert "nothing to do" in capsys.readouterr().out
    assert (tmp_path / "t.tfrecords").stat().st_mtime_ns == before


def test_cfg_file_replaces_directory_flags(tmp_path):
    clean, noisy, _ = pair_dirs(tmp_path, [20000, 20000])
    cfg = tmp_path / "e2e.cfg"
    cfg.write_text(f'[segan]\nclean = "{clean}/"\nnoisy = "{noisy}/"\n')
    assert make_tfrecords.main(["--cfg", str(cfg), "--save_path", str(tmp_path), "--out_file", "c.tfrecords",
                                "--jobs", "1"]) == 0
    assert data.count_windows(str(tmp_path / "c.tfrecords")) == 2
