#!/usr/bin/env python3
"""Turn pairs of clean/noisy 16 kHz wavs into the reference's training TFRecords.

    python make_tfrecords.py --wav_dir data/clean_trainset_wav_16k/ \
        --noisy_dir data/noisy_trainset_wav_16k/ --save_path data/ --out_file segan.tfrecords

Pairs are matched by file name and written in a seeded shuffled order. Every problem of every file (a
file without its partner, a wrong sample rate, stereo, an unreadable or empty file, clean/noisy of
different lengths) is reported by name in one pass; the run fails with nothing written unless
--skip_bad is given. Output is written under temporary names and replaces an earlier build only when
complete, with an index (`<out_file>.index.json`) that lists exactly the files of the set.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import tomllib



from common.audio import audio, records
from common.config.flags import add_bool
from common.system import locks
from common.system.paths import same_place, unwritable
from common.system.progress import progress


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
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the order in which pairs are written, a shuffle of the sorted names (default: "
                        "0). The reference wrote them in os.listdir order, effectively random; sorted order "
                        "would give batches of one or two speakers, as the reader shuffles only ~1000 windows")
    args = p.parse_args(argv)
    if args.cfg:
        with open(args.cfg, "rb") as f:
            section = tomllib.load(f).get("segan", {})
        if "clean" not in section or "noisy" not in section:
            p.error(f"{args.cfg}: needs a [segan] section with `clean` and `noisy` entries")
        args.wav_dir, args.noisy_dir = section["clean"], section["noisy"]
    if args.num_shards < 1 or args.jobs < 1 or args.canvas_size < 2:
        p.error("--num_shards, --jobs and --canvas_size must be positive")
    if args.wav_dir and args.noisy_dir and same_place(args.wav_dir, args.noisy_dir):
        p.error(f"--wav_dir and --noisy_dir are one folder ({args.wav_dir}): clean and noisy would be the same files")
    return args


def find_files(clean_dir: str, noisy_dir: str) -> list[tuple[str | None, str | None]]:
    """(clean, noisy) paths matched by file name, in sorted name order; None for a missing partner."""
    for d in (clean_dir, noisy_dir):
        if not os.path.isdir(d):
            raise SystemExit(f"error: {d}: no such directory")
    clean, noisy = ({f for f in os.listdir(d) if f.lower().endswith(".wav")} for d in (clean_dir, noisy_dir))
    return [(os.path.join(clean_dir, f) if f in clean else None, os.path.join(noisy_dir, f) if f in noisy else None)
            for f in sorted(clean | noisy)]


def partner_problems(files, clean_dir: str, noisy_dir: str) -> list[str]:
    return ([f"{c}: no noisy partner in {noisy_dir}" for c, n in files if n is None]
            + [f"{n}: no clean partner in {clean_dir}" for c, n in files if c is None])


def write_order(files, seed: int) -> list[tuple[str | None, str | None]]:
    """The pairs in a seeded shuffle of their sorted names, then the files without a partner (only
    checked). Fixed before any reading, so it does not depend on --jobs or on which pairs are skipped."""
    pairs = [f for f in files if None not in f]
    random.Random(seed).shuffle(pairs)
    return pairs + [f for f in files if None in f]


def load_pair(task) -> tuple[list[bytes] | None, int, list[str]]:
    """Worker: the serialised windows of one (clean, noisy) pair (None if it cannot be written; none
    encoded unless asked), the bytes read, and every problem of both files. A missing partner (None)
    is reported by the caller; the present file is still checked."""
    paths, canvas, allow_resample, encode = task
    signals, problems = [], []
    for path in filter(None, paths):
        try:
            signals.append(audio.read_wav_int16(path, allow_resample=allow_resample))
        except audio.AudioError as e:
            problems.append(str(e))
    if problems or len(signals) < 2:
        return None, 0, problems
    clean, noisy = signals
    if len(clean) != len(noisy):
        return None, 0, [f"{paths[1]}: {len(noisy)} samples but its clean partner has {len(clean)}"]
    windows = zip(audio.slice_windows(clean, canvas), audio.slice_windows(noisy, canvas)) if encode else []
    return [records.encode_window_pair(c, n) for c, n in windows], 2 * clean.nbytes, []


class Shards:
    """The files of a new build under temporary `.part` names; pairs are dealt to them in turn."""

    def __init__(self, out: str, count: int):
        self.names = [records.shard_name(out, i, count) for i in range(count)]
        self.writers = [open(n + ".part", "wb") for n in self.names]
        self.windows = [0] * count
        self.pairs = 0

    def add(self, examples: list[bytes]) -> None:
        shard = self.pairs % len(self.writers)
        for ex in examples:
            self.writers[shard].write(records.frame(ex))
        self.windows[shard] += len(examples)
        self.pairs += 1

    def close(self) -> dict[str, dict]:
        """{file basename: {"windows", "bytes"}} of the finished `.part` files."""
        for w in self.writers:
            w.close()
        return {os.path.basename(n): {"windows": c, "bytes": os.path.getsize(n + ".part")}
                for n, c in zip(self.names, self.windows)}

    def discard(self) -> None:
        for w in self.writers:
            w.close()
        for n in self.names:
            os.remove(n + ".part")


def read_files(args, order, shards: Shards | None, prefix: str) -> tuple[list[str], int]:
    """Read and check every file of `order` with a pool of readers, reporting each problem as it is
    found, and write the good pairs to `shards` until a problem means that nothing will be kept.
    Returns the problems and the bytes read."""
    tasks = [(paths, args.canvas_size, args.resample, shards is not None) for paths in order]
    problems, nbytes = [], 0
    ctx = mp.get_context("spawn")  # never fork a process with TensorFlow loaded; the workers need none
    with ctx.Pool(min(args.jobs, len(tasks))) as pool:
        bar = progress(pool.imap(load_pair, tasks, chunksize=8), total=len(tasks), unit="file")
        for examples, size, found in bar:
            for p in found:
                bar.write(f"{prefix}: {p}", file=sys.stderr)  # through the bar, not glued onto it
            problems += found
            nbytes += size
            if shards and examples is not None and (args.skip_bad or not problems):
                shards.add(examples)
    return problems, nbytes


def main(argv=None) -> int:
    args = parse_args(argv)
    out = os.path.join(args.save_path, args.out_file)
    if not args.force_gen and records.read_index(out) is not None:
        print(f"{out} exists already; nothing to do (pass --force_gen to rebuild)")
        return 0
    files = find_files(args.wav_dir, args.noisy_dir)
    if all(None in f for f in files):
        print(f"error: no wav pairs in {args.wav_dir} and {args.noisy_dir}", file=sys.stderr)
        return 1
    reason = unwritable(args.save_path)
    if reason:
        print(f"error: {args.save_path}: {reason}", file=sys.stderr)
        return 1
    try:
        with locks.exclusive(os.path.join(args.save_path, f".{args.out_file}.lock"), out):  # one build at a time
            return build(args, out, files)
    except locks.Busy as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def build(args, out: str, files: list) -> int:
    """Check every pair and write the record set `out` (under its lock)."""
    prefix = "skipped" if args.skip_bad else "error"
    problems = partner_problems(files, args.wav_dir, args.noisy_dir)
    for p in problems:
        print(f"{prefix}: {p}", file=sys.stderr)
    records.remove_partial(out)
    # with a problem known already and no --skip_bad, the run only checks
    shards = Shards(out, args.num_shards) if args.skip_bad or not problems else None
    start = time.perf_counter()
    try:
        found, nbytes = read_files(args, write_order(files, args.seed), shards, prefix)
    except BaseException:
        if shards:
            shards.discard()
        raise
    problems += found
    if problems and not args.skip_bad:
        if shards:
            shards.discard()
        print(f"{len(problems)} problem(s); nothing written. Fix them or pass --skip_bad.", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    written = shards.close()
    records.install(out, args.canvas_size, written, {
        "clean_dir": args.wav_dir, "noisy_dir": args.noisy_dir, "seed": args.seed, "files": shards.pairs,
        "skipped": problems})
    windows = sum(s["windows"] for s in written.values())
    print(f"wrote {windows} windows from {shards.pairs} file pairs to {len(written)} file(s) at {out} "
          f"({len(problems)} problem(s) skipped) in {seconds:.1f} s: {shards.pairs / seconds:.1f} pairs/s, "
          f"{nbytes / 1e6 / seconds:.1f} MB/s of wav read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
