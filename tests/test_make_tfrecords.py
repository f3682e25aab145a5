import hashlib
import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

import make_tfrecords
from common.audio import audio, records, tfdata


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


def written(out):
    """The files of a build's output folder, less its lock file."""
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


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


def file_order(path, signals, canvas=audio.CANVAS):
    """Names of the files in the order a single record file holds their windows, after checking that it
    holds exactly each file's windows, bit-exact, in time order and one file after another."""
    got_clean, got_noisy = read_all(path)
    row = {w.astype("<i4").tobytes(): i for i, w in enumerate(got_clean)}
    first = {name: row[x[:canvas].astype("<i4").tobytes()] for name, x in signals.items() if len(x) >= canvas}
    order = sorted(first, key=first.get)
    expected = np.concatenate([audio.slice_windows(signals[name], canvas) for name in order])
    np.testing.assert_array_equal(got_clean, expected)
    np.testing.assert_array_equal(got_noisy, expected // 2 + 1000)
    return order


def test_round_trip_bit_exact(tmp_path):
    lengths = [16384 * 2 + 5, 16383, 16384, 40000]
    clean, noisy, signals = pair_dirs(tmp_path, lengths)
    assert run(clean, noisy, tmp_path) == 0
    assert len(file_order(tmp_path / "t.tfrecords", signals)) == 3  # the 16383-sample file has no window
    index = json.loads((tmp_path / "t.tfrecords.index.json").read_text())
    assert index["shards"]["t.tfrecords"]["windows"] == 3 + 0 + 1 + 3
    assert records.count_windows(str(tmp_path / "t.tfrecords")) == 7


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT", "DOUBLE"])
def test_any_sample_format_gives_the_same_records(tmp_path, subtype):
    """A copy of the corpus in another sample format (e.g. resampled by another tool into float) gives the
    records of the PCM_16 original, byte for byte."""
    clean, noisy, _ = pair_dirs(tmp_path, [16384 * 2, 20000])
    for kind in ("clean", "noisy"):
        (tmp_path / f"{kind}_{subtype}").mkdir()
        for f in (tmp_path / kind).iterdir():
            x, rate = sf.read(str(f), dtype="float64")
            sf.write(str(tmp_path / f"{kind}_{subtype}" / f.name), x, rate, subtype=subtype)
    assert run(clean, noisy, tmp_path / "pcm16") == 0
    assert run(tmp_path / f"clean_{subtype}", tmp_path / f"noisy_{subtype}", tmp_path / "other") == 0
    for a, b in zip(read_all(tmp_path / "pcm16" / "t.tfrecords"), read_all(tmp_path / "other" / "t.tfrecords")):
        assert a.size and np.array_equal(a, b)


def test_pairs_are_written_in_a_seeded_order_independent_of_jobs(tmp_path):
    clean, noisy, signals = pair_dirs(tmp_path, [512] * 30)  # one window each; several chunks of the pool
    orders = []
    for jobs in (1, 3):
        out = tmp_path / f"out{jobs}"
        assert run(clean, noisy, out, "--canvas_size", "512", "--jobs", str(jobs), "--seed", "7") == 0
        orders.append(file_order(out / "t.tfrecords", signals, 512))
        assert records.read_index(str(out / "t.tfrecords"))["seed"] == 7
    assert orders[0] == orders[1] != sorted(orders[0])
    files = make_tfrecords.find_files(str(clean), str(noisy))
    assert make_tfrecords.write_order(files, 7) != make_tfrecords.write_order(files, 8)


def test_rebuild_in_place_leaves_exactly_the_new_set(tmp_path):
    clean, noisy, _ = pair_dirs(tmp_path, [2048] * 5)  # 3 windows of 1024 each
    out = tmp_path / "out"
    out.mkdir()
    for leftover in ("t.tfrecords-00001-of-00009.part", "t.tfrecords.part", "t.tfrecords.index.json.part"):
        (out / leftover).write_bytes(b"of a killed build")
    path = str(out / "t.tfrecords")
    for shards in (3, 2, 1):
        assert run(clean, noisy, out, "--canvas_size", "1024", "--num_shards", str(shards)) == 0
        index = records.read_index(path)
        assert len(index["shards"]) == shards
        assert written(out) == sorted([*index["shards"], "t.tfrecords.index.json"])
        assert records.count_windows(path, verify=True) == sum(s["windows"] for s in index["shards"].values()) == 15
    dataset = tfdata.make_dataset(path, 1, canvas=1024, shuffle_buffer=0, repeat=False)
    assert sum(1 for _ in dataset) == 15


def test_shards_hold_every_window_once(tmp_path):
    clean, noisy, signals = pair_dirs(tmp_path, [40000] * 5)
    assert run(clean, noisy, tmp_path, "--num_shards", "3") == 0
    files = records.resolve_record_files(str(tmp_path / "t.tfrecords"))
    assert [f.rsplit("-", 3)[-3:] for f in files] == [["00000", "of", "00003"], ["00001", "of", "00003"],
                                                      ["00002", "of", "00003"]]
    got, _ = read_all(tmp_path / "t.tfrecords")
    expected = np.concatenate([audio.slice_windows(x) for x in signals.values()])
    assert sorted(map(bytes, got.astype("<i4"))) == sorted(map(bytes, expected.astype("<i4")))
    assert records.count_windows(str(tmp_path / "t.tfrecords")) == 15


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
    assert not out.exists() or not written(out)  # nothing half-written
    # --skip_bad keeps the good pairs and reports the bad one
    assert run(clean, noisy, out, "--skip_bad") == 0
    assert str(bad) in capsys.readouterr().err
    assert records.count_windows(str(out / "t.tfrecords")) == 2
    assert written(out) == ["t.tfrecords", "t.tfrecords.index.json"]


def test_every_problem_of_every_file_in_one_pass(tmp_path, capsys):
    clean, noisy, _ = pair_dirs(tmp_path, [20000] * 3)
    out = tmp_path / "out"
    assert run(clean, noisy, out) == 0
    before = {n: (out / n).read_bytes() for n in written(out)}
    sf.write(str(clean / "two.wav"), np.zeros(20000), 48000)  # a wrong rate and ...
    sf.write(str(noisy / "two.wav"), np.zeros((20000, 2)), 16000)  # ... a stereo partner
    sf.write(str(clean / "alone.wav"), np.zeros((20000, 2)), 16000)  # no partner, and stereo
    (clean / "junk.wav").write_bytes(b"RIFF....garbage")
    sf.write(str(noisy / "junk.wav"), np.zeros(20000), 16000)
    sf.write(str(clean / "cut.wav"), np.zeros(20000), 16000)
    sf.write(str(noisy / "cut.wav"), np.zeros(19000), 16000)
    capsys.readouterr()
    assert run(clean, noisy, out) == 1
    expected = [(clean / "two.wav", "48000 Hz"), (noisy / "two.wav", "2 channels"),
                (clean / "alone.wav", "no noisy partner"), (clean / "alone.wav", "2 channels"),
                (clean / "junk.wav", "unreadable"), (noisy / "cut.wav", "samples but its clean partner")]
    # what follows the bar's last carriage return: a message glued onto the bar would not start the line
    lines = [line.split("\r")[-1] for line in capsys.readouterr().err.splitlines()]
    errors = [line for line in lines if "error" in line]
    assert len(errors) == len(expected)
    for path, words in expected:
        assert sum(line.startswith(f"error: {path}: ") and words in line for line in errors) == 1
    assert lines[-1].startswith("6 problem(s); nothing written")
    assert {n: (out / n).read_bytes() for n in written(out)} == before  # the earlier build is untouched


def test_unwritable_output_is_one_error_line(tmp_path, capsys):
    clean, noisy, _ = pair_dirs(tmp_path, [20000])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for out in (blocker / "out", blocker):  # root ignores permission bits, not a file in the path
        assert run(clean, noisy, out) == 1
        captured = capsys.readouterr()
        assert len(captured.err.splitlines()) == 1 and captured.err.startswith(f"error: {out}: ")
        assert "directory" in captured.err
    assert blocker.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "file", "noisy"]


