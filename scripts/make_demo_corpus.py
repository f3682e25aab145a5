#!/usr/bin/env python3
"""Make the offline speech-like demo corpus in the VoiceBank-DEMAND layout:
DIR/{clean,noisy}_{train,test}set_wav_16k/*.wav (16 kHz, 16-bit, mono, same names in clean and noisy),
plus DIR/demo_corpus.json listing every file's noise type and SNR."""
from __future__ import annotations

import argparse
import glob
import json
import multiprocessing as mp
import os
import shutil
import sys



from common.audio import audio, demo_corpus
from common.audio.voicebank import wav_dir
from common.system import locks
from common.system.errors import exit_on_error
from common.system.progress import progress


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out_dir", required=True)
    p.add_argument("--train_files", type=int, default=100)
    p.add_argument("--test_files", type=int, default=20)
    p.add_argument("--train_speakers", type=int, default=8)
    p.add_argument("--test_speakers", type=int, default=2)
    p.add_argument("--min_seconds", type=float, default=2.0)
    p.add_argument("--max_seconds", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p.add_argument("--only_if_outdated", action="store_true",
                   help="leave a corpus of this generator as it is, whatever its settings (the run scripts)")
    args = p.parse_args(argv)
    if not 0 < args.min_seconds <= args.max_seconds:
        p.error("need 0 < --min_seconds <= --max_seconds")
    if min(args.train_speakers, args.test_speakers) < 1 or min(args.train_files, args.test_files) < 0:
        p.error("speaker counts must be positive and file counts non-negative")
    return args


def make_file(task):
    out_dir, seed, split, index, speakers, lo, hi = task
    name, clean, noisy, info = demo_corpus.utterance_pair(seed, split, index, speakers, lo, hi)
    for kind, x in (("clean", clean), ("noisy", noisy)):
        audio.write_wav(os.path.join(out_dir, wav_dir(kind, split), name), audio.to_int16(x))
    return split, name, info


@exit_on_error
def main(argv=None) -> int:
    a = parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    with locks.exclusive(os.path.join(a.out_dir, ".demo_corpus.lock"), f"demo corpus {a.out_dir}"):  # one writer
        return make(a)


def settings(a) -> dict:
    return {"generator": demo_corpus.GENERATOR, **{k: getattr(a, k) for k in (
        "seed", "train_files", "test_files", "train_speakers", "test_speakers", "min_seconds", "max_seconds")}}


def make(a) -> int:
    """Every pair, then the listing (last: it marks the corpus complete for the run scripts). A corpus made
    with these settings is left as it is; one made otherwise (an older generator, other sizes) is removed
    first, with the training records made from it."""
    listing_path = os.path.join(a.out_dir, demo_corpus.LISTING_FILE)
    if os.path.exists(listing_path):
        with open(listing_path) as f:
            old = json.load(f)
        made = old.get("settings", {})
        if made == settings(a) or (a.only_if_outdated and made.get("generator") == demo_corpus.GENERATOR):
            print(f"demo corpus: {a.out_dir} is up to date")
            return 0
        print(f"demo corpus: {a.out_dir} was made with other settings or an older generator; making it anew")
        os.remove(listing_path)
        for split in ("train", "test"):
            for kind in ("clean", "noisy"):
                folder = os.path.join(a.out_dir, wav_dir(kind, split))
                os.unlink(folder) if os.path.islink(folder) else shutil.rmtree(folder, ignore_errors=True)
        for path in glob.glob(os.path.join(glob.escape(a.out_dir), "*.tfrecords*")):
            os.remove(path)
    tasks = [(a.out_dir, a.seed, "train", i, a.train_speakers, a.min_seconds, a.max_seconds)
             for i in range(a.train_files)]
    tasks += [(a.out_dir, a.seed, "test", i, a.test_speakers, a.min_seconds, a.max_seconds)
              for i in range(a.test_files)]
    # each file in a process of its own, forked from a server that has spoken nothing: eSpeak carries state
    # from one utterance to the next, so a file is a pure function of its arguments only from a fresh start
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["common.audio.demo_corpus"])
    with context.Pool(max(1, a.jobs), maxtasksperchild=1) as pool:
        made = list(progress(pool.imap(make_file, tasks), total=len(tasks), unit="file"))
    listing = {split: {name: info for s, name, info in made if s == split} for split in ("train", "test")}
    with open(os.path.join(a.out_dir, demo_corpus.LISTING_FILE), "w") as f:
        json.dump({"settings": settings(a), **listing}, f, indent=1)
    print(f"demo corpus: {a.train_files} train and {a.test_files} test pairs in {a.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
