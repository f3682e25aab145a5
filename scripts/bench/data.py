#!/usr/bin/env python3
"""Benchmark the data path: make_tfrecords.py throughput (pairs/s, MB/s) on a demo corpus of --files
pairs, then the tf.data reader's windows/s with shuffling on, at the training batch size."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import common.system.tf_quietly  # noqa: F401  (first: TensorFlow without its start-up noise)

import make_tfrecords
from common.audio.voicebank import wav_dir
from scripts import make_demo_corpus


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--work_dir", help="keep the corpus here (default: a temporary directory)")
    p.add_argument("--batch_size", type=int, default=50)
    p.add_argument("--batches", type=int, default=300)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work_dir or tmp
        if not os.path.isdir(os.path.join(work, wav_dir("clean", "train"))):
            make_demo_corpus.main(["--out_dir", work, "--train_files", str(args.files), "--test_files", "0"])
        start = time.perf_counter()
        make_tfrecords.main(["--wav_dir", os.path.join(work, wav_dir("clean", "train")),
                             "--noisy_dir", os.path.join(work, wav_dir("noisy", "train")),
                             "--save_path", work, "--out_file", "bench.tfrecords"])
        wall = time.perf_counter() - start
        wav_mb = sum(os.path.getsize(os.path.join(work, d, f)) for d in (wav_dir("clean", "train"),
                     wav_dir("noisy", "train")) for f in os.listdir(os.path.join(work, d))) / 1e6
        print(f"make_tfrecords: {args.files} pairs, {wav_mb:.0f} MB of wav in {wall:.1f} s wall "
              f"(worker start included): {args.files / wall:.1f} pairs/s, {wav_mb / wall:.1f} MB/s")

        from common.audio import tfdata, records

        path = os.path.join(work, "bench.tfrecords")
        t = time.perf_counter()
        windows = records.count_windows(path, verify=True)
        print(f"verify {windows} windows: {time.perf_counter() - t:.2f} s")
        it = iter(tfdata.make_dataset(path, args.batch_size))
        for _ in range(20):  # fill the shuffle buffer
            next(it)
        t = time.perf_counter()
        for _ in range(args.batches):
            next(it)
        rate = args.batches * args.batch_size / (time.perf_counter() - t)
        print(f"reader: {rate:.0f} windows/s (batch {args.batch_size}, shuffle buffer 1000, "
              f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