def test_resample_flag_accepts_other_rates(tmp_path):
    clean, noisy, _ = pair_dirs(tmp_path, [2 * 16384 + 100], rate=32000)
    assert run(clean, noisy, tmp_path, "--resample") == 0
    assert records.count_windows(str(tmp_path / "t.tfrecords")) == 1  # 16434 samples at 16 kHz → 1 window


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
    assert records.count_windows(str(tmp_path / "c.tfrecords")) == 2


def test_a_rebuild_from_other_audio_is_another_data_set_to_a_run(tmp_path):
    """Same files, lengths and window counts, other samples: the index's sha256 and the run's dataset
    identity tell the two apart (a run trained on the first refuses to resume, or to be called complete, on
    the second); the same audio built again is the same data set."""
    from common.rundir import flags_file

    clean, noisy, _ = pair_dirs(tmp_path, [40000, 30000])
    out = tmp_path / "out"
    assert run(clean, noisy, out) == 0
    index = records.read_index(str(out / "t.tfrecords"))
    assert index["shards"]["t.tfrecords"]["sha256"] == hashlib.sha256((out / "t.tfrecords").read_bytes()).hexdigest()
    first = flags_file.dataset_identity(str(out / "t.tfrecords"), 3)
    assert run(clean, noisy, out, "--force_gen") == 0
    assert flags_file.dataset_identity(str(out / "t.tfrecords"), 3) == first
    for name in ("f0.wav", "f1.wav"):
        x = sf.read(str(clean / name), dtype="int16")[0]
        sf.write(str(clean / name), (x // 3).astype(np.int16), 16000, subtype="PCM_16")
    assert run(clean, noisy, out, "--force_gen") == 0
    other = flags_file.dataset_identity(str(out / "t.tfrecords"), 3)
    assert other["digest"] != first["digest"] and {k: v for k, v in other.items() if k != "digest"} == \
        {k: v for k, v in first.items() if k != "digest"}
    saved = {"model": {}, "training": {}, "dataset": first}
    assert flags_file.differences(saved, {**saved, "dataset": other}) == [
        f"dataset.digest: {first['digest']} (saved) vs {other['digest']} (now)"]
