#!/usr/bin/env python3
"""Turn pairs of clean/noisy 16 kHz wavs into the reference's training TFRecords.

    python make_tfrecords.py --wav_dir data/clean_trainset_wav_16k/ \
        --noisy_dir data/noisy_trainset_wav_16k/ --save_path data/ --out_file segan.tfrecords

Pairs are matched by file name. Every problem (a file without its partner, a wrong sample rate,
stereo, an unreadable or empty file, clean/noisy of different lengths) is reported by name; the run
fails unless --skip_bad is given. Output is written under temporary names and appears only when
complete, with an index (`<out_file>.index.json`) that the reader uses to count windows.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import tomllib

from tqdm import tqdm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import audio, records  # noqa: E402
from common.flags import add_bool  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--wav_dir", default="data/clean_trainset_wav_16k/", help="directory of clean wavs")
    p.add_argument("--noisy_dir", default="data/noisy_trainset_wav_16k/", help="directory of noisy wavs")
    p.add_argument("--cfg", help="TOML file with a [segan] section giving `clean` and `noisy` "
                                 "(replaces --wav_dir/--noisy_dir), e.g. data/e2e_maker.cfg")
    p.add_argument("--save_path", default="data/", help="output directory")
    p.add_argument("--out_file", default="segan.tfrecords", help="output file name")
    add_bool(p, "force_gen", True, "rebuild the records if they exist already")
    add_bool(p, "skip_bad", False, "leave out problem files (reported) instead of failing")
    add_bool(p, "resample", False, "resample wavs that are not 16 kHz instead of refusing them")
    p.add_argument("--canvas_size", type=int, default=audio.CANVAS, help="window length (hop = half)")
    p.add_argument("--num_shards", type=int, default=1, help="split the output into this many files")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="reader processes")
    args = p.parse_args(argv)
    if args.cfg:
        with open(args.cfg, "rb") as f:
            section = tomllib.load(f).get("segan", {})
        if "clean" not in section or "noisy" not in section:
            p.error(f"{args.cfg}: needs a [segan] section with `clean` and `noisy` entries")
        args.wav_dir, args.noisy_dir = section["clean"], section["noisy"]
    if args.num_shards < 1 or args.jobs < 1 or args.canvas_size < 2:
        p.error("--num_shards, --jobs and --canvas_size must be positive")
    return args


def find_pairs(clean_dir: str, noisy_dir: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(clean, noisy) paths matched by file name, and one message per file without its partner."""
    for d in (clean_dir, noisy_dir):
        if not os.path.isdir(d):
            raise SystemExit(f"error: {d}: no such directory")

    def wavs(d):
        return {f for f in os.listdir(d) if f.lower().endswith(".wav")}

    clean, noisy = wavs(clean_dir), wavs(noisy_dir)
    problems = [f"{os.path.join(clean_dir, f)}: no noisy partner in {noisy_dir}" for f in sorted(clean - noisy)]
    problems += [f"{os.path.join(noisy_dir, f)}: no clean partner in {clean_dir}" for f in sorted(noisy - clean)]
    pairs = [(os.path.join(clean_dir, f), os.path.join(noisy_dir, f)) for f in sorted(clean & noisy)]
    return pairs, problems


def load_pair(task) -> tuple[list[bytes], int, str | None]:
    """Worker: the serialised window examples of one pair, the bytes read, and a problem or None."""
    (clean_path, noisy_path), canvas, allow_resample = task
    try:
        clean = audio.read_wav_int16(clean_path, allow_resample=allow_resample)
        noisy = audio.read_wav_int16(noisy_path, allow_resample=allow_resample)
    except audio.AudioError as e:
        return [], 0, str(e)
    if len(clean) != len(noisy):
        return [], 0, f"{noisy_path}: {len(noisy)} samples but its clean partner has {len(clean)}"
    cw = audio.slice_windows(clean, canvas)
    nw = audio.slice_windows(noisy, canvas)
    examples = [records.encode_window_pair(c, n) for c, n in zip(cw, nw)]
    return examples, 2 * clean.nbytes, None


def write_records(args, pairs) -> tuple[dict, list[str], int]:
    """Write the shards under temporary names; returns {shard: info}, problems and bytes read."""
    import tensorflow as tf

    out = os.path.join(args.save_path, args.out_file)
    names = [records.shard_name(out, i, args.num_shards) for i in range(args.num_shards)]
    writers = [tf.io.TFRecordWriter(n + ".part") for n in names]
    counts = [0] * args.num_shards
    problems, nbytes = [], 0
    tasks = [(pair, args.canvas_size, args.resample) for pair in pairs]
    ctx = mp.get_context("spawn")  # workers import TensorFlow themselves; never fork a TF process
    with ctx.Pool(min(args.jobs, max(1, len(tasks)))) as pool:
        results = pool.imap(load_pair, tasks, chunksize=8)
        for i, (examples, size, problem) in enumerate(tqdm(results, total=len(tasks), unit="file")):
            if problem:
                problems.append(problem)
                continue
            shard = i % args.num_shards
            for ex in examples:
                writers[shard].write(ex)
            counts[shard] += len(examples)
            nbytes += size
    for w in writers:
        w.close()
    shards = {os.path.basename(n): {"windows": c, "bytes": os.path.getsize(n + ".part")}
              for n, c in zip(names, counts)}
    return shards, problems, nbytes


def main(argv=None) -> int:
    args = parse_args(argv)
    out = os.path.join(args.save_path, args.out_file)
    if not args.force_gen and records.read_index(out) is not None:
        print(f"{out} exists already; nothing to do (pass --force_gen to rebuild)")
        return 0
    os.makedirs(args.save_path, exist_ok=True)
    pairs, problems = find_pairs(args.wav_dir, args.noisy_dir)
    if problems and not args.skip_bad:
        return report_failure(problems)
    if not pairs:
        print(f"error: no wav pairs in {args.wav_dir} and {args.noisy_dir}", file=sys.stderr)
        return 1
    start = time.perf_counter()
    shards, read_problems, nbytes = write_records(args, pairs)
    seconds = time.perf_counter() - start
    problems += read_problems
    parts = [os.path.join(args.save_path, n) for n in shards]
    if read_problems and not args.skip_bad:
        for p in parts:
            os.remove(p + ".part")
        return report_failure(problems)
    for p in parts:
        os.replace(p + ".part", p)
    windows = sum(s["windows"] for s in shards.values())
    used = len(pairs) - len(read_problems)
    records.write_index(out, args.canvas_size, shards, {
        "clean_dir": args.wav_dir, "noisy_dir": args.noisy_dir, "files": used, "skipped": problems})
    for p in problems:
        print(f"skipped: {p}", file=sys.stderr)
    print(f"wrote {windows} windows from {used} file pairs to {len(parts)} file(s) at {out} "
          f"({len(problems)} skipped) in {seconds:.1f} s: {used / seconds:.1f} pairs/s, "
          f"{nbytes / 1e6 / seconds:.1f} MB/s of wav read")
    return 0


def report_failure(problems: list[str]) -> int:
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    print(f"{len(problems)} problem file(s); nothing written. Fix them or pass --skip_bad.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
