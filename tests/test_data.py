import json

import numpy as np
import pytest
import tensorflow as tf

from common.audio import audio, records, tfdata


def windows_from_records(path):
    """The int16 windows of a record file, read without the reader under test."""
    clean, noisy = [], []
    for raw in tf.data.TFRecordDataset(str(path)):
        f = tf.train.Example.FromString(raw.numpy()).features.feature
        clean.append(np.frombuffer(f["wav_raw"].bytes_list.value[0], "<i4"))
        noisy.append(np.frombuffer(f["noisy_raw"].bytes_list.value[0], "<i4"))
    return np.array(clean), np.array(noisy)


def test_reader_shapes_normalisation_and_pre_emphasis(demo_records):
    clean_i, noisy_i = windows_from_records(demo_records)
    ds = tfdata.make_dataset(str(demo_records), batch_size=4, shuffle_buffer=0, repeat=False)
    batches = list(ds)
    assert len(batches) == len(clean_i) // 4  # drop_remainder
    clean, noisy = batches[0]
    assert clean.shape == noisy.shape == (4, 16384, 1) and clean.dtype == tf.float32
    for got, ints in ((clean, clean_i[:4]), (noisy, noisy_i[:4])):
        expected = audio.pre_emphasis(audio.normalize(ints), 0.95)  # per window: y[0] = x[0]
        np.testing.assert_allclose(got.numpy()[..., 0], expected, atol=2e-6)


def test_shuffled_batches_hold_only_record_windows_out_of_file_order(demo_records):
    clean_i, _ = windows_from_records(demo_records)
    known = [audio.normalize(w) for w in clean_i]
    ds = tfdata.make_dataset(str(demo_records), batch_size=5, preemph=0.0, seed=3)
    positions = []
    for clean, _ in ds.take(6):  # runs past one epoch: the reader repeats
        for w in clean.numpy()[..., 0]:
            match = [i for i, k in enumerate(known) if np.allclose(w, k, atol=1e-7)]
            assert match, "a batch holds a window that is not in the records"
            positions.append(match[0])
    assert positions[:len(known)] != sorted(positions[:len(known)])
    assert len(set(positions)) > len(known) // 2


def test_canvas_mismatch_names_the_file(demo_records):
    ds = tfdata.make_dataset(str(demo_records), batch_size=2, canvas=4096, shuffle_buffer=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=str(demo_records)):
        next(iter(ds))


@pytest.mark.parametrize("damage", ["payload", "length", "truncated"])
def test_corrupt_and_missing_files_are_named(demo_records, tmp_path, damage):
    raw = demo_records.read_bytes()
    bad = tmp_path / "bad.tfrecords"
    if damage == "payload":  # TensorFlow's own reader does not notice this one
        bad.write_bytes(raw[:1000] + b"\xab" * 64 + raw[1064:])
    elif damage == "length":
        bad.write_bytes(raw[:2] + b"\xff" + raw[3:])
    else:
        bad.write_bytes(raw[:len(raw) // 2 + 7])
    with pytest.raises(records.CorruptRecordsError, match=str(bad)):
        records.count_windows(str(bad))
    # a valid index does not hide damage when verification is asked for
    (tmp_path / "bad.tfrecords.index.json").write_text(json.dumps(
        {"canvas_size": 16384, "shards": {"bad.tfrecords": {"windows": 3, "bytes": len(bad.read_bytes())}}}))
    assert records.count_windows(str(bad)) == 3
    with pytest.raises(records.CorruptRecordsError, match=str(bad)):
        records.count_windows(f"{demo_records},{bad}", verify=True)
    with pytest.raises(FileNotFoundError, match="nothing.tfrecords"):
        tfdata.make_dataset(str(tmp_path / "nothing.tfrecords"), 2)


def test_verification_counts_match_tensorflow(demo_records):
    assert records.count_windows(str(demo_records), verify=True) == sum(
        1 for _ in tf.data.TFRecordDataset(str(demo_records)))


def test_an_index_that_disagrees_with_its_files_is_refused(demo_records, tmp_path):
    """Another build's file under an index (two builds into one output): refused by name, never re-counted."""
    copy = tmp_path / "train.tfrecords"
    raw = demo_records.read_bytes()
    copy.write_bytes(raw)
    windows = records.count_windows(str(demo_records))
    for listed, problem in ((1, "bytes where its index"), (len(raw), "windows where its index lists 999")):
        (tmp_path / "train.tfrecords.index.json").write_text(
            f'{{"canvas_size": 16384, "shards": {{"train.tfrecords": {{"windows": 999, "bytes": {listed}}}}}}}')
        with pytest.raises(records.CorruptRecordsError, match=f"{copy}: corrupt or truncated .*{problem}"):
            records.count_windows(str(copy), verify=listed == len(raw))
    assert windows != 999


def test_an_index_lists_exactly_the_record_set(demo_records, tmp_path):
    """Files of another build beside the set are not read; a listed file that is missing is an error."""
    raw, windows = demo_records.read_bytes(), records.count_windows(str(demo_records))
    listed = ["t.tfrecords-00000-of-00002", "t.tfrecords-00001-of-00002"]
    for name in listed + ["t.tfrecords-00000-of-00003", "t.tfrecords"]:  # the last two: stale files
        (tmp_path / name).write_bytes(raw)
    path = str(tmp_path / "t.tfrecords")
    records.write_index(path, 16384, {n: {"windows": windows, "bytes": len(raw)} for n in listed}, {})
    assert records.resolve_record_files(path) == [str(tmp_path / n) for n in listed]
    assert records.count_windows(path, verify=True) == 2 * windows
    dataset = tfdata.make_dataset(path, 1, shuffle_buffer=0, repeat=False)
    assert sum(1 for _ in dataset) == 2 * windows
    (tmp_path / listed[1]).unlink()
    for read in (records.count_windows, lambda p: tfdata.make_dataset(p, 1)):
        with pytest.raises(FileNotFoundError, match=listed[1]):
            read(path)


def test_distributed_dataset_gives_each_replica_its_batch(demo_records, two_replicas):
    strategy = two_replicas
    dist = tfdata.distributed_dataset(strategy, str(demo_records), per_replica_batch=3, shuffle_buffer=0)
    clean, noisy = next(iter(dist))
    parts = strategy.experimental_local_results(clean)
    assert len(parts) == 2 and all(p.shape == (3, 16384, 1) for p in parts)
    assert not np.allclose(parts[0].numpy(), parts[1].numpy())  # different windows per replica


def test_a_build_that_does_not_read_back_replaces_nothing(demo_records, tmp_path):
    raw, windows = demo_records.read_bytes(), records.count_windows(str(demo_records))
    (tmp_path / "t.tfrecords.part").write_bytes(raw[:-3])
    with pytest.raises(records.CorruptRecordsError, match="t.tfrecords.part: corrupt or truncated"):
        records.install(str(tmp_path / "t.tfrecords"), 16384, {"t.tfrecords": {"windows": windows,
                                                                               "bytes": len(raw) - 3}}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.tfrecords.part"]
