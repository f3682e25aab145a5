"""The tf.data reader of the training TFRecords (docs/design.md §2).

record files → interleave → shuffle → batch (drop remainder) → parse → normalise (2x+1)/65535 →
pre-emphasis per window → (clean, noisy), each [B, canvas, 1] float32 → prefetch.
Parsing and the signal maths run on whole batches, so the pipeline stays far ahead of a training step.
"""
from __future__ import annotations

import tensorflow as tf

from common.audio import records


def _parse_batch(serialized, canvas: int, preemph: float, source):
    feats = tf.io.parse_example(serialized, {
        records.CLEAN_KEY: tf.io.FixedLenFeature([], tf.string),
        records.NOISY_KEY: tf.io.FixedLenFeature([], tf.string)})
    out = []
    for key in (records.CLEAN_KEY, records.NOISY_KEY):
        raw = feats[key]
        lengths = tf.strings.length(raw)
        tf.debugging.assert_equal(
            lengths, 4 * canvas,
            message=f"{source}: a record's '{key}' does not hold {canvas} int32 samples "
                    f"(were the records made with another --canvas_size?)")
        x = tf.io.decode_raw(raw, tf.int32, little_endian=True)
        x = (2.0 * tf.cast(x, tf.float32) + 1.0) / 65535.0
        if preemph > 0:
            x = tf.concat([x[:, :1], x[:, 1:] - preemph * x[:, :-1]], axis=1)
        out.append(tf.reshape(x, [-1, canvas, 1]))
    return tuple(out)


def make_dataset(path: str, batch_size: int, canvas: int = 16384, preemph: float = 0.95,
                 shuffle_buffer: int = 1000, repeat: bool = True, seed: int | None = None,
                 shard: tuple[int, int] | None = None) -> tf.data.Dataset:
    """(clean, noisy) batches from a record set (file, shard prefix, glob or comma list; where
    make_tfrecords' index exists, exactly the files it lists).

    `shard=(count, index)` keeps every count-th file (or record, with a single file) for one input
    pipeline of a multi-worker run. `shuffle_buffer=0` keeps the file order (for tests and counting).
    """
    files = records.resolve_record_files(path)
    source = files[0] if len(files) == 1 else f"{len(files)} record files at {path}"
    ds = tf.data.Dataset.from_tensor_slices(files)
    if shard and len(files) >= shard[0]:
        ds = ds.shard(*shard)
    if shuffle_buffer and len(files) > 1:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=min(len(files), 8), block_length=16,
                       num_parallel_calls=tf.data.AUTOTUNE, deterministic=bool(seed is not None
                                                                             or not shuffle_buffer))
    if shard and len(files) < shard[0]:
        ds = ds.shard(*shard)
    if repeat:
        ds = ds.repeat()
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda s: _parse_batch(s, canvas, preemph, source), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def distributed_dataset(strategy: tf.distribute.Strategy, path: str, per_replica_batch: int, **kwargs):
    """Per-replica batches of `per_replica_batch` windows: each replica gets its own batch per step."""
    def dataset_fn(ctx: tf.distribute.InputContext):
        shard = (ctx.num_input_pipelines, ctx.input_pipeline_id) if ctx.num_input_pipelines > 1 else None
        return make_dataset(path, per_replica_batch, shard=shard, **kwargs)

    return strategy.distribute_datasets_from_function(dataset_fn)
