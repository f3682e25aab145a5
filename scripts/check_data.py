#!/usr/bin/env python3
"""The run scripts' check before any work (the `check` step of scripts/pipeline.py): which corpus DATA_DIR
holds and whether it and the outputs can be used, so that a problem stops the script in seconds rather than
after the training.

    check_data.py DATA_DIR --runs RUN_DIR [--given] [--demo auto|1|0]

Prints `voicebank` or `demo` (the demo corpus, in DATA_DIR/demo). VoiceBank-DEMAND is DATA_DIR with the four
folders {clean,noisy}_{train,test}set_wav_16k; the demo runs with --demo 1, or with --demo auto when DATA_DIR
was left at its default (no --given) and holds none of the four. Every problem is an `error:` line on stderr
(exit 1): a missing or empty folder, clean and noisy as one folder, test files without their partner, a folder
that the records, the demo corpus or the runs cannot be written to.
"""
from __future__ import annotations

import argparse
import os
import sys

from common.audio import demo_corpus, records
from common.audio.voicebank import TRAIN_RECORDS, wav_dir
from common.system.paths import same_place, unwritable

DEMO_DIR = "demo"  # the demo corpus's folder in DATA_DIR
FOLDERS = [wav_dir(kind, split) for split in ("train", "test") for kind in ("clean", "noisy")]
SHOWN = 3  # files named per problem


def wavs(folder: str) -> set[str]:
    return {f for f in os.listdir(folder) if f.lower().endswith(".wav")}


def corpus_problems(root: str) -> list[str]:
    """What keeps the corpus in `root` from being trained and tested on."""
    missing = [f for f in FOLDERS if not os.path.isdir(os.path.join(root, f))]
    if missing:
        return [f"{root} lacks {', '.join(missing)} (VoiceBank-DEMAND at 16 kHz: scripts/download_voicebank.py)"]
    problems = []
    has_records = records.read_index(os.path.join(root, TRAIN_RECORDS)) is not None
    for split in ("train", "test"):
        clean, noisy = (os.path.join(root, wav_dir(kind, split)) for kind in ("clean", "noisy"))
        if same_place(clean, noisy):
            problems.append(f"{clean} and {noisy} are one folder: clean and noisy would be the same files")
            continue
        if split == "train" and has_records:
            continue  # training reads the records; make_tfrecords.py checks the training pairs when it builds them
        found = {folder: wavs(folder) for folder in (clean, noisy)}
        problems += [f"{folder} holds no .wav file" for folder, names in found.items() if not names]
        for folder, other in ((noisy, clean), (clean, noisy)):
            alone = sorted(found[folder] - found[other])
            if alone and found[other]:
                problems.append(f"{folder}: {len(alone)} file(s) without a partner in {other}: "
                                f"{', '.join(alone[:SHOWN])}{', …' if len(alone) > SHOWN else ''}")
    if not has_records and (why := unwritable(root)):
        problems.append(f"{root}: the training records cannot be written there ({why})")
    return problems


def demo_chosen(data_dir: str, given: bool, demo: str = "auto") -> bool:
    """Whether the demo corpus runs: --demo 1, or --demo auto with DATA_DIR at its default (not `given`) holding
    none of the four VoiceBank folders."""
    present = any(os.path.isdir(os.path.join(data_dir, f)) for f in FOLDERS)
    return demo == "1" or (demo == "auto" and not given and not present)


def check(data_dir: str, runs: str, given: bool, demo: str = "auto") -> tuple[bool, list[str]]:
    """(whether the demo corpus runs, what keeps the corpus or the outputs from being used)."""
    present = [f for f in FOLDERS if os.path.isdir(os.path.join(data_dir, f))]
    is_demo = demo_chosen(data_dir, given, demo)
    if is_demo:
        root = os.path.join(data_dir, DEMO_DIR)
        built = os.path.exists(os.path.join(root, demo_corpus.LISTING_FILE))
        if built:
            problems = corpus_problems(root)
        else:
            why = unwritable(root)
            problems = [f"{root}: the demo corpus cannot be written there ({why})"] if why else []
    elif not present:
        problems = [f"DATA_DIR={data_dir} holds no VoiceBank-DEMAND (none of {', '.join(FOLDERS)}; "
                    f"scripts/download_voicebank.py fetches it); DEMO=1 runs the demo corpus in "
                    f"{os.path.join(data_dir, DEMO_DIR)} instead"]
    else:
        problems = corpus_problems(data_dir)
    if why := unwritable(runs):
        problems.append(f"RUN_DIR={runs}: runs cannot be written there ({why})")
    return is_demo, problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_dir")
    p.add_argument("--runs", required=True, help="RUN_DIR, where the runs are written")
    p.add_argument("--given", action="store_true", help="DATA_DIR was set by the user (no demo unless --demo 1)")
    p.add_argument("--demo", choices=("auto", "1", "0"), default="auto")
    a = p.parse_args(argv)
    demo, problems = check(a.data_dir, a.runs, a.given, a.demo)
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        return 1
    print("demo" if demo else "voicebank")
    return 0


if __name__ == "__main__":
    sys.exit(main())
